"""``rflow run`` end to end: shipped manifests, governance outcomes, reports, audit logs, canaries."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from engine.reporting.run_report import report_schema

from .conftest import ROOT, all_output_text, install_plugin, leaked, load_report, rflow, statuses

APPROVAL = "irb_approval=IRB-2026-0142:2099-12-31"
LIVE = str(ROOT / "manifests" / "study-live.yaml")
DEMO_INPUT = f"dataset={ROOT / 'engine' / 'data' / 'demo_study.csv'}"


def assert_valid_run(run_dir: Path) -> dict:
    report = load_report(run_dir)
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    verify = rflow("audit", "verify", str(run_dir), cwd=run_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return report


def test_demo_run_with_no_arguments(tmp_path, identifiers) -> None:
    proc = rflow("run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [run_dir] = list((tmp_path / "rflow-runs").iterdir())
    report = assert_valid_run(run_dir)
    assert report["status"] == "completed" and report["mode"] == "DEMO"
    assert set(statuses(report).values()) == {"completed"}
    assert "[1/" in proc.stdout and "report:" in proc.stdout
    assert report["inputs"][0]["file"] == "demo_study.csv"
    assert not leaked(identifiers, proc.stdout, proc.stderr, all_output_text(run_dir))


def test_live_without_approval_is_refused_before_any_step(tmp_path) -> None:
    out = tmp_path / "run"
    proc = rflow("run", LIVE, "--input", DEMO_INPUT, "--mode", "LIVE", "--out", str(out),
                 cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "requires approval 'irb_approval'" in proc.stderr
    report = assert_valid_run(out)
    assert report["status"] == "refused"
    assert set(statuses(report).values()) == {"blocked"}
    assert all(s["started_at"] is None for s in report["steps"])
    records = ("report.json", "report.html", "audit.jsonl", ".rflow.lock")
    assert not [p for p in out.rglob("*") if p.name not in records]


def test_live_with_expired_approval_is_refused(tmp_path) -> None:
    out = tmp_path / "run"
    proc = rflow("run", LIVE, "--input", DEMO_INPUT, "--mode", "LIVE", "--out", str(out),
                 "--approval", "irb_approval=IRB-2020-0001:2021-01-31", cwd=tmp_path)
    assert proc.returncode == 3
    assert "'irb_approval' approval expired" in proc.stderr and "day(s) ago" in proc.stderr


def test_live_with_approval_runs(tmp_path, identifiers) -> None:
    out = tmp_path / "run"
    proc = rflow("run", LIVE, "--input", DEMO_INPUT, "--mode", "LIVE", "--out", str(out),
                 "--approval", APPROVAL, cwd=tmp_path)
    report = assert_valid_run(out)
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    steps = statuses(report)
    assert steps["irb_check"] == "completed"
    assert steps["deidentify"] == "completed"
    approvals = [d for d in report["policy_decisions"] if d["policy"] == "approval"]
    assert approvals and approvals[0]["outcome"] == "allowed"
    assert "more day(s)" in approvals[0]["reason"] and "[PHI:" not in approvals[0]["reason"]
    assert not leaked(identifiers, proc.stdout, proc.stderr, all_output_text(out))


def _edited_manifest(tmp_path: Path, source: str, edit) -> Path:
    yaml = YAML()
    data = yaml.load((ROOT / "manifests" / source).read_text())
    edit(data)
    target = tmp_path / source
    with target.open("w") as handle:
        yaml.dump(data, handle)
    return target


def test_phi_block_blocks_later_raw_data_steps(tmp_path) -> None:
    def put_validate_after_scan(data) -> None:
        live = data["governance"]["modes"]["LIVE"]
        order = [s for s in live["steps"] if s != "validate"]
        order.insert(order.index("phi_scan") + 1, "validate")
        live["steps"] = order
        live.pop("gates", None)

    manifest = _edited_manifest(tmp_path, "study-live.yaml", put_validate_after_scan)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--input", DEMO_INPUT, "--mode", "LIVE", "--out", str(out),
                 "--approval", APPROVAL, cwd=tmp_path)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = assert_valid_run(out)
    steps = statuses(report)
    assert steps["phi_scan"] == "completed"
    assert steps["validate"] == "blocked"
    assert steps["deidentify"] == "completed"  # removing PHI is what a block still allows
    assert report["status"] == "blocked"
    assert any(d["policy"] == "phi" and d["outcome"] == "blocked" for d in report["policy_decisions"])


def test_manifest_edits_change_the_run_without_code(tmp_path) -> None:
    def reorder_and_configure(data) -> None:
        demo = data["governance"]["modes"]["DEMO"]
        demo["steps"] = ["upload", "phi_scan"]

    manifest = _edited_manifest(tmp_path, "demo.yaml", reorder_and_configure)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(statuses(assert_valid_run(out))) == ["upload", "phi_scan"]


def test_failing_gate_blocks_its_step(tmp_path) -> None:
    def impossible_gate(data) -> None:
        demo = data["governance"]["modes"]["DEMO"]
        demo.setdefault("gates", {})["summary"] = "upload.rows_total > 100000000"

    manifest = _edited_manifest(tmp_path, "demo.yaml", impossible_gate)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--out", str(out), cwd=tmp_path)
    report = assert_valid_run(out)
    assert statuses(report)["summary"] == "blocked", proc.stdout + proc.stderr
    assert proc.returncode == 3
    gate = [d for d in report["policy_decisions"] if d["policy"] == "gate"]
    assert gate and gate[0]["outcome"] == "failed" and "upload.rows_total" in gate[0]["reason"]


def test_invalid_manifest_never_starts_a_step(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "manifests" / "demo.yaml").read_text().replace("stage: phi_scan", "stage: phi_scna")
    bad.write_text(text)
    out = tmp_path / "run"
    proc = rflow("run", str(bad), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2
    assert "phi_scna" in proc.stderr and "did you mean" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--input", "nope=x.csv"], "unknown input 'nope'"),
        (["--input", "dataset=/does/not/exist.csv"], "file not found"),
        (["--mode", "NOPE"], "NOPE"),
        (["--only", "nope"], "--only 'nope'"),
        (["--approval", "garbage"], "approval"),
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path, args, fragment) -> None:
    proc = rflow("run", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr and "Traceback" not in proc.stderr


def test_only_and_from_select_steps(tmp_path) -> None:
    out = tmp_path / "run"
    proc = rflow("run", "--only", "upload,phi_scan", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = assert_valid_run(out)
    # The gatekeepers before phi_scan come along; validate, deidentify and summary stay out.
    assert list(statuses(report)) == ["upload", "irb_check", "schema_check", "phi_scan"]
    assert any(d["outcome"] == "excluded" for d in report["policy_decisions"])


def test_json_event_stream(tmp_path) -> None:
    import json

    proc = rflow("run", "--json", "--out", str(tmp_path / "run"), cwd=tmp_path)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("step_started") == kinds.count("step_finished") >= 3
    assert events[-1]["exit_code"] == proc.returncode == 0
    # timestamps as report.json writes them: ISO 8601 in UTC, in order
    from engine.core.timestamps import epoch

    assert all(isinstance(e["ts"], str) and e["ts"].endswith("Z") for e in events)
    times = [epoch(e["ts"]) for e in events]
    assert None not in times and times == sorted(times)


SLEEP_PLUGIN = """
    import asyncio
    import attrs
    from engine import StageResult

    class Sleep:
        stage_id = 950
        stage_name = "Sleep (test plugin)"
        key = "sleep"
        version = "1.0.0"
        reads = ()
        writes = ()
        modes = ("*",)
        touches_raw_data = False

        @attrs.frozen
        class Config:
            seconds: float = 60.0

        async def execute(self, context):
            print("sleep-started", flush=True)
            await asyncio.sleep(context.config.seconds)
            return StageResult.completed({"slept": True})
