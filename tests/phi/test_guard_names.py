"""The output guard and the log filter recognise names and places, not only patterns."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.execution.guard import check_output
from engine.phi import install_log_filter
from engine.phi.logfilter import field_has_phi, sanitize_field

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GIVEN = ["Adebayo", "Ngozi", "Haruto", "Svetlana", "Wojciech", "Thandiwe", "Priyanka", "Kwabena"]
FAMILY = ["Okonkwo", "Nwachukwu", "Takahashi", "Kuznetsova", "Papadopoulos", "Dlamini", "Raghunathan"]
KNOWN_GIVEN = ["Margaret", "Maria", "James", "Linda"]  # 1990 Census first names
ROLE_KEYS = ["top_patient", "patient", "contact_name", "next_of_kin", "attending", "daughter", "emergency_contact"]


def test_a_name_in_a_stage_output_is_refused() -> None:
    problems = check_output({"top_patient": "Margaret Okonkwo"})
    assert problems == ["output['top_patient'] is a string that looks like PHI"]
    assert "Okonkwo" not in " ".join(problems)


@FAST
@given(st.sampled_from(ROLE_KEYS), st.sampled_from(GIVEN + KNOWN_GIVEN), st.sampled_from(FAMILY))
def test_names_under_person_keys_are_refused(key: str, given_: str, family: str) -> None:
    for value in (f"{given_} {family}", family):
        assert check_output({"stats": {key: value}}), (key, value)
        assert check_output({"top": [{key: value}]}), (key, value)


@FAST
@given(st.sampled_from(KNOWN_GIVEN), st.sampled_from(FAMILY), st.sampled_from(["value", "top_value", "label", "x"]))
def test_a_dictionary_name_beside_an_unknown_one_is_refused_under_any_key(given_: str, family: str, key: str) -> None:
    assert check_output({key: f"{given_} {family}"})


@pytest.mark.parametrize(
    "output",
    [
        {"name": "deidentify", "status": "completed", "title": "Study Summary"},
        {"patient_count": 12, "subject_column": "subject_id", "mode": "DEMO"},
        {"name": "Summary", "stage": "phi_scan", "decision": "warn", "policy": "warn"},
        {"medication": "Metformin", "diagnosis": "Parkinson disease", "score": "Apgar 9"},
        {"city_column": "city", "columns_flagged": ["patient_name", "zip"]},
    ],
)
def test_ordinary_metadata_passes(output: dict[str, object]) -> None:
    assert check_output(output) == []


def test_field_checks_read_the_key_as_context() -> None:
    assert field_has_phi("patient", "Okonkwo") and not field_has_phi("status", "Okonkwo")
    assert sanitize_field("first_name", "Adebayo") == "[PHI:NAME]"
    assert sanitize_field("patient", "Okonkwo seen twice") == "[PHI:NAME] seen twice"
    assert sanitize_field("note", "Seen by Dr. Nwachukwu in Okemah, OK 74859") == (
        "Seen by Dr. [PHI:NAME] in [PHI:CITY], OK [PHI:ZIP]"
    )


@pytest.fixture
def log() -> tuple[logging.Logger, io.StringIO]:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    install_log_filter(handler)
    logger = logging.getLogger("rflow.test.guard_names")
    logger.handlers = [handler]
    logger.propagate = False
    return logger, buf


@FAST
@given(st.sampled_from(GIVEN), st.sampled_from(FAMILY), st.sampled_from(["dict", "list", "tuple"]))
def test_a_logged_row_does_not_print_the_name(given_: str, family: str, shape: str) -> None:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    install_log_filter(handler)
    logger = logging.getLogger(f"rflow.test.rows.{shape}")
    logger.handlers = [handler]
    logger.propagate = False
    cells = [f"{family}, {given_}", given_, family, "536-22-8714", "1961-04-02", 71.5]
    row: object
    if shape == "dict":
        row = dict(zip(["name", "first", "last", "ssn", "dob", "weight"], cells, strict=True))
    elif shape == "list":
        row = cells
    else:
        row = tuple(cells)
    logger.warning("first row: %s", row)
    out = buf.getvalue()
    assert given_ not in out and family not in out and "536-22-8714" not in out, out
    assert "71.5" in out  # the numbers of a row are not names


def test_log_lines_without_a_row_keep_their_words(log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, buf = log
    logger.warning("steps: %s", ["Upload", "Phi Scan", "Deidentify"])
    logger.warning("patient %s seen by Dr. %s", "Okonkwo", "Haruto Takahashi")
    out = buf.getvalue()
    assert "steps: ['Upload', 'Phi Scan', 'Deidentify']" in out
    assert "Okonkwo" not in out and "Takahashi" not in out
