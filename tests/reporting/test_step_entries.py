"""A run report's steps are typed entries; report.json keeps the keys, order and values it always had."""

from __future__ import annotations

import json
from pathlib import Path

from engine import StageResult, StepEntry, run_manifest
from engine.reporting.run_report import read_report

# The step object of report.json, in its order: the result's fields, then errors_recorded if any.
STEP_KEYS = ["status", "output", "artifacts", "errors", "warnings", "stage_id", "stage_key", "stage_name",
             "stage_version", "step_id", "started_at", "finished_at", "duration_s", "blocked_by", "unusable_input"]


def _result(**kw: object) -> StageResult:
    base: dict[str, object] = dict(output={"rows": 3, "errors_total": 2}, artifacts=("a.csv",), warnings=("w",),
                                   stage_id=5, stage_key="validate", stage_name="Validate", stage_version="1.0.0",
                                   step_id="check", started_at=1_700_000_000.25, finished_at=1_700_000_001.5,
                                   duration_s=1.25, phi_findings=4)
    base.update(kw)
    return StageResult.completed(**base)  # type: ignore[arg-type]


def test_an_entry_is_the_report_object_it_always_was() -> None:
    data = StepEntry.from_result(_result()).to_dict()
    assert list(data) == [*STEP_KEYS, "errors_recorded"]
    assert data["started_at"] == "2023-11-14T22:13:20.250000Z" and data["errors_recorded"] == 2
    assert data["artifacts"] == ["a.csv"] and "phi_findings" not in data
    clean = StepEntry.from_result(_result(output={"rows": 3})).to_dict()
    assert list(clean) == STEP_KEYS


def test_an_entry_reads_back_from_its_json() -> None:
    entry = StepEntry.from_result(_result())
    assert StepEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
    failed = StepEntry.from_result(StageResult.failed("bad input", output={"errors_total": 9}))
    assert failed.errors == ("bad input",) and failed.errors_recorded == 0


def test_a_run_reports_typed_steps_that_match_its_file(tmp_path: Path) -> None:
    report = run_manifest(out_dir=tmp_path / "run")
    on_disk = json.loads((report.run_dir / "report.json").read_bytes())["steps"]
    assert [s.to_dict() for s in report.steps] == on_disk
    assert [s.to_dict() for s in read_report(report.run_dir).steps] == on_disk
    first = report.steps[0]
    assert report.step(first.step_id) == first and first.status == "completed"