"""


def signal_when_asleep(
    manifest: Path, out: Path, env: dict[str, str], sig: signal.Signals
) -> tuple[subprocess.Popen[str], str, str]:
    """``rflow run`` in a real process, sent ``sig`` once SLEEP_PLUGIN's step has started sleeping."""
    command = [sys.executable, "-m", "engine", "run", str(manifest), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=manifest.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if "sleep-started" in line or time.monotonic() > deadline:
            break
    time.sleep(0.3)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return proc, stdout, stderr


@pytest.mark.usefixtures("interruptible_children")
def test_sigint_leaves_a_valid_report_and_audit_log(tmp_path) -> None:
    plugin_env = install_plugin(tmp_path, "rflow_sleep", SLEEP_PLUGIN, {"sleep": "Sleep"})
    manifest = tmp_path / "sleepy.yaml"
    manifest.write_text(textwrap.dedent("""\
        apiVersion: rflow/v1
        kind: Pipeline
        metadata: {name: sleepy, version: "1.0.0", description: A pipeline to interrupt.}
        inputs:
          - {name: dataset, format: csv, default: "bundled:demo_study.csv"}
        steps:
          - {id: upload, stage: upload}
          - {id: nap, stage: sleep, config: {seconds: 60}}
          - {id: after, stage: sleep, config: {seconds: 0}}
        governance:
          default_mode: DEMO
          modes:
            DEMO: {steps: [upload, nap, after], phi_policy: warn}
        """))
    out = tmp_path / "run"
    import os

    proc, stdout, stderr = signal_when_asleep(manifest, out, {**os.environ, **plugin_env}, signal.SIGINT)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    report = assert_valid_run(out)
    assert report["status"] == "cancelled"
    assert statuses(report) == {"upload": "completed", "nap": "failed", "after": "skipped"}
    assert "cancelled" in report["steps"][1]["errors"][0]
    audit = (out / "audit.jsonl").read_text()
    assert '"event":"run_finished"' in audit


def test_input_files_are_never_modified(tmp_path) -> None:
    data = tmp_path / "export.csv"
    shutil.copy(ROOT / "engine" / "data" / "demo_study.csv", data)
    before = (data.read_bytes(), data.stat().st_mtime_ns)
    proc = rflow("run", "--input", f"dataset={data}", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (data.read_bytes(), data.stat().st_mtime_ns) == before
