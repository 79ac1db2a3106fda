"""deidentify and dates: years only, 90+ from a recorded as_of, per-subject shifts (in free text too)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import StageStatus
from stages.components import DeidentifiedDataset
from tests.e2e.conftest import load_report, rflow
from tests.stages.conftest import run, write

ENTITY = "input:dataset"


def _deid(path: Path, ws: Path, mode: str = "DEMO", **config: object):
    r = run(["upload", "deidentify"], path, ws, {"deidentify": config}, mode=mode)
    result = r.result("deidentify")
    deid = r.component(ENTITY, DeidentifiedDataset)
    rows: list[dict[str, str]] = []
    if deid is not None:
        with (ws / deid.path).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    return result, rows


def test_as_of_decides_every_age_and_is_recorded(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", "id,birth_year,dob\n1,1936,1936-06-01\n2,1970,1970-01-31\n")
    result, rows = _deid(src, ws, as_of="2025-12-31")
    assert result.status is StageStatus.COMPLETED, result.errors
    assert result.output["as_of"] == {"year": 2025, "source": "config"}
    assert [r["birth_year"] for r in rows] == ["1936", "1970"] and [r["dob"] for r in rows] == ["1936", "1970"]
    result, rows = _deid(src, ws, as_of="2026")
    assert [r["birth_year"] for r in rows] == ["90+", "1970"] and [r["dob"] for r in rows] == ["90+", "1970"]
    assert "1936" not in (ws / "deidentified" / "dataset.csv").read_text()


def test_without_as_of_the_run_year_is_used_and_recorded(tmp_path: Path, ws: Path) -> None:
    result, _ = _deid(write(tmp_path / "a.csv", "id,dob\n1,1980-01-01\n"), ws)
    assert result.output["as_of"] == {"year": dt.datetime.now(dt.UTC).year, "source": "run date"}


def test_a_bad_as_of_fails_in_one_line(tmp_path: Path, ws: Path) -> None:
    result, _ = _deid(write(tmp_path / "a.csv", "id,dob\n1,1980-01-01\n"), ws, as_of="2026-13-45")
    assert result.status is StageStatus.FAILED and result.errors == ("config as_of: not a date (YYYY-MM-DD) "
                                                                     "or a year (YYYY)",)


@settings(max_examples=40, deadline=None)
@given(born=st.integers(min_value=1900, max_value=2020), as_of=st.integers(min_value=2000, max_value=2100))
def test_a_birth_year_is_kept_only_below_ninety(tmp_path_factory: object, born: int, as_of: int) -> None:
    tmp = tmp_path_factory.mktemp("dob")  # type: ignore[attr-defined]
    ws = tmp / "run"
    ws.mkdir()
    result, rows = _deid(write(tmp / "a.csv", f"id,year_of_birth\n1,{born}\n"), ws, as_of=str(as_of))
    assert result.status is StageStatus.COMPLETED, result.errors
    assert rows[0]["year_of_birth"] == ("90+" if as_of - born > 89 else str(born))


def test_dates_in_other_forms_keep_only_the_year(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", "id,seen\n1,4 Mar 2021\n2,04-Mar-2022\n3,\"March 4, 2023\"\n")
    result, rows = _deid(src, ws)
    assert result.output["inputs"]["dataset"]["actions"]["seen"]["action"] == "year"
    assert [r["seen"] for r in rows] == ["2021", "2022", "2023"]


def test_shift_applies_the_subject_offset_to_dates_in_its_notes(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", "subject_id,visit_date,notes\n"
                "S1,2024-02-01,seen 2024-02-01 follow up\nS2,2024-02-01,seen 2024-02-01 follow up\n")
    result, rows = _deid(src, ws, dates="shift", max_shift_days=60)
    assert result.status is StageStatus.COMPLETED, result.errors
    for row in rows:
        assert row["notes"] == f"seen {row['visit_date']} follow up"
    assert rows[0]["visit_date"] != rows[1]["visit_date"]  # a different offset per subject
    assert result.output["inputs"]["dataset"]["rescan"]["residual_findings"] == 0


def test_shift_without_a_subject_column_warns_in_demo_and_is_refused_in_live(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", "visit_date,lab\n2024-02-01,7.1\n2024-03-01,6.9\n")
    result, _ = _deid(src, ws, dates="shift")
    assert result.status is StageStatus.COMPLETED
    assert any("needs a subject column" in w for w in result.warnings)
    result, rows = _deid(src, ws, "LIVE", dates="shift")
    assert result.status is StageStatus.BLOCKED and len(result.errors) == 1 and rows == []
    assert "needs a subject column" in result.errors[0]


MANIFEST = """\
apiVersion: rflow/v1
kind: Pipeline
metadata: {name: shift-live, version: "1.0.0"}
inputs:
  - name: dataset
steps:
  - id: upload
    stage: upload
  - id: deidentify
    stage: deidentify
    config: {dates: shift}
governance:
  default_mode: LIVE
  modes:
    LIVE: {steps: [upload, deidentify], phi_policy: warn, require: []}
"""


def test_live_shift_refusal_at_the_cli(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST)
    data = write(tmp_path / "visits.csv", "visit_date,lab\n2024-02-01,7.1\n2024-03-01,6.9\n")
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--input", f"dataset={data}", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "needs a subject column" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    report = load_report(out)
    step = next(s for s in report["steps"] if s["step_id"] == "deidentify")
    assert step["status"] == "blocked" and len(step["errors"]) == 1
    assert not list(out.rglob("deidentified/*.csv"))
    assert "2024-02-01" not in json.dumps(report)


def test_a_shift_past_the_first_or_last_year_leaves_no_date(tmp_path: Path, ws: Path) -> None:
    """0001-01-01 shifted back (9999-12-31 forward) is no date Python can write: the column's cell
    becomes the date token instead of the step failing on an OverflowError (in free text the
    registry's date rules do not take such years)."""
    days = ("0001-01-01", "9999-12-31")
    lines = [f"{subject},{day},seen {day}" for subject in ("S1", "S2", "S3", "S4") for day in days]
    src = write(tmp_path / "a.csv", "patient_id,visit_date,notes\n" + "\n".join(lines) + "\n")
    result, rows = _deid(src, ws, dates="shift", subject_column="patient_id", max_shift_days=3)
    assert result.status is StageStatus.COMPLETED, result.errors
    cells = [r["visit_date"] for r in rows]
    assert "0001-01-01" not in cells and "9999-12-31" not in cells and "[PHI:DATE]" in cells
    assert all(c == "[PHI:DATE]" or c[:4] in ("0001", "9999") for c in cells)
