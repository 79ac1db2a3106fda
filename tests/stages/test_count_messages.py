"""Counts in a step's messages survive the output guard: no count reads as a labelled identifier."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import load_registry, sanitize
from stages._common import format_counts

CATEGORIES = sorted({c.name for c in load_registry().categories} | {"NAME", "CITY", "ADDRESS", "HEADER_CELL"})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(CATEGORIES), st.integers(min_value=0, max_value=10**7), min_size=1))
def test_category_counts_are_shown_as_written(counts: dict[str, int]) -> None:
    text = format_counts(counts)
    assert sanitize(text) == text
    assert all(f"{v} {k}" in text for k, v in counts.items())


def test_a_count_after_mrn_is_not_hidden() -> None:
    # "3090 MRN, 3110 NAME" once showed as "3090 MRN, [PHI:MRN] NAME" in the run's closing table.
    text = format_counts({"MRN": 3090, "NAME": 3110, "BIOMETRIC": 123456, "CREDIT_CARD": 123456})
    assert sanitize(text) == text == "123456 BIOMETRIC; 123456 CREDIT_CARD; 3090 MRN; 3110 NAME"
