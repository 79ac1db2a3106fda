"""The core's name and place cue rules give exactly the Python reference's spans.

The reference is ``cue_matches.find`` with ``RFLOW_PHI_CORE_CUES=0``; the core is
:func:`engine.phi.native_cues.find`. Generated texts mix cue phrases, titles, particles and
state codes (drawn from the loaded rules, so every rule is reached) with names from other
locales, random capitalisation, apostrophes, hyphens, accents, non-ASCII characters (bytes
above 0x7f in bytes mode) and punctuation; plus the project's corpora.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import cue_matches, cues, native, native_cues, places

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
pytestmark = needs_core


@pytest.fixture(autouse=True)
def _core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_PHI_REGEX", "auto")
    monkeypatch.delenv(native_cues.ENV, raising=False)


def python_find(text: str, bytes_mode: bool) -> list[tuple[int, int, str]]:
    old = os.environ.get(native_cues.ENV)
    os.environ[native_cues.ENV] = "0"
    try:
        return cue_matches.find(text, bytes_mode=bytes_mode)
    finally:
        if old is None:
            del os.environ[native_cues.ENV]
        else:
            os.environ[native_cues.ENV] = old


def same_bytes(data: bytes) -> None:
    want = python_find(data.decode("latin-1"), True)
    assert native_cues.find(data, True) == want
    assert native_cues.find(data.decode("latin-1"), True) == want


def same_str(text: str) -> None:
    got = native_cues.find(text, False)
    if any(ord(c) > 0xFF for c in text):
        assert got is None  # Python's rules run such a text
    else:
        assert got == python_find(text, False)


V = cues.vocab()
_RULES = V.rules
_phrases = sorted({*_RULES["names"]["roles"], *_RULES["names"]["phrases"], *_RULES["places"]["cues"],
                   *_RULES["places"]["weak_cues"]})  # fmt: skip
_names = [
    "Okonkwo", "Adaeze", "Nguyễn", "Thị", "Wojciechowska", "Søren", "Ærø", "Björk", "Müller-Lüdenscheidt",
    "O'Brien", "D'Angelo", "d'Souza", "al-Hassan", "van der Berg", "de la Cruz", "MacLeod", "Ng", "Wei",
    "Yasaman", "EZE", "REXDONDLOU", "LITAI", "Tuomas", "Kowalczuk", "Siobhán", "Zoë", "Łukasz", "Ðorđe",
    "Margaret", "Hope", "Grant", "Will", "May", "Heather", "Brown", "Holly", "Springs", "Parkinson",
    "Foley", "Lasix", "Mercy", "Hospital", "Cook", "County", "Tulsa", "Bellwood", "Heights", "Okemah",
    "Springfield", "Salt", "Lake", "City", "Baltimore", "Lagos", "Reading", "West", "Nile", "MD", "PA",
    "HR", "ENT", "Jr", "St", "Gonzalez", "Maria", "Vasquez-Trinh", "OKONKWO", "İlkay", "Ōsaka", "Σοφία",
]  # fmt: skip
_words = ["the", "and", "patient", "was", "seen", "today", "disease", "syndrome", "virus", "named", "at",
          "bedside", "is", "of", "stable", "follow", "up", "Stable", "Protocol", "Education", "Cancer"]  # fmt: skip
_states = [*list(places.gazetteer().states.values())[:8], "OK", "MA", "TX", "UT", "ZZ"]
_punct = [" ", " ", " ", "  ", ", ", ". ", ": ", "; ", "\n", "\t", " (", ") ", ' "', '" ', "'", "-", "\u2019", "'s ",
          " 74859", " 02134-1234", "\u00a0", "\r\n", ",", " #", "=", " 4 "]  # fmt: skip
_odd = st.text(st.characters(min_codepoint=0x80, max_codepoint=0x2FF), min_size=1, max_size=3)
_unicode = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=4)


def _case(draw: Any, word: str) -> str:
    how = draw(st.sampled_from(["as", "as", "upper", "lower", "title", "swap"]))
    return {"as": word, "upper": word.upper(), "lower": word.lower(), "title": word.title(),
            "swap": word.swapcase()}[how]  # fmt: skip


@st.composite
def texts(draw: Any, wide: bool) -> str:
    parts: list[str] = []
    titles = sorted(V.titles)
    for _ in range(draw(st.integers(1, 24))):
        kind = draw(st.integers(0, 12))
        name = draw(st.sampled_from(_names))
        if kind >= 10:  # a rule's shape: cue and name, place and state, place and county, title and name
            shape = draw(st.integers(0, 4))
            second = draw(
                st.sampled_from(["", " " + draw(st.sampled_from(_names)), ", " + draw(st.sampled_from(_names))])
            )
            if shape == 0:
                parts.append(draw(st.sampled_from(_phrases)) + draw(st.sampled_from([" ", ": ", " the ", ", named "])))
                parts.append(_case(draw, name) + second)
            elif shape == 1:
                parts.append(name + second + ", " + draw(st.sampled_from(_states)))
            elif shape == 2:
                parts.append(name + second + " " + draw(st.sampled_from(_RULES["places"]["county_words"])))
            elif shape == 3:
                parts.append(
                    draw(st.sampled_from(titles)) + draw(st.sampled_from([". ", " ", ".  de "])) + name + second
                )
            else:
                parts.append(name + second + " " + draw(st.sampled_from([*_words, "disease", "Hospital"])))
        elif kind <= 2:
            parts.append(_case(draw, name))
        elif kind == 3:
            parts.append(_case(draw, draw(st.sampled_from(_phrases))))
        elif kind == 4:
            parts.append(draw(st.sampled_from(titles)) + draw(st.sampled_from([".", "", ". "])))
        elif kind == 5:
            parts.append(_case(draw, draw(st.sampled_from(_words))))
        elif kind == 6:
            parts.append(draw(st.sampled_from(_states)))
        elif kind == 7:
            parts.append(draw(_unicode if wide else _odd))
        else:
            parts.append(draw(st.text("AbcDéÉßx'-\u2019Zz", min_size=1, max_size=8)))
        parts.append(draw(st.sampled_from(_punct)))
    return "".join(parts)


SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts(wide=True))
def test_bytes_mode_matches_python(text: str) -> None:
    same_bytes(text.encode("utf-8"))


@SETTINGS
@given(texts(wide=False))
def test_str_mode_matches_python(text: str) -> None:
    same_str(text)


@SETTINGS
@given(texts(wide=True))
def test_str_mode_wide_text_is_left_to_python(text: str) -> None:
    same_str(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_match_python(data: bytes) -> None:
    same_bytes(data)


def test_known_examples() -> None:
    for text in [
        "Seen by Dr. Adebayo Okonkwo in Tulsa, OK 74101. Patient: EZE, Yasaman lives in Bellwood Heights.",
        'Margaret "Peggy" Okonkwo spoke with daughter Adaeze; Cook County; from Lagos; Mercy Hospital',
        "OKONKWO, Hope and Vasquez-Trinh, Grant; seen by NG, Wei; José Núñez García lives in São Paulo",
        "Seen by REXDONDLOU LITAI. Dr. van der Westhuizen. Smith, MD. Baltimore, MD 21201.",
    ]:
        same_str(text)
        same_bytes(text.encode("utf-8"))
    assert native_cues.find("Dr. Ann Lee", False)


def test_corpora_match_python() -> None:
    from phi_corpus import dense_block, write
    from phi_corpus_unseen import write as write_unseen

    same_bytes(dense_block(300))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        same_bytes(write(out / "names.csv", 400, names=True).read_bytes())
        same_bytes(write(out / "notes.csv", 300).read_bytes())
        write_unseen(out / "unseen", rows=300)
        for path in sorted((out / "unseen").rglob("*.csv")):
            data = path.read_bytes()
            same_bytes(data)
            same_str(data.decode("utf-8", "replace"))


def test_matches_dispatch_to_the_core(monkeypatch: pytest.MonkeyPatch) -> None:
    data = ("Seen by Dr. Adebayo Okonkwo in Tulsa, OK 74101. " * 200).encode()
    native_spans = [(m[1], m[4], m[0].category.name) for m in cue_matches.matches(data)]
    monkeypatch.setenv(native_cues.ENV, "0")
    assert native_spans == [(m[1], m[4], m[0].category.name) for m in cue_matches.matches(data)]
    assert native_spans
