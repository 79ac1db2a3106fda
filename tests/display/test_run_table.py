"""The closing run table: it wraps its NOTE to the width it is given instead of cutting it,
and a step that completed with recorded errors says so."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.display import shown
from engine.execution.progress import run_status, step_status, summary_table

WORDS = st.text(alphabet="abcdefghijklnopqrstuvwxyz0123456789(),'", min_size=1, max_size=30)  # no m: never "completed"


def _step(step_id: str, note: str = "", *, status: str = "completed", output: dict[str, Any] | None = None,
          errors: bool = False) -> dict[str, Any]:
    return {"step_id": step_id, "stage_key": "schema_check", "stage_version": "1.0.0", "status": status,
            "duration_s": 0.25, "errors": [note] if errors and note else [],
            "warnings": [note] if note and not errors else [], "output": output or {}}


def _words(text: str) -> list[str]:
    return text.split()


@settings(max_examples=200, deadline=None)
@given(notes=st.lists(st.lists(WORDS, min_size=0, max_size=40).map(" ".join), min_size=1, max_size=5),
       width=st.integers(min_value=50, max_value=240))  # the four short columns take 43
def test_notes_wrap_within_the_width_and_lose_no_word(notes: list[str], width: int) -> None:
    report = {"steps": [_step(f"step_{i}", note) for i, note in enumerate(notes)]}
    table = summary_table(report, width=width)
    for line in table.splitlines():
        assert len(line) <= width, (width, line)
    # every word of every note is still there, in order (a cut would lose the tail)
    body = " ".join(line.strip() for line in table.splitlines()[1:])
    assert _words(body).count("completed") >= len(notes)
    noted = [w for note in notes for w in _words(shown(note))]  # as sanitized, never raw
    shown_words = [w for w in _words(body) if w not in {"completed", "0.25s", "schema_check@1.0.0"}
                   and not w.startswith("step_")]
    assert "".join(shown_words) == "".join(noted)


def test_a_long_note_is_not_cut_at_any_common_width() -> None:
    note = ("input 'dataset': 17011 PHI finding(s) in 9 column(s) (4204 DATE, 2193 EMAIL, 2000 MRN, "
            "1990 NAME, 1800 PHONE, 1700 SSN, 1500 ZIP)")
    for width in (50, 60, 80, 120, 200):
        table = summary_table({"steps": [_step("phi_scan", note)]}, width=width)
        assert " ".join(note.split()) in " ".join(table.split()), table
        assert all(len(line) <= width for line in table.splitlines()), table
    assert len(summary_table({"steps": [_step("phi_scan", note)]}, width=300).splitlines()) == 2


def test_a_step_that_recorded_errors_says_how_many() -> None:
    step = _step("schema_check", output={"errors_total": 6})
    assert step_status(step) == "completed with 6 errors"
    assert step_status(_step("one", output={"errors_total": 1})) == "completed with 1 error"
    assert step_status(_step("clean", output={"errors_total": 0})) == "completed"
    assert step_status(_step("flag", output={"errors_total": True})) == "completed"  # not a count
    failed = _step("strict", status="failed", output={"errors_total": 6})
    assert step_status(failed) == "failed"  # on_errors: fail is a failure, as before
    assert "completed with 6 errors" in summary_table({"steps": [step]}, width=100)
    assert run_status({"status": "completed", "steps": [step, _step("other")]}) == "completed with 6 errors"
    assert run_status({"status": "failed", "steps": [step, failed]}) == "failed"
