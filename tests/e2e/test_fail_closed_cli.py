"""``rflow run`` fails closed: governance decisions compose, selections bring what they need.

Real CLI subprocesses, shipped manifests (edited where a case needs it), real files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from .conftest import ROOT, load_report, rflow, statuses
from .test_run_cli import DEMO_INPUT, LIVE, assert_valid_run

DEMO_STEPS = ["upload", "irb_check", "schema_check", "validate", "phi_scan", "deidentify", "summary"]
RAW_STEPS = {"upload", "schema_check", "validate", "phi_scan", "deidentify"}


def _edited(tmp_path: Path, source: str, edit) -> Path:
    yaml = YAML()
    data = yaml.load((ROOT / "manifests" / source).read_text())
    edit(data)
    target = tmp_path / source
    with target.open("w") as handle:
        yaml.dump(data, handle)
    return target


def _assert_blocked_by(report: dict, blocker: str, steps: set[str]) -> None:
    by_id = {s["step_id"]: s for s in report["steps"]}
    for step_id in steps:
        assert by_id[step_id]["status"] == "blocked", (step_id, by_id[step_id])
        assert by_id[step_id]["blocked_by"] == blocker
        assert by_id[step_id]["started_at"] is None
    decided = {d["subject"] for d in report["policy_decisions"]
               if d["policy"] == "gatekeeping" and d["outcome"] == "blocked"}
    assert steps | {blocker} <= decided


@pytest.mark.parametrize("scope", ["other_dataset", "dataset_v2,archive"])
def test_an_approval_that_does_not_cover_the_input_keeps_every_step_off_the_data(tmp_path, scope) -> None:
    out = tmp_path / "run"
    proc = rflow("run", LIVE, "--input", DEMO_INPUT, "--out", str(out),
                 "--approval", f"irb_approval=IRB-2026-0142:2099-12-31:{scope}", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = assert_valid_run(out)
    assert report["status"] == "blocked"
    steps = statuses(report)
    assert steps["irb_check"] == "blocked"
    _assert_blocked_by(report, "irb_check", RAW_STEPS)  # de-identification included
    assert steps["summary"] != "completed"
    assert not (out / "deidentified").exists() and not (out / "summary").exists()
    assert "gatekeeping step 'irb_check'" in proc.stdout


def test_a_failed_schema_check_blocks_later_raw_steps_even_without_stop_on_failure(tmp_path) -> None:
    data = tmp_path / "two_columns.csv"
    with (ROOT / "engine" / "data" / "demo_study.csv").open(newline="") as src, data.open("w", newline="") as dst:
        rows = csv.reader(src)
        writer = csv.writer(dst)
        for _, row in zip(range(50), rows, strict=False):
            writer.writerow(row[1:3])  # the dictionary's required subject_id column is gone

    def keep_going(manifest) -> None:
        manifest["defaults"]["stop_on_failure"] = False

    manifest = _edited(tmp_path, "study-live.yaml", keep_going)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--input", f"dataset={data}", "--out", str(out),
                 "--approval", "irb_approval=IRB-2026-0142:2099-12-31", cwd=tmp_path)
    report = assert_valid_run(out)
    steps = statuses(report)
    assert steps["schema_check"] == "failed", proc.stdout + proc.stderr
    _assert_blocked_by(report, "schema_check", {"validate", "phi_scan", "deidentify"})
    assert proc.returncode == 1
    assert not (out / "deidentified").exists()


@pytest.mark.parametrize("flag", ["--only", "--from"])
@pytest.mark.parametrize("step", DEMO_STEPS)
def test_every_selection_runs_what_it_selects(tmp_path, flag, step) -> None:
    out = tmp_path / "run"
    proc = rflow("run", flag, step, "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = assert_valid_run(out)
    steps = statuses(report)
    assert steps[step] == "completed"
    assert set(steps.values()) == {"completed"}, steps  # nothing skipped for a missing input
    included = [d["subject"] for d in report["policy_decisions"] if d["outcome"] == "included"]
    requested = DEMO_STEPS[DEMO_STEPS.index(step):] if flag == "--from" else [step]
    assert set(steps) == {*requested, *included} and not set(requested) & set(included)
    assert list(steps) == [s for s in DEMO_STEPS if s in steps]  # plan order
    if included:
        line = next(x for x in proc.stdout.splitlines() if x.startswith("selection: also ran "))
        assert all(name in line for name in included)


def test_a_selection_cannot_step_around_the_approval_gate(tmp_path) -> None:
    out = tmp_path / "run"
    proc = rflow("run", LIVE, "--input", DEMO_INPUT, "--from", "validate", "--out", str(out),
                 "--approval", "irb_approval=IRB-2026-0142:2099-12-31:other_dataset", cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = load_report(out)
    assert statuses(report)["irb_check"] == "blocked"
    assert not (out / "deidentified").exists()


BLOCKING_PLUGIN = """
    import threading
    import time

    import attrs
    from engine import StageResult


    def _forever(_task=None):
        threading.Event().wait()  # ignores every checkpoint: only abandoning it ends the step


    class _Base:
        version = "1.0.0"
        reads = ()
        writes = ()
        modes = ("*",)
        touches_raw_data = False

        @attrs.frozen
        class Config:
            pass


    class Stuck(_Base):
        stage_id = 951
        stage_name = "Stuck in a blocking call (test plugin)"
        key = "stuck"

        async def execute(self, context):
            await context.run_blocking(_forever)
            return StageResult.completed({})


    class StuckTasks(_Base):
        stage_id = 952
        stage_name = "Stuck in executor tasks (test plugin)"
        key = "stuck_tasks"

        async def execute(self, context):
            await context.map_tasks(_forever, [1, 2])
            return StageResult.completed({})
"""


@pytest.mark.parametrize(("stage", "executor"), [("stuck", "local"), ("stuck_tasks", "local"),
                                                ("stuck_tasks", "processes")])
def test_a_step_past_its_timeout_leaves_nothing_running(tmp_path, stage, executor) -> None:
    from .conftest import install_plugin

    env = install_plugin(tmp_path, "rflow_stuck", BLOCKING_PLUGIN, {"stuck": "Stuck", "stuck_tasks": "StuckTasks"})
    manifest = tmp_path / "stuck.yaml"
    manifest.write_text(
        "apiVersion: rflow/v1\nkind: Pipeline\n"
        "metadata: {name: stuck, version: '1.0.0', description: A step that never returns.}\n"
        "inputs:\n  - {name: dataset, format: csv, default: 'bundled:demo_study.csv'}\n"
        f"steps:\n  - {{id: upload, stage: upload}}\n  - {{id: hang, stage: {stage}, timeout_s: 1}}\n"
        "governance:\n  default_mode: DEMO\n  modes:\n    DEMO: {steps: [upload, hang], phi_policy: warn}\n")
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--out", str(out), "--executor", executor, "--workers", "2",
                 cwd=tmp_path, env=env, timeout=90)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = assert_valid_run(out)
    assert report["status"] == "failed"
    hang = report["steps"][1]
    assert hang["status"] == "failed" and "timeout" in hang["errors"][0]
