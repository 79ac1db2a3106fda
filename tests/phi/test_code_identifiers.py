"""Code identifiers in Python's exception wording stay readable; names with inner capitals stay redacted.

Both sides are generated here. Names: inner-capital forms built from surname prefixes and name
parts written for this test or drawn from the unseen-forms syllable generator (McDonald, DeShawn,
LeBron, MacArthur-like, never from the detector's dictionaries). Code: camel-case identifiers of
everyday English words and dotted module paths, in each of Python's own phrases.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import sanitize
from engine.phi.code_words import code_shaped, quoted_code_identifier
from engine.phi.matcher import iter_matches
from engine.phi.registry import load_registry
from tests.phi.unseen_support import family_name, given_name

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PHRASES = ["cannot import name '{}' from 'engine.reporting'", "No module named '{}'", "name '{}' is not defined",
           "ImportError: cannot import name '{}'", "ModuleNotFoundError: No module named '{}'",
           "step failed: NameError: name '{}' is not defined"]  # fmt: skip
# Surname and given-name prefixes written with an inner capital.
PREFIXES = ["Mc", "Mac", "De", "Le", "La", "Di", "Da", "Van", "Von", "Fitz", "Du", "Del", "Ja", "Ke", "Sha", "Ta",
            "Tre", "Ra", "St", "O"]  # fmt: skip
NAME_PARTS = ["Donald", "Arthur", "Shawn", "Bron", "Maggio", "Kenzie", "Andre", "Marcus", "Quille", "Vonte",
              "Lean", "Bride", "Dyke", "Gerald", "Rosario", "Nisha", "Keisha", "Von", "Neil", "Leod"]  # fmt: skip
CODE_WORDS = ["Run", "Report", "Result", "Table", "Plan", "Step", "Data", "Cache", "Store", "Queue", "Task",
              "Index", "Event", "Context", "Summary", "Column", "Export", "Import", "Batch", "Part", "Value",
              "Token", "Error", "Profile", "Module"]  # fmt: skip
MODULES = ["engine", "stages", "reporting", "phi", "scan", "core", "plugins", "stage_04_phi_scan", "v2"]


def _without_exception(text: str) -> str:
    """``text`` with every guard-tier match replaced, no code exception (ASCII text: no normalization)."""
    out, last = [], 0
    for pat, _ms, vs, ve, _me in iter_matches(load_registry().guard, text):
        out += [text[last:vs], pat.category.token]
        last = ve
    return "".join([*out, text[last:]])


def _title(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


inner_capital_name = st.builds(lambda p, n: p + n, st.sampled_from(PREFIXES),
                               st.one_of(st.sampled_from(NAME_PARTS), given_name.map(_title),
                                         family_name.map(_title)))
camel = st.lists(st.sampled_from(CODE_WORDS), min_size=2, max_size=4).map("".join)
dotted = st.builds(lambda mods, last: ".".join([*mods, last]), st.lists(st.sampled_from(MODULES), min_size=1,
                                                                          max_size=3), camel)


@FAST
@given(name=inner_capital_name, phrase=st.sampled_from(PHRASES))
def test_a_name_with_an_inner_capital_is_never_let_through_as_code(name: str, phrase: str) -> None:
    text = phrase.format(name)
    start = text.index(name)
    assert not code_shaped(name), name
    assert not quoted_code_identifier(text, start, start + len(name)), text
    # Whatever the rules find in the phrase, the code exception lets none of it through.
    assert sanitize(text) == _without_exception(text)


@FAST
@given(ident=st.one_of(camel, dotted), phrase=st.sampled_from(PHRASES))
def test_a_code_identifier_in_pythons_wording_stays_readable(ident: str, phrase: str) -> None:
    text = phrase.format(ident)
    assert ident in sanitize(text), (text, sanitize(text))


@FAST
@given(ident=camel, cue=st.sampled_from(["spoke with {}", "Seen by {} today", "Dr. {}", "patient {} called"]))
def test_outside_pythons_wording_the_name_rules_decide(ident: str, cue: str) -> None:
    """The exception holds only inside the exception's quotes: after a name cue, a camel-case word is
    judged by the name rules as before."""
    text = cue.format(ident)
    start = text.index(ident)
    assert not quoted_code_identifier(text, start, start + len(ident))


def test_the_reported_case() -> None:
    assert sanitize("cannot import name 'RunReport' from 'engine.reporting'") == (
        "cannot import name 'RunReport' from 'engine.reporting'")
    for name in ["McDonald", "MacArthur", "DeShawn", "LeBron", "DiMaggio"]:
        assert not code_shaped(name)
