"""One owner per run folder; the record under faults (full disk, SIGKILL); ``.parts/`` never left behind."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine.core.atomic
import engine.reporting.audit
import stages  # noqa: F401 - registers the built-in stages for the in-process runs
from engine.execution.runfolder import LOCK_NAME, PARTS_DIR, RunFolderLock, is_locked
from engine.orchestrate import RunUsageError, run_manifest
from engine.reporting.run_report import read_report

HOLD_PLUGIN = """
    import asyncio
    import attrs
    from engine import StageResult

    class Hold:
        stage_id = 951
        stage_name = "Hold (test plugin)"
        key = "hold"
        version = "1.0.0"
        reads = ()
        writes = ()
        modes = ("*",)
        touches_raw_data = False

        @attrs.frozen
        class Config:
            seconds: float = 60.0

        async def execute(self, context):
            # partial output that a real stage would rescan before keeping: must never stay behind
            parts = context.workspace / ".parts" / (context.step_id or "hold")
            parts.mkdir(parents=True, exist_ok=True)
            (parts / "00000.csv").write_text("raw,partial\\n")
            print("hold-started", flush=True)
            await asyncio.sleep(context.config.seconds)
            return StageResult.completed({"held": True})
"""


@pytest.fixture
def held(tmp_path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A manifest whose ``nap`` step holds for ``seconds`` after writing ``.parts/``, and the env for it."""
    plugins = tmp_path / "plugins"
    info = plugins / "rflow_hold-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rflow-hold\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[rflow.stages]\nhold = rflow_hold:Hold\n")
    (plugins / "rflow_hold.py").write_text(textwrap.dedent(HOLD_PLUGIN))
    manifest = tmp_path / "held.yaml"
    manifest.write_text(textwrap.dedent("""\
        apiVersion: rflow/v1
        kind: Pipeline
        metadata: {name: held, version: "1.0.0", description: A pipeline that holds its run folder.}
        inputs:
          - {name: dataset, format: csv, default: "bundled:demo_study.csv"}
        steps:
          - {id: upload, stage: upload}
          - {id: nap, stage: hold, config: {seconds: 60}}
          - {id: quick, stage: hold, config: {seconds: 0}}
        governance:
          default_mode: DEMO
          modes:
            DEMO: {steps: [upload, nap, quick], phi_policy: warn}
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI_KEY")}
    env.update(PYTHONPATH=f"{plugins}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", PYTHONIOENCODING="utf-8")
    yield manifest, env


def rflow(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=240, stdin=subprocess.DEVNULL)


def start_held(manifest: Path, out: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    """Start ``rflow run`` and return once its ``nap`` step holds the folder."""
    proc = subprocess.Popen([sys.executable, "-m", "engine", "run", str(manifest), "--out", str(out), *extra],
                            cwd=out.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if "hold-started" in line or time.monotonic() > deadline:
            break
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    return proc


def test_a_second_run_into_the_same_folder_refuses_and_names_the_owner(tmp_path, held) -> None:
    manifest, env = held
    out = tmp_path / "run"
    first = start_held(manifest, out, env)
    try:
        second = rflow("run", str(manifest), "--out", str(out), env=env, cwd=tmp_path)
        owner = json.loads((out / LOCK_NAME).read_text())
        assert second.returncode == 2, second.stdout + second.stderr
        [line] = second.stderr.strip().splitlines()
        assert f"in use by run {owner['run_id']} (pid {first.pid} on host" in line
        assert "Traceback" not in second.stderr
        assert read_report(out).status == "running"  # the first run's record is untouched
        live = rflow("audit", "verify", str(out), env=env, cwd=tmp_path)
        assert live.returncode == 1 and "still running" in live.stdout
        assert " running " in rflow("runs", str(out), env=env, cwd=tmp_path).stdout
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130
    verify = rflow("audit", "verify", str(out), env=env, cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout  # the refused second run wrote nothing into it


def test_sigkill_leaves_a_report_that_reads_as_aborted(tmp_path, held) -> None:
    manifest, env = held
    out = tmp_path / "runs" / "killed"
    out.parent.mkdir()
    proc = start_held(manifest, out, env)
    assert is_locked(out) and (out / PARTS_DIR).is_dir()
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert json.loads((out / "report.json").read_text())["status"] == "running"  # what the file says
    assert not is_locked(out)  # the kernel dropped the dead run's lock
    verify = rflow("audit", "verify", str(out), env=env, cwd=tmp_path)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    assert "aborted" in verify.stdout and "unfinished" in verify.stdout
    listing = rflow("runs", str(out.parent), env=env, cwd=tmp_path)
    assert listing.returncode == 0 and " aborted " in listing.stdout, listing.stdout
    assert (out / PARTS_DIR).is_dir()  # SIGKILL leaves it: the next run sweeps it
    nxt = rflow("run", "--out", str(out.parent / "next"), env=env, cwd=tmp_path)
    assert nxt.returncode == 0, nxt.stderr
    assert not (out / PARTS_DIR).exists()


def test_rflow_report_refuses_a_run_that_has_not_finished(tmp_path, held) -> None:
    # while it runs, and after it was killed (its report.json still says running), `rflow report`
    # writes no page from a step's state: one named error line, the exit code of such a run
    manifest, env = held
    out = tmp_path / "runs" / "killed"
    out.parent.mkdir()
    proc = start_held(manifest, out, env)
    try:
        live = rflow("report", str(out), env=env, cwd=tmp_path)
        assert live.returncode == 1, live.stdout + live.stderr
        [line] = live.stderr.strip().splitlines()
        assert "UnfinishedRunError: run " in line and "is still running" in line, line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert json.loads((out / "report.json").read_text())["status"] == "running"
    page = out / "report.html"
    page.unlink(missing_ok=True)
    dead = rflow("report", str(out), env=env, cwd=tmp_path)
    assert dead.returncode == 1 and dead.stdout == "", dead.stdout + dead.stderr
    [line] = dead.stderr.strip().splitlines()
    assert line.startswith("rflow: error: ") and "UnfinishedRunError: run " in line and "did not finish" in line
    assert "Traceback" not in dead.stderr and not page.exists()


def test_parts_are_removed_when_a_stage_leaves_them(tmp_path, held) -> None:
    manifest, env = held
    text = manifest.read_text().replace("seconds: 60", "seconds: 0")
    manifest.write_text(text)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--out", str(out), env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (out / PARTS_DIR).exists()
    assert read_report(out).status == "completed"


def test_ctrl_c_removes_parts(tmp_path, held) -> None:
    manifest, env = held
    out = tmp_path / "run"
    proc = start_held(manifest, out, env)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert not (out / PARTS_DIR).exists()
    assert read_report(out).status == "cancelled"


# --- a full disk -----------------------------------------------------------------------------------


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_injected_enospc_in_the_audit_log_stops_the_run(tmp_path, monkeypatch) -> None:
    real, calls = engine.reporting.audit.write_all, []

    def failing(fd: int, payload: bytes) -> None:
        calls.append(1)
        if len(calls) > 12:
            raise _enospc()
        real(fd, payload)

    monkeypatch.setattr(engine.reporting.audit, "write_all", failing)
    out = tmp_path / "run"
    report = run_manifest(out_dir=out)
    assert report.status == "failed" and report.exit_code == 1
    assert "audit log could not be written" in report.data["error"]
    on_disk = read_report(out)
    assert on_disk.status == "failed"
    assert len(on_disk.steps) < 7  # the later steps never ran unaudited
    assert not (out / PARTS_DIR).exists()


def test_injected_enospc_in_the_report_stops_the_run_and_reads_aborted(tmp_path, monkeypatch) -> None:
    real, calls = engine.core.atomic.write_text_atomic, []

    def failing(path: Path, text: str) -> None:
        calls.append(1)
        if len(calls) > 2:
            raise _enospc()
        real(path, text)

    monkeypatch.setattr("engine.reporting.run_report.write_text_atomic", failing)
    out = tmp_path / "run"
    report = run_manifest(out_dir=out)
    assert report.status == "failed" and "report could not be written" in report.data["error"]
    assert len(report.steps) < 7
    # the file could not be finished; the lock is free now, so every reader sees an aborted run
    assert json.loads((out / "report.json").read_text())["status"] == "running"
    assert read_report(out).status == "aborted"


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, filled up but for ``free`` bytes by :func:`fill`."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"LOUD: cannot mount a tmpfs here ({mounted.stderr.strip()[:80]}); the injected ENOSPC "
                    "tests above still cover the behaviour")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def fill(disk: Path, free: int) -> None:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    os.truncate(filler, filler.stat().st_size - free)


def _no_key_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI_KEY")}


def test_cli_on_a_full_disk_exits_non_zero_with_one_line(tmp_path, small_disk) -> None:
    """The shared audit log's disk fills up during the run."""
    fill(small_disk, 4096)  # one page: the log's first entries fit
    out = tmp_path / "run"
    proc = rflow("run", "--out", str(out), "--audit-log", str(small_disk / "shared.jsonl"), env=_no_key_env(),
                 cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("rflow:")]
    assert len(errors) == 1 and "audit log could not be written" in errors[0]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    report = read_report(out)
    assert report.status == "failed"
    assert len(report.steps) < 7


def test_cli_with_its_run_folder_on_a_full_disk(tmp_path, small_disk) -> None:
    """The run folder's own disk is full: no report can be written, and later commands say so."""
    fill(small_disk, 8192)
    out = small_disk / "run"
    env = _no_key_env()
    proc = rflow("run", "--out", str(out), env=env, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("rflow:")]
    assert len(errors) == 1 and "could not be written" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    verify = rflow("audit", "verify", str(out), env=env, cwd=tmp_path)
    assert verify.returncode == 1 and "broken" in verify.stdout, verify.stdout
    listing = rflow("runs", str(small_disk), env=env, cwd=tmp_path)
    assert listing.returncode == 0 and ("failed" in listing.stdout or "no report.json" in listing.stdout)


def test_a_full_disk_at_run_start_leaves_no_lock_and_exits_2(tmp_path, small_disk) -> None:
    """The disk is already full when the run claims its folder: the owner record cannot be written."""
    fill(small_disk, 0)
    out = small_disk / "run"
    proc = rflow("run", "--out", str(out), env=_no_key_env(), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("rflow:")]
    assert len(errors) == 1 and "record its owner" in errors[0] and "No space left" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # neither an empty .rflow.lock nor the folder it would sit in
    (small_disk / "filler").unlink()
    again = rflow("run", "--out", str(out), "--only", "upload", env=_no_key_env(), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr  # the folder is usable once there is room


@pytest.mark.parametrize("existed", [False, True])
@pytest.mark.parametrize("failure", ["raise", "short"])
def test_an_owner_record_that_cannot_be_written_is_removed(tmp_path, monkeypatch, existed, failure) -> None:
    out = tmp_path / "run"
    if existed:
        out.mkdir()

    def pwrite(fd: int, data: bytes, offset: int) -> int:
        if failure == "raise":
            raise _enospc()
        return len(data) // 2

    monkeypatch.setattr("engine.execution.runfolder.os.pwrite", pwrite)
    with pytest.raises(OSError):
        RunFolderLock.acquire(out, "r1")
    assert not (out / LOCK_NAME).exists()
    assert out.exists() is existed  # a folder the run did not create is left as it was
    with pytest.raises(RunUsageError, match="record its owner"):
        run_manifest(out_dir=out)
