"""``rflow runs`` and the run's closing lines, through the real CLI: history newest first, older
(v1, epoch-second) reports, ISO timestamps, "completed with N errors", a table that fits COLUMNS."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import jsonschema
import pytest

from engine.core.display import shown
from engine.core.timestamps import epoch
from engine.reporting.run_report import report_schema

from .conftest import demo_with_a_schema_error, load_report, rflow

ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.fixture(scope="module")
def broken_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_with_a_schema_error(tmp_path_factory.mktemp("data") / "visits.csv", 20)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, broken_csv: Path) -> tuple[Path, list[str]]:
    base = tmp_path_factory.mktemp("history")
    outputs = []
    for name, columns in (("first", "72"), ("second", "130")):
        proc = rflow("run", "--input", f"dataset={broken_csv}", "--out", str(base / "runs" / name), cwd=base,
                     env={"COLUMNS": columns})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs.append(proc.stdout)
    return base / "runs", outputs


def test_report_timestamps_are_iso_8601_utc(two_runs) -> None:
    runs, _ = two_runs
    report = load_report(runs / "first")
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    assert report["schema"] == "rflow/run-report/v2"
    started = dt.datetime.strptime(report["started_at"], ISO)
    finished = dt.datetime.strptime(report["finished_at"], ISO)
    assert started <= finished
    assert abs((finished - started).total_seconds() - report["duration_s"]) < 0.01
    for step in report["steps"]:
        if step["started_at"] is not None:
            assert report["started_at"] <= step["started_at"] <= step["finished_at"] <= report["finished_at"]


def test_completed_with_errors_is_said_in_the_report_table_and_history(two_runs) -> None:
    runs, outputs = two_runs
    report = load_report(runs / "first")
    schema_check = next(s for s in report["steps"] if s["step_id"] == "schema_check")
    assert schema_check["status"] == "completed"
    assert schema_check["errors_recorded"] == schema_check["output"]["errors_total"] > 0
    n = schema_check["errors_recorded"]
    said = f"completed with {n} error{'s' if n != 1 else ''}"
    assert all("errors_recorded" not in s for s in report["steps"] if s is not schema_check)
    assert f"schema_check {said}" in outputs[0]  # the progress line
    assert said in next(line for line in outputs[0].splitlines()
                                               if line.startswith("schema_check "))  # the table row
    assert f"{said} (mode DEMO" in outputs[0]  # the closing line
    listing = rflow("runs", str(runs), cwd=runs)
    assert listing.returncode == 0 and said in listing.stdout


def test_the_table_fits_the_terminal_width(two_runs) -> None:
    runs, outputs = two_runs
    for output, width, name in zip(outputs, (72, 130), ("first", "second"), strict=True):
        table = output[output.index("STEP "):output.index("\nrun ")]
        assert all(len(line) <= width for line in table.splitlines()), table
        steps = load_report(runs / name)["steps"]
        notes = [(s["errors"] or s["warnings"])[0] for s in steps if s["errors"] or s["warnings"]]
        assert notes
        for note in notes:  # every note whole, wrapped, not cut
            assert " ".join(shown(note).split()) in " ".join(table.split()), (note, table)
    narrow, wide = (len(out[out.index("STEP "):].splitlines()) for out in outputs)
    assert wide < narrow  # the wider terminal needs fewer continuation lines


def test_runs_lists_newest_first_with_when_and_duration(two_runs) -> None:
    runs, _ = two_runs
    proc = rflow("runs", str(runs), "--json", cwd=runs)
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert [e["folder"] for e in entries] == ["second", "first"]
    for entry in entries:
        assert {"run_id", "started_at", "pipeline", "mode", "status", "duration_s"} <= set(entry)
        assert entry["pipeline"] == "demo" and entry["mode"] == "DEMO" and entry["status"] == "completed"
        dt.datetime.strptime(entry["started_at"], ISO)
    text = rflow("runs", str(runs), cwd=runs).stdout.splitlines()
    assert text[0].split()[:3] == ["RUN", "STARTED", "(UTC)"]
    assert [line.split()[-1] for line in text[1:]] == ["second", "first"]


def test_an_older_report_with_epoch_timestamps_still_reads(two_runs, tmp_path) -> None:
    runs, _ = two_runs
    old = tmp_path / "old-run"
    old.mkdir()
    for name in ("report.json", "audit.jsonl"):
        (old / name).write_bytes((runs / "first" / name).read_bytes())
    report = json.loads((old / "report.json").read_text())
    report["schema"] = "rflow/run-report/v1"
    for holder in [report, *report["steps"]]:
        for field in ("started_at", "finished_at"):
            holder[field] = epoch(holder[field])
    (old / "report.json").write_text(json.dumps(report))
    [entry] = json.loads(rflow("runs", str(old), "--json", cwd=tmp_path).stdout)
    assert entry["report_schema"] == "rflow/run-report/v1"
    assert abs(epoch(entry["started_at"]) - report["started_at"]) < 1e-5
    verify = rflow("audit", "verify", str(old), cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_runs_of_a_folder_without_runs_and_of_a_missing_folder(tmp_path) -> None:
    empty = rflow("runs", str(tmp_path), cwd=tmp_path)
    assert empty.returncode == 0 and empty.stdout == "" and "no run folders" in empty.stderr
    assert json.loads(rflow("runs", str(tmp_path), "--json", cwd=tmp_path).stdout) == []
    missing = rflow("runs", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert os.fspath(tmp_path / "nope") in missing.stderr
