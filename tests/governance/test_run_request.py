"""One run, asked for as a RunRequest or as keywords: the same run, its governance decided once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine.orchestrate as orchestrate
from engine import RunRequest, run_manifest

ROOT = Path(__file__).resolve().parents[2]
LIVE = ROOT / "manifests" / "study-live.yaml"
DATA = ROOT / "engine" / "data" / "demo_study.csv"


def _decisions(report_path: Path) -> list[tuple[str, str, str]]:
    data = json.loads(report_path.read_text("utf-8"))
    return [(d["policy"], d["outcome"], d["reason"]) for d in data["policy_decisions"]]


def test_a_request_runs_as_its_keywords_do(tmp_path: Path) -> None:
    by_keywords = run_manifest(LIVE, inputs={"dataset": DATA}, out_dir=tmp_path / "a", job_id="job-1")
    by_request = run_manifest(RunRequest(manifest=LIVE, inputs={"dataset": DATA}, out_dir=tmp_path / "b",
                                         job_id="job-1"))
    assert by_keywords.status == by_request.status == "refused"
    assert by_keywords.exit_code == by_request.exit_code == 3
    assert _decisions(by_keywords.path) == _decisions(by_request.path)
    assert [s.status for s in by_keywords.steps] == [s.status for s in by_request.steps]


def test_preflight_is_decided_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = orchestrate.preflight

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(orchestrate, "preflight", counted)
    report = run_manifest(RunRequest(manifest=LIVE, inputs={"dataset": DATA}, out_dir=tmp_path / "run"))
    assert report.status == "refused"
    assert len(calls) == 1
    audit = [json.loads(line) for line in (tmp_path / "run" / "audit.jsonl").read_text("utf-8").splitlines()]
    finished = [entry for entry in audit if entry.get("event") == "run_finished"]
    assert len(finished) == 1 and finished[0]["data"]["exit_code"] == report.exit_code


def test_a_request_and_keywords_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not both"):
        run_manifest(RunRequest(manifest=LIVE), out_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()
