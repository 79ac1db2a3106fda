"""A given name that is also an English word after an unknown surname and a comma is a name.

"OKONKWO, Hope", "Vasquez-Trinh, Grant": the surname (in capitals, or hyphenated) is no word
and the comma is the registry form, so a dictionary first name after it counts even when it is
a word ("Hope", "Will", "Grant") - unless a lower-case word follows it ("COPD, Will start").
Both engines: the Python rules and the core's.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.phi import cue_matches, cues, names, native, native_cues

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
pytestmark = needs_core

D = names.dictionaries()
V = cues.vocab()
_NOT_NAMES = D.never | V.stop | V.negatives | V.credentials | V.eponyms
WORD_GIVEN = sorted(
    n
    for n in D.first
    if (n in D.needs_context or n in D.common) and n not in _NOT_NAMES and n.lower() not in V.particles
)  # a particle ends no name ("KOKO, Van" is the surname alone)
CONTEXT_GIVEN = [n for n in WORD_GIVEN if n in D.needs_context]
_syllable = st.sampled_from(["ko", "nk", "wo", "ad", "eb", "ay", "tri", "nh", "vas", "quez", "zu", "ol", "ami", "ch"])
_word = st.lists(_syllable, min_size=2, max_size=4).map("".join)


def _unknown(word: str) -> bool:
    return not (cues.english(word) or cues.word_key(word) in D.common or cues.word_key(word) in V.abbreviations)


@st.composite
def surname_given(draw: st.DrawFn, pool: list[str] = WORD_GIVEN) -> tuple[str, str]:
    capitals = draw(st.booleans())
    surname = draw(_word).upper() if capitals else draw(_word).capitalize() + "-" + draw(_word).capitalize()
    assume(_unknown(surname) and len(surname) >= 4)
    given_name = draw(st.sampled_from(pool)).capitalize()
    return surname, given_name


def both(text: str) -> list[tuple[int, int, str]]:
    os.environ[native_cues.ENV] = "0"
    try:
        want = cue_matches.find(text)
    finally:
        del os.environ[native_cues.ENV]
    assert native_cues.find(text, False) == want
    assert native_cues.find(text.encode(), True) == want
    return want


@pytest.fixture(autouse=True)
def _core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_PHI_REGEX", "auto")
    monkeypatch.delenv(native_cues.ENV, raising=False)


@settings(max_examples=200, deadline=None)
@given(surname_given(), st.sampled_from(["", ".", ";", " (dob on file)", " 4 mg", "\n", ", MRN 4857211"]))
def test_an_unknown_surname_and_a_word_given_name_is_a_name(pair: tuple[str, str], tail: str) -> None:
    surname, given_name = pair
    value = f"{surname}, {given_name}"
    text = f"{value}{tail}"
    assert (0, len(value), "NAME") in both(text)


@settings(max_examples=100, deadline=None)
@given(surname_given(CONTEXT_GIVEN))
def test_a_lower_case_word_after_it_keeps_it_a_word(pair: tuple[str, str]) -> None:
    surname, given_name = pair
    spans = both(f"{surname}, {given_name} start heparin")
    assert not any(s <= len(surname) + 2 < e for s, e, _ in spans)


def test_the_examples() -> None:
    assert both("OKONKWO, Hope") == [(0, 13, "NAME")]
    assert both("Vasquez-Trinh, Grant") == [(0, 20, "NAME")]
    assert both("COPD, Will start") == []
    assert both("Seen in ENT, Will follow") == []
