"""NAME, ADDRESS, CITY, AGE_OVER_89: what is caught, what is not, and sanitize leaves none behind."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import contains_phi, find_spans, sanitize
from engine.phi.names import dictionaries, is_name_cell, name_pair

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Unambiguous names from the shipped dictionaries (not common English words).
FIRST = ["Maria", "James", "Linda", "Robert", "Susan", "Carlos", "Jennifer", "Luis", "Patricia", "Kevin"]
LAST = ["Gonzalez", "Johnson", "Nguyen", "Patel", "Ortega", "Moreno", "Williams", "Garcia", "Okafor", "Rodriguez"]
first = st.sampled_from(FIRST)
last = st.sampled_from(LAST[:8])  # in the surname dictionary
any_last = st.sampled_from(LAST)  # Okafor is not: found only with a context word
TITLES = ["Dr.", "Mrs.", "Mr.", "Ms.", "Dr"]
LABELS = ["Patient:", "signed by", "cc:", "mother:", "Subject:", "Attending:"]
STREETS = ["Alder Creek Rd", "Main St", "Elm Street", "Oak Avenue", "Sunset Blvd", "Maple Dr", "Lakeview Ct"]

name_with_context = st.one_of(
    st.builds(lambda t, f, s: (f"seen by {t} {f} {s} today", f"{f} {s}"), st.sampled_from(TITLES), first, any_last),
    st.builds(lambda t, s: (f"per {t} {s}, plan", s), st.sampled_from(TITLES), any_last),
    st.builds(lambda lab, f, s: (f"{lab} {f} {s}", f"{f} {s}"), st.sampled_from(LABELS), first, any_last),
    st.builds(lambda rel, f: (f"his {rel} {f} called", f), st.sampled_from(["wife", "daughter", "son"]), first),
)
name_free = st.builds(lambda f, s: (f"{f} {s} called about refills", f"{f} {s}"), first, last)
address = st.builds(
    lambda n, street, unit: (f"lives at {n} {street}{unit}, alone", f"{n} {street}"),
    st.integers(1, 99999),
    st.sampled_from(STREETS),
    st.sampled_from(["", " Apt 4B", ", Suite 200"]),
)
city_zip = st.builds(
    lambda c, s, z: (f"moved to {c}, {s} {z:05d}", c),
    st.sampled_from(["Springfield", "San Francisco", "Winston-Salem", "Boston", "Salt Lake City"]),
    st.sampled_from(["MA", "CA", "NC", "UT", "NY"]),
    st.integers(1001, 99950),
)
age = st.builds(
    lambda n, fmt: (fmt.format(n), str(n)),
    st.integers(90, 125),
    st.sampled_from(["age {}", "aged {}", "{}-year-old man", "{} y/o F", "Age: {}", "{} years old"]),
)


@FAST
@given(st.one_of(name_with_context, name_free, address, city_zip, age))
def test_sanitize_leaves_no_generated_name_address_or_age(item: tuple[str, str]) -> None:
    text, value = item
    clean = sanitize(text)
    assert value not in clean
    assert contains_phi(text) and not contains_phi(clean)
    assert sanitize(clean) == clean


@pytest.mark.parametrize(
    "text",
    [
        "started Lasix 40 mg daily",
        "Warfarin held",
        "history of Parkinson disease",
        "Parkinson's disease",
        "Crohn's disease flare",
        "Apgar score 9",
        "West Nile virus",
        "Lyme disease",
        "Wilson disease",
        "Graves disease",
        "Bell palsy",
        "Down syndrome",
        "Lou Gehrig disease",
        "Hodgkin lymphoma",
        "patient Glasgow coma scale 15",
        "may return in March",
        "will follow up in May",
        "May be discharged",
        "Will follow up",
        "Hope this helps",
        "Grace period",
        "Will Smith",
        "Hope Johnson",
        "Gene Wilson",
        "Forest Green",
        "Sunny Hill",
        "glucose 93",
        "HR 95 bpm",
        "age 45",
        "93 mg",
        "Patient Education",
        "Patient Portal",
        "Patient Reports pain",
        "Review Of Systems",
        "Chief Complaint",
        "Mercy Hospital",
        "Blood Pressure",
        "Follow Up",
        "5 Point Scale",
        "age 93.5 kg",
    ],
)
def test_hard_negatives_are_not_flagged(text: str) -> None:
    assert find_spans(text) == [], [(s.category, text[s.start : s.end]) for s in find_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Jane Moreno saw her", [("NAME", "Jane Moreno")]),
        ("Mrs. Okafor called", [("NAME", "Okafor")]),
        ("Patient: Luis Ortega", [("NAME", "Luis Ortega")]),
        ("mother: Mary Jones", [("NAME", "Mary Jones")]),
        ("Will Smith called; Dr. Will Smith", [("NAME", "Will Smith")]),
        (
            "lives at 1420 Alder Creek Rd, Springfield, MA 02139",
            [("ADDRESS", "1420 Alder Creek Rd"), ("CITY", "Springfield"), ("ZIP", "02139")],
        ),
        ("PO Box 123", [("ADDRESS", "PO Box 123")]),
        ("a 93-year-old woman", [("AGE_OVER_89", "93")]),
        ("James Parkinson described it", [("NAME", "James Parkinson")]),
    ],
)
def test_found_spans(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(s.category, text[s.start : s.end]) for s in find_spans(text)] == expected


def test_dictionary_rules() -> None:
    d = dictionaries()
    assert "MARIA" in d.first and "GONZALEZ" in d.surnames and "WILL" in d.needs_context
    assert "LASIX" not in d.surnames and "BROWN" in d.common
    assert name_pair("Maria Gonzalez") and name_pair("John Brown") and name_pair("Maria Elena Gonzalez")
    assert (
        not name_pair("Will Gonzalez")
        and not name_pair("Forest Green")
        and name_pair("Heather Brown")
        and not name_pair("Parkinson Disease")
    )
    assert is_name_cell("Gonzalez") and is_name_cell("Gonzalez, Maria") and not is_name_cell("Chest pain")


def test_guard_tier_and_column_context() -> None:
    assert [s.category for s in find_spans("Zyx Qwerty", column="patient_name")] == ["NAME"]
    assert find_spans("Zyx Qwerty", column="notes") == []
    assert find_spans("Zyx Qwerty", column="patient_name", category=None) != []
    assert [s.category for s in find_spans("12 Elm", category="ADDRESS")] == ["ADDRESS"]
    assert find_spans("age 93", tier="guard")[0].category == "AGE_OVER_89"
