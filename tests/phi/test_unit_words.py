"""Abbreviated units of age and time written capitalised ("45 Yrs Old", "3 Wks") are no name.

The no-cue name rule takes an unknown capitalised word before a dictionary surname for a name
("Adaeze Johnson"); "Yrs" before "Old" (a surname too) looked like one, so an age column's
"0 Yrs Old" was scrubbed and its rescan failed a LIVE run on a false residual.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import scan_text

UNITS = ["Yrs", "Yr", "Yo", "Mos", "Mths", "Wks", "Wk", "Hrs", "Hr", "Mins", "Secs"]
AFTER = ["Old", "Ago", "Post", "Prior", "Later", "Young", "Long"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 120), st.sampled_from(UNITS), st.sampled_from(AFTER), st.sampled_from([" ", "", "  "]),
       st.sampled_from(["{t}", "Age: {t}", "pt is {t}, stable", "{t}."]))
def test_a_number_and_a_unit_word_hold_no_name(n: int, unit: str, after: str, gap: str, frame: str) -> None:
    text = frame.format(t=f"{n}{gap}{unit} {after}")
    assert [f.category for f in scan_text(text) if f.category == "NAME"] == [], text


def test_a_name_after_a_unit_word_is_still_found() -> None:
    assert "NAME" in {f.category for f in scan_text("45 Yrs Old, seen by Dr. Adaeze Okonkwo")}
