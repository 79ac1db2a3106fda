"""SIGTERM (``kill``, ``timeout``, a CI cancel, systemd, a container stop) stops a run as Ctrl-C does.

Before, SIGTERM kept its default action: the process died at once (exit 143), its report still said
``running`` and its audit log had no ``run_finished``, so ``rflow audit verify`` called the run
broken. And a signal that arrived as a step with a timeout was finishing was lost (Python 3.11's
``asyncio.wait_for`` returns the finished step's result and drops the cancellation): the run went
on to the end and exited 0. Real signals, real CLI processes.
"""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import install_plugin, rflow, statuses
from tests.e2e.test_run_cli import SLEEP_PLUGIN, assert_valid_run, signal_when_asleep

SIGNAL_ON_RETURN = """
    import os
    import signal

    import attrs
    from engine import StageResult

    class Raise:
        stage_id = 952
        stage_name = "Signals its own process, then returns (test plugin)"
        key = "raise_signal"
        version = "1.0.0"
        reads = ()
        writes = ()
        modes = ("*",)
        touches_raw_data = False

        @attrs.frozen
        class Config:
            signal: str = "SIGTERM"

        async def execute(self, context):
            os.kill(os.getpid(), getattr(signal, context.config.signal))
            return StageResult.completed({"signalled": True})
"""


def _manifest(tmp_path: Path, steps: str, order: str) -> Path:
    manifest = tmp_path / "p.yaml"
    manifest.write_text(
        "apiVersion: rflow/v1\nkind: Pipeline\n"
        "metadata: {name: stoppable, version: '1.0.0', description: A pipeline to stop.}\n"
        "inputs:\n  - {name: dataset, format: csv, default: 'bundled:demo_study.csv'}\n"
        "defaults: {timeout_s: 600}\n"
        "steps:\n" + textwrap.indent(steps, "  ") + "governance:\n  default_mode: DEMO\n  modes:\n"
        f"    DEMO: {{steps: [{order}], phi_policy: warn}}\n"
    )
    return manifest


def test_sigterm_mid_step_cancels_the_run_and_closes_its_records(tmp_path: Path) -> None:
    env = {**os.environ, **install_plugin(tmp_path, "rflow_sleep", SLEEP_PLUGIN, {"sleep": "Sleep"})}
    steps = "- {id: upload, stage: upload}\n- {id: nap, stage: sleep, config: {seconds: 60}}\n"
    steps += "- {id: after, stage: sleep, config: {seconds: 0}}\n"
    manifest = _manifest(tmp_path, steps, "upload, nap, after")
    out = tmp_path / "run"
    proc, stdout, stderr = signal_when_asleep(manifest, out, env, signal.SIGTERM)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    report = assert_valid_run(out)  # the audit log is complete: verify exits 0
    assert report["status"] == "cancelled"
    assert statuses(report) == {"upload": "completed", "nap": "failed", "after": "skipped"}
    assert "cancelled" in report["steps"][1]["errors"][0]
    runs = rflow("runs", str(tmp_path), cwd=tmp_path)
    assert "cancelled" in runs.stdout and "aborted" not in runs.stdout, runs.stdout


@pytest.mark.usefixtures("interruptible_children")
@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_as_a_timed_step_returns_is_not_lost(tmp_path: Path, name: str) -> None:
    source = textwrap.dedent(SLEEP_PLUGIN) + textwrap.dedent(SIGNAL_ON_RETURN)
    env = install_plugin(tmp_path, "rflow_stops", source, {"sleep": "Sleep", "raise_signal": "Raise"})
    steps = f"- {{id: upload, stage: upload}}\n- {{id: stop, stage: raise_signal, config: {{signal: {name}}}}}\n"
    steps += "- {id: nap, stage: sleep, config: {seconds: 30}}\n- {id: after, stage: sleep, config: {seconds: 0}}\n"
    manifest = _manifest(tmp_path, steps, "upload, stop, nap, after")
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--out", str(out), cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    report = assert_valid_run(out)
    assert report["status"] == "cancelled"
    steps = statuses(report)
    assert steps["after"] == "skipped" and steps["nap"] != "completed", steps
