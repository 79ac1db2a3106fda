"""``rflow run`` when the run's own record cannot be kept: it fails closed and offers no report.

A real CLI subprocess under ``RLIMIT_FSIZE`` (writes past the limit fail with ``EFBIG``, as on a
full disk). The audit log and report are the run's account: when one cannot be written, the run
stops with one ``RecordError`` line naming the file, exits non-zero, and prints neither a
``report:`` nor an artifact line (the report on disk is cut short or still says ``running``).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import exitcodes
from engine.phi.keys import resolve_key
from engine.reporting.audit import AuditKeying, AuditLog

from .conftest import rflow

pytestmark = pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")

KEY = {"RFLOW_PHI_KEY": "record-failure-test-key-0123456789", "RFLOW_PHI_KEY_FILE": ""}


def _run_limited(tmp_path: Path, limit: int, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "run"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", **KEY}
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "--out", str(out), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL, preexec_fn=limited)
    return proc, out


def _assert_record_failure(proc: subprocess.CompletedProcess[str], what: str, name: str) -> str:
    text = proc.stdout + proc.stderr
    assert proc.returncode == exitcodes.FAILED, text
    assert "Traceback" not in text and "internal error" not in text and "Exception ignored" not in text, text
    [line] = [ln for ln in proc.stderr.splitlines() if ln.startswith("rflow:")]
    assert line.startswith(f"rflow: error: RecordError: the run's {what} could not be written ({name}: "), line
    assert "File too large" in line, line
    assert "report:" not in proc.stdout and "html report" not in proc.stdout and "artifact (" not in proc.stdout
    [summary] = [ln for ln in proc.stdout.splitlines() if ln.startswith("run ")]
    assert " failed (mode " in summary and "completed" not in summary, summary
    return line


def test_run_audit_log_too_large_stops_the_run(tmp_path: Path) -> None:
    proc, out = _run_limited(tmp_path, 1500)
    line = _assert_record_failure(proc, "audit log", "audit.jsonl")
    on_disk = json.loads((out / "report.json").read_text())
    if on_disk["status"] == "running":  # the final report did not fit either: the CLI says so
        assert line.endswith("report.json is out of date (it says running)"), line
    assert (out / "audit.jsonl").stat().st_size <= 1500
    assert not (out / "deidentified").exists()  # no step past the failure ran unaudited


def test_report_too_large_stops_the_run(tmp_path: Path) -> None:
    # The audit log's first entries fit, the report (which lists every policy decision) does not.
    proc, out = _run_limited(tmp_path, 9000)
    line = _assert_record_failure(proc, "report", "report.json")
    assert line.endswith("report.json is out of date (it says running)"), line
    assert json.loads((out / "report.json").read_text())["status"] == "running"


@pytest.mark.parametrize(("limit", "what", "name"),
                         [(600, "audit log", "audit.jsonl"), (1000, "report", "report.json")])
def test_a_disk_full_before_the_first_report_says_none_was_written(tmp_path: Path, limit: int, what: str,
                                                                   name: str) -> None:
    # The first report never fits: the line says no report exists (not that one "says None").
    proc, out = _run_limited(tmp_path, limit)
    line = _assert_record_failure(proc, what, name)
    assert line.endswith("; the run stopped; no report.json was written"), line
    assert not (out / "report.json").exists() and not (out / "deidentified").exists()


def test_shared_audit_log_too_large_stops_the_run(tmp_path: Path) -> None:
    shared = tmp_path / "shared.jsonl"
    log = AuditLog(shared, AuditKeying.from_phi_key(resolve_key(KEY["RFLOW_PHI_KEY"].encode())))
    for index in range(300):
        log.append("note", index=index, text="filler " * 40)
    log.close()
    size = shared.stat().st_size
    assert size > 100_000  # above every file of the run but the shared log, so only it fails
    proc, out = _run_limited(tmp_path, size + 3000, "--audit-log", str(shared))
    line = _assert_record_failure(proc, "audit log", "shared.jsonl")
    assert line.endswith("report.json says failed but the record is incomplete"), line
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "failed" and report["exit_code"] == exitcodes.FAILED
    assert report["error"].startswith("RecordError: the run's audit log could not be written (shared.jsonl: ")
    verify = rflow("audit", "verify", str(out), cwd=tmp_path, env=KEY)
    assert verify.returncode == 0, verify.stdout + verify.stderr  # the run's own log is whole


def test_json_events_name_no_report_when_the_record_failed(tmp_path: Path) -> None:
    proc, _ = _run_limited(tmp_path, 1500, "--json")
    assert proc.returncode == exitcodes.FAILED, proc.stdout + proc.stderr
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["event"] == "run_finished" and last["status"] == "failed" and "report" not in last
    assert last["error"].startswith("RecordError: the run's audit log could not be written (audit.jsonl: ")


def test_shared_audit_log_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    """A dangling link passes the path check but cannot be opened: one line, exit 2, nothing else."""
    (tmp_path / "shared.jsonl").symlink_to(tmp_path / "missing-folder" / "log.jsonl")
    proc = rflow("run", "--out", str(tmp_path / "run"), "--audit-log", "shared.jsonl", cwd=tmp_path, env=KEY)
    assert proc.returncode == exitcodes.USAGE, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        "rflow: error: audit log shared.jsonl: FileNotFoundError: [Errno 2] No such file or directory: "
        "'shared.jsonl'"], proc.stderr
