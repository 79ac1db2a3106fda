"""A run that governance refuses starts nothing: no step, no worker pool, no cluster."""

from __future__ import annotations

from pathlib import Path

from engine.execution.executors.daskexec import DaskExecutor
from engine.orchestrate import run_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_refused_run_never_starts_its_executor(tmp_path, monkeypatch) -> None:
    def explode(self) -> None:
        raise AssertionError("executor started for a refused run")

    monkeypatch.setattr(DaskExecutor, "start", explode)
    report = run_manifest(
        ROOT / "manifests" / "study-live.yaml",
        inputs={"dataset": ROOT / "engine" / "data" / "demo_study.csv"},
        out_dir=tmp_path / "run",
        executor={"executor": "dask", "address": "local:2"},
    )
    assert report.status == "refused"
    assert {s.status for s in report.steps} == {"blocked"}

