"""Geography smaller than a state: towns no gazetteer lists are found by their cue; states,
countries, credentials and institutions are not places."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize
from engine.phi.cues import english
from engine.phi.places import gazetteer, is_city

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_ONSETS = ["b", "d", "g", "k", "l", "m", "n", "p", "r", "t", "v", "w", "kw", "sk", "tr", "ch"]
_VOWELS = ["a", "e", "i", "o", "u", "ee", "oa", "ay"]
_ENDINGS = ["", "ville", "burg", "ton", "ford", " Springs", " Heights", " Falls"]
town = st.builds(
    lambda parts, end: "".join(parts).capitalize() + end,
    st.lists(st.builds(lambda c, v: c + v, st.sampled_from(_ONSETS), st.sampled_from(_VOWELS)), min_size=2, max_size=3),
    st.sampled_from(_ENDINGS),
).filter(lambda n: not english(n.split()[0]))  # a town named like an English word ("Dodo") is a known limit
# States whose two-letter code is not also a common credential or word.
STATES = ["AZ", "CA", "CT", "FL", "IA", "ID", "KS", "KY", "MN", "MT", "NC", "NE", "NH", "NJ", "NM", "NV", "NY",
          "RI", "SC", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"]  # fmt: skip
PLACE_CUES = [
    "Lives in {} with her sister.", "pt lives in {}, works nights", "Resident of {}.", "moved to {} last spring",
    "Moved from {} in 2019.", "born in {}", "grew up in {}; no travel", "relocated to {} for work",
]  # fmt: skip


def _covered(text: str, value: str) -> bool:
    start = text.index(value)
    spans = [s for s in find_spans(text) if s.category == "CITY"]
    return all(any(s.start <= k < s.end for s in spans) for k in range(start, start + len(value)) if text[k] != " ")


@FAST
@given(town, st.sampled_from(STATES), st.sampled_from(["", " 04412", ". Next visit"]))
def test_town_before_a_state_code(name: str, state: str, tail: str) -> None:
    text = f"Address on file: {name}, {state}{tail}"
    assert _covered(text, name), (text, find_spans(text))
    assert name.split()[0] not in sanitize(text)


@FAST
@given(st.sampled_from(PLACE_CUES), town)
def test_town_after_a_place_cue(cue: str, name: str) -> None:
    text = cue.format(name)
    assert _covered(text, name), (text, find_spans(text))


@FAST
@given(town.filter(lambda n: " " not in n), st.sampled_from(["County", "Parish", "Borough"]))
def test_county(name: str, word: str) -> None:
    text = f"referred from {name} {word} health department"
    assert _covered(text, f"{name} {word}"), (text, find_spans(text))


def test_gazetteer_is_evidence_where_the_cue_is_weak() -> None:
    g = gazetteer()
    assert is_city("Baltimore", "MD") and is_city("Tulsa") and "MASSACHUSETTS" in g.state_names
    assert "GeoNames" in g.source and "CC BY 4.0" in g.source
    # MD is a state and a degree: the gazetteer or a ZIP decides.
    assert [(s.category, "Baltimore, MD"[s.start : s.end]) for s in find_spans("Baltimore, MD")] == [
        ("CITY", "Baltimore")
    ]
    assert [s.category for s in find_spans("Okonkwo, MD 21201")] == ["CITY", "ZIP"]
    assert [s.category for s in find_spans("Okonkwo, MD")] == []
    # "from X" is weak: a gazetteer town or a word that is no English word.
    assert [s.category for s in find_spans("visiting from Tulsa")] == ["CITY"]
    assert [s.category for s in find_spans("transferred from Lagos")] == ["CITY"]
    assert find_spans("from Monday to Friday") == []


@pytest.mark.parametrize(
    "text",
    [
        "moved to Ohio",
        "born in Nigeria",
        "from Mexico",
        "lives in Texas",
        "Smith, MD",
        "Jane Doe, PA-C",
        "in West Nile virus titer",
        "Mercy Hospital discharge",
        "moved to ICU",
        "from Cardiology",
        "in Trendelenburg position",
        "lives in Assisted Living",
        "seen in the Emergency Department",
        "Thanks, OK",
    ],
)
def test_not_places(text: str) -> None:
    assert [s for s in find_spans(text) if s.category == "CITY"] == [], find_spans(text)
