"""``shown``: any text becomes one printable, sanitized, bounded line; PHI next to escapes is caught."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.display import escape_char, shown
from tests.phi.phi_values import ssn

# Characters a terminal acts on or that change what is read: C0/C1 controls, DEL, bidi and other
# format characters, line/paragraph separators, lone surrogates (undecodable file-name bytes).
controls = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.sampled_from(["\u200b", "\u200e", "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\ufeff"]),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
    st.characters(categories=["Cc", "Cf", "Cs", "Co", "Zl", "Zp"]),
)
# Escape sequences as terminals parse them: CSI (colours, cursor moves), OSC (titles, links), others.
sequences = st.one_of(
    st.builds(lambda p, f: f"\x1b[{p}{f}", st.from_regex(r"[0-9;?]{0,8}", fullmatch=True),
              st.sampled_from("mHJKABCDsu")),
    st.builds(lambda t: f"\x1b]0;{t}\x07", st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)),
    st.sampled_from(["\x1b", "\x9b", "\x1bc", "\x1b(B", "\x1b7", "\x1b8", "\x9b31m", "\x1b]8;;http://x\x1b\\"]),
    controls,
)
any_text = st.lists(st.one_of(st.text(max_size=20), sequences), max_size=12).map("".join)


def _raw_controls(text: str) -> list[str]:
    return [ch for ch in text if not ch.isprintable()]


@settings(max_examples=400, deadline=None)
@given(any_text, st.integers(1, 300))
def test_any_text_is_shown_printable_bounded_and_encodable(text: str, limit: int) -> None:
    out = shown(text, limit=limit)
    assert _raw_controls(out) == []
    assert len(out) <= limit
    out.encode("utf-8")  # no lone surrogate left: printing never raises UnicodeEncodeError


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(sequences, ssn), min_size=1, max_size=4), st.text(max_size=10))
def test_phi_glued_to_escape_sequences_is_sanitized(parts: list[tuple[str, str]], tail: str) -> None:
    text = "".join(seq + value for seq, value in parts) + " " + tail  # a digit right after is no SSN
    out = shown(text, limit=10_000)
    for _seq, value in parts:
        assert value not in out
    assert "[PHI:" in out  # replaced (joined digits may read as another category, e.g. a card number)
    # The same text after a repr() upstream (an error message quoting it with !r).
    quoted = shown(repr(text), limit=10_000)
    for _seq, value in parts:
        assert value not in quoted


@given(controls)
def test_every_control_character_is_shown_as_an_escape(ch: str) -> None:
    out = shown(f"a{ch}b")
    assert out == f"a{escape_char(ch)}b"
    assert escape_char(ch).startswith("\\")


def test_known_forms() -> None:
    assert shown("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert shown("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert shown("caf\udcff.csv") == "caf\\xff.csv"  # os.fsdecode of a Latin-1 byte
    assert shown("line1\nline2\ttab") == "line1\\nline2\\ttab"
    assert shown("plain/path.csv") == "plain/path.csv"
    assert shown("é ü 中文") == "é ü 中文"  # printable non-ASCII text is kept


def test_sanitize_comes_before_truncation() -> None:
    # A cut inside the SSN must not leave its digits: the whole text is sanitized first.
    out = shown("note: 234-56-7890 and more", limit=12)
    assert "234-56" not in out and out.endswith("…") and len(out) <= 12


def test_an_escape_is_never_cut_in_half() -> None:
    out = shown("ab" + "\x1b" * 10, limit=8)
    assert out == "ab\\x1b…"
    assert unicodedata.category(out[-1]) == "Po"
