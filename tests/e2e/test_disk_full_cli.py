"""``rflow run`` on a disk that refuses writes: the step fails naming the artifact, the run says so.

A real CLI subprocess under ``RLIMIT_FSIZE`` (files larger than the limit cannot be written,
``EFBIG``; ``SIGXFSZ`` ignored so the write fails rather than killing the process): the same error a
full disk gives, without filling one. The limit sits between the sizes of the run's own records
(audit log, report: a few tens of KB) and the artifact under test, so only that artifact fails.
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

from .conftest import load_report, rflow

pytestmark = pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")

KEY = {"RFLOW_PHI_KEY": "disk-full-test-key-0123456789", "RFLOW_PHI_KEY_FILE": ""}


def _run_limited(tmp_path: Path, limit: int, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "run"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", **KEY}
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "--out", str(out), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240, stdin=subprocess.DEVNULL,
                          preexec_fn=limited)  # the limit applies to the child only
    return proc, out


def _assert_failed_writing(proc: subprocess.CompletedProcess[str], out: Path, step: str, artifact: str) -> str:
    """The run exits 1, ``step`` failed with one line naming ``artifact`` (a pattern's prefix and suffix)."""
    text = proc.stdout + proc.stderr
    assert proc.returncode == exitcodes.FAILED, text
    assert "Traceback" not in text and "OSError" not in text, text
    prefix, _, suffix = artifact.partition("*")
    [line] = [ln for ln in proc.stdout.splitlines() if f"{step} FAILED" in ln]
    message = line.split(": ", 1)[1]
    assert message.startswith(f"ArtifactWriteError: cannot write {prefix}"), line
    assert message.endswith(f"{suffix}: File too large"), line
    assert str(out) not in message  # relative to the run folder
    report = load_report(out)
    assert report["status"] == "failed" and report["exit_code"] == exitcodes.FAILED
    [failed] = [s for s in report["steps"] if s["step_id"] == step]
    assert failed["status"] == "failed" and failed["errors"] == [message]
    audit = [json.loads(ln) for ln in (out / "audit.jsonl").read_text().splitlines()]
    [finished] = [e["data"] for e in audit if e["event"] == "step_finished" and e["data"]["step"] == step]
    assert finished["status"] == "failed" and finished["error"] == message
    assert audit[-1]["event"] == "run_finished" and audit[-1]["data"]["exit_code"] == exitcodes.FAILED
    verify = rflow("audit", "verify", str(out), cwd=out, env=KEY)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not (out / ".parts").exists()  # part files (raw data until merged) do not stay behind
    return message


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_phi_scan_part_file_too_large(tmp_path: Path, executor: str) -> None:
    proc, out = _run_limited(tmp_path, 100_000, "--executor", executor)
    _assert_failed_writing(proc, out, "phi_scan", ".parts/*/0000/00000.findings.jsonl")
    statuses = {s["step_id"]: s["status"] for s in load_report(out)["steps"]}
    assert statuses["deidentify"] == "skipped"


def test_phi_scan_findings_file_too_large(tmp_path: Path) -> None:
    # Small partitions: each part file fits, the merged findings file does not.
    proc, out = _run_limited(tmp_path, 300_000, "--partition-size", "64KiB")
    _assert_failed_writing(proc, out, "phi_scan", "phi/dataset.findings.jsonl*")
    assert not (out / "phi" / "dataset.findings.jsonl").exists()


def test_deidentified_copy_too_large(tmp_path: Path) -> None:
    # The findings file (about 755 KB) fits under the limit, the de-identified copy (about 800 KB) does not.
    proc, out = _run_limited(tmp_path, 780_000, "--partition-size", "64KiB")
    _assert_failed_writing(proc, out, "deidentify", "deidentified/dataset.csv*")
    assert not list((out / "deidentified").glob("*"))  # no partial copy


def test_parquet_deidentified_copy_too_large(tmp_path: Path) -> None:
    """A Parquet input's copy is rewritten as Parquet by Polars, whose sink reports the refused write as
    a ComputeError without errno: the step still fails with the same one-line ArtifactWriteError."""
    import polars as pl

    # 600 columns of 5 rows: the Parquet copy (about 180 KB of column metadata) is the run's only file
    # over the limit (its CSV stage, the findings, the report and the audit log are smaller).
    pl.DataFrame({f"v{i}": [str(j) for j in range(5)] for i in range(600)}).write_parquet(tmp_path / "wide.parquet")
    proc, out = _run_limited(tmp_path, 150_000, "--input", "dataset=wide.parquet", "--only", "deidentify")
    _assert_failed_writing(proc, out, "deidentify", "deidentified/dataset.parquet*")
    assert "ComputeError" not in proc.stdout + proc.stderr
    assert not list((out / "deidentified").glob("*"))  # neither the Parquet copy nor its CSV stage
