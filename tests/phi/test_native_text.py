"""The core's cue-phrase spans are exactly ``re.finditer``'s, and the folding claim they rest on holds."""

from __future__ import annotations

import os
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import cues, native, native_match, native_text

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)


def _cue_regexes() -> list[re.Pattern[str]]:
    v = cues.vocab()
    return [v.name_cues, v.place_cues, v.weak_place_cues]


def _phrases() -> list[str]:
    rules = cues.vocab().rules
    return [*rules["names"]["roles"], *rules["names"]["phrases"], *rules["places"]["cues"]]


def _shout(s: str) -> str:
    return "".join(c.upper() if i % 2 else c for i, c in enumerate(s))


def _forms(p: str) -> st.SearchStrategy[str]:
    return st.sampled_from([p, p.upper(), _shout(p), p.replace(" ", " \t ")])


words = st.sampled_from(_phrases()).flatmap(_forms)
NOISE = [" ", "\t", "\n", ", ", "x", "Jane", "Mr.", "\u00e9", "\u00c5", "\u017f", "\u212a", "\u00a0", "son"]
noise = st.sampled_from(NOISE)
texts = st.lists(words | noise, max_size=30).map("".join)


def test_no_latin1_character_folds_to_an_ascii_letter_in_python() -> None:
    """Why ASCII case folding in the core equals Python's Unicode IGNORECASE on these texts."""
    for c in range(128, 256):
        for letter in string.ascii_letters:
            assert re.compile(letter, re.IGNORECASE).match(chr(c)) is None, (c, letter)


@needs_core
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_cue_spans_are_re_finditer_spans(text: str) -> None:
    for rx in _cue_regexes():
        assert native_text.finder_for(rx) is not None
        assert native_text.spans(rx, text) == [m.span() for m in rx.finditer(text)]


@needs_core
def test_texts_beyond_latin1_and_unsupported_regexes_run_on_re() -> None:
    rx = cues.vocab().name_cues
    text = "son \u212a Daughter"  # the Kelvin sign folds to k in Python: this text stays on re
    assert native_text.spans(rx, text) == [m.span() for m in rx.finditer(text)]
    assert native_text.finder_for(re.compile("(a)")) is None
    assert native_text.finder_for(re.compile("a(?=b)")) is None


def test_the_re_setting_keeps_the_cues_on_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_match.ENV_ENGINE, "re")
    assert native_text.finder_for(cues.vocab().name_cues) is None
