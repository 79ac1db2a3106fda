"""User patterns in Polars (Rust ``regex``) give RE2's verdict on every value, or are left to RE2.

Generated patterns from the translated subset (classes, ranges, class escapes, groups, alternation,
every quantifier, anchors, Unicode literals) against generated values that mix ASCII, the
whitespace where the dialects part (``\\v``, ``\\x85``, ``\\xa0``, U+2003), non-ASCII digits and letters
(Arabic-Indic and fullwidth digits, ``é``, ``ß``, the Kelvin sign and long s that case folding ties to
``k`` and ``s``), CJK and an emoji. The constructs whose meaning differs are refused.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import compile_pattern, rust_fullmatch
from stages.columnar import cells

ALPHABET = [*"aAbzZ09_-.:/ @", "\t", "\n", "\v", "\f", "\r", "\x1c", "\x85", "\xa0", "\u2003", "\u0661",
                                       "\uff15", "é", "ß", "\u212a", "\u017f", "k", "s", "中", "\U0001f600", "]",
                                       "\\", "^", "$", "{", "}", "(", ")", "|", "*", "+", "?"]
LITERALS = st.sampled_from(["a", "b", "z", "Z", "0", "9", "_", "-", "@", " ", "é", "中", "\\.", "\\-", "\\\\", "\\]",
                            "\\n", "\\t", "\\v", "\\f", "\\*", "\\{", "\\$", "]", "}", "k", "s", "\U0001f600"])
CLASS_ITEMS = st.sampled_from(["a", "z", "0-9", "a-z", "A-Z", "\\d", "\\w", "\\s", "\\-", "\\]", ".", "é", "-",
                               "\\\\", "_", " ", "^", "中-\U0001f600", "\\n", "\\t"])


def _class(items: list[str], negate: bool) -> str:
    return "[" + ("^" if negate else "") + "".join(items) + "]"


ATOMS = st.one_of(
    LITERALS,
    st.sampled_from([".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S"]),
    st.builds(_class, st.lists(CLASS_ITEMS, min_size=1, max_size=4), st.booleans()),
)
QUANTIFIERS = st.sampled_from(["", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{0,3}", "{1,}", "{2,3}?"])


def _pattern(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    piece = st.tuples(st.one_of(ATOMS, children.map(lambda c: f"({c})"), children.map(lambda c: f"(?:{c})")),
                      QUANTIFIERS).map("".join)
    seq = st.lists(piece, min_size=0, max_size=4).map("".join)
    return st.lists(seq, min_size=1, max_size=3).map("|".join)


PATTERNS = st.recursive(st.lists(st.tuples(ATOMS, QUANTIFIERS).map("".join), max_size=3).map("".join), _pattern,
                        max_leaves=6)
ANCHORED = st.tuples(st.sampled_from(["", "^", "\\A"]), PATTERNS, st.sampled_from(["", "$", "\\z"])).map("".join)
VALUES = st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=8), min_size=1, max_size=40)


def _verdicts(pattern: str, values: list[str]) -> tuple[list[bool], list[bool]]:
    compiled = compile_pattern(pattern)
    spelled = rust_fullmatch(pattern)
    assert spelled is not None, pattern
    twin = pl.Series("v", values, dtype=pl.String).str.contains(spelled).to_list()
    return [compiled.fullmatch(v) for v in values], twin


def _values_for(pattern: str, values: list[str]) -> list[str]:
    """The generated values and pieces of the pattern itself, so some match."""
    bare = pattern.replace("\\", "").replace("^", "").replace("$", "")
    return [*values, bare, bare[:3], bare * 2, ""]


@settings(max_examples=400, deadline=None)
@given(ANCHORED, VALUES)
def test_generated_patterns_give_re2s_verdicts(pattern: str, values: list[str]) -> None:
    try:
        compile_pattern(pattern)
    except ValueError:
        return  # not a pattern RE2 accepts (a user would have been refused)
    if rust_fullmatch(pattern) is None:  # a range from a class escape; "[^]" and "[" inside a class
        assert re.search(r"\\[dws]-[^\]]|\[\^?\]", pattern), pattern
        return
    re2_says, rust_says = _verdicts(pattern, _values_for(pattern, values))
    assert rust_says == re2_says, pattern


@pytest.mark.parametrize(("pattern", "values"), [
    ("^S[0-9]{5}$", ["S00001", "S00001-3", "S0000\u0661", "S0000\uff15", " S00001", "S00001\n", ""]),
    (r"^[0-9]{5}$", ["60469", "6046", "604690", "6046\u0661"]),
    (r"\d+", ["12", "\u0661\u0662", "\uff11"]),
    (r"\w+", ["ab_9", "é", "\u212a", "中"]),
    (r"\s", [" ", "\t", "\n", "\v", "\f", "\r", "\x85", "\xa0", "\u2003", "\x1c"]),
    (r"\S+", ["a", "\v", "\x85", "\xa0"]),
    (".", ["a", "\n", "\r", "é", "\U0001f600"]),
    ("[^a]", ["\n", "b", "中"]),
    ("a|ab|abc", ["a", "ab", "abc", "abcd"]),
    ("(a|ab)(c|bcd)", ["abcd", "ac", "abc"]),
    ("[]a]+", ["]", "a]a", "b"]),
    ("[a-]x", ["-x", "ax", "bx"]),
    (r"[\w.-]+@[\w-]+\.[a-z]{2,}", ["a.b@c-d.org", "é@x.org", "a@b.c"]),
    ("x*?y??z+?", ["z", "xxyz", "y"]),
    ("()", [""]),
])
def test_known_patterns_give_re2s_verdicts(pattern: str, values: list[str]) -> None:
    re2_says, rust_says = _verdicts(pattern, values)
    assert rust_says == re2_says


@pytest.mark.parametrize("pattern", [
    r"\bword\b", r"\Bx", "(?i)abc", "(?s).", "(?m)^a$", r"\pL+", r"\p{Greek}", r"[[:alpha:]]", r"\x41", r"\x{41}",
    r"\101", r"\Q.*\E", r"\C", "a{,3}", "a{x}", "{", r"[\d-z]", "[[a]]",
])
def test_constructs_whose_meaning_differs_stay_with_re2(pattern: str) -> None:
    compile_pattern(pattern)  # a pattern RE2 accepts
    assert rust_fullmatch(pattern) is None


def test_the_twin_is_used_unless_the_references_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = compile_pattern("^S[0-9]{5}$")
    stripped = pl.Series("s", ["S00001", "S1"])
    twin = cells.full_match_expr(pattern, stripped)
    assert twin is not None and twin.to_list() == [True, False]
    assert cells.full_match_expr(compile_pattern(r"\bS"), stripped) is None
    monkeypatch.setenv("RFLOW_DATAPLANE_CORE", "0")
    assert cells.full_match_expr(pattern, stripped) is None
