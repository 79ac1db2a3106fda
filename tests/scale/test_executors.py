"""Executors without a cluster: order, progress, failures, worker loss, selection precedence."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from engine.core.pool import cpu_count
from engine.execution.executors import ExecutorError, ExecutorSpec, TaskFailed, create, parse_size, resolve, task_names
from engine.execution.executors.local import LocalExecutor
from engine.execution.executors.processes import ProcessExecutor
from tests.scale import tasks


def _map(executor, fn, items, **kw):
    seen: list[tuple[int, int]] = []
    result = asyncio.run(executor.map(fn, items, label="t", progress=lambda d, n: seen.append((d, n)), **kw))
    return result, seen


@pytest.mark.parametrize("workers", [1, 3])
def test_local_keeps_task_order_and_reports_progress(workers: int) -> None:
    with LocalExecutor(workers) as ex:
        result, seen = _map(ex, tasks.slow_square, [5, 1, 4, 2, 3])
    assert result == [25, 1, 16, 4, 9]
    assert [d for d, _ in seen] == [1, 2, 3, 4, 5] and {n for _, n in seen} == {5}


def test_a_failing_task_fails_with_a_sanitized_message_naming_the_task() -> None:
    with LocalExecutor() as ex, pytest.raises(TaskFailed) as err:
        _map(ex, tasks.leaky_failure, [1])
    text = str(err.value)
    assert "t-part-0000-" in text and "ValueError" in text
    assert "123-45-6789" not in text


def test_task_names_carry_no_data() -> None:
    names = task_names("phi_scan", 3)
    assert [n.rsplit("-", 1)[0] for n in names] == ["phi_scan-part-0000", "phi_scan-part-0001", "phi_scan-part-0002"]
    assert task_names("weird name/../x", 1)[0].startswith("weird_name____x-part-0000-")


def test_processes_keep_order_and_survive_a_dead_worker(tmp_path: Path) -> None:
    marker = tmp_path / "died-once"
    with ProcessExecutor(2, retries=2) as ex:
        result, seen = _map(ex, tasks.die_once, [(str(marker), i) for i in range(6)])
    assert result == [0, 1, 4, 9, 16, 25]
    assert marker.exists() and seen[-1] == (6, 6)


def test_processes_give_up_after_their_retries(tmp_path: Path) -> None:
    with ProcessExecutor(2, retries=1) as ex, pytest.raises(TaskFailed, match="worker process died; 1 retries"):
        _map(ex, tasks.always_die, [1, 2])


def test_selection_precedence_manifest_then_override() -> None:
    manifest = ExecutorSpec(kind="dask", address="tcp://scheduler:8786", workers=8, partition_bytes=1 << 20)
    assert resolve(manifest, None).kind == "dask"
    chosen = resolve(manifest, {"executor": "processes", "workers": 2})
    assert (chosen.kind, chosen.workers, chosen.address, chosen.partition_bytes) == ("processes", 2, None, 1 << 20)
    same_kind = resolve(manifest, {"workers": 3})
    assert (same_kind.kind, same_kind.address, same_kind.workers) == ("dask", "tcp://scheduler:8786", 3)
    assert resolve(None, None) == ExecutorSpec(kind="local", partition_bytes=64 << 20)
    assert resolve(None, "processes").kind == "processes"
    assert resolve(None, {"partition_bytes": "8MiB"}).partition_bytes == 8 << 20


@pytest.mark.parametrize("bad", [{"executor": "spark"}, {"workers": 0}, {"partition_bytes": "12"},
                                 {"partition_bytes": "lots"}, {"colour": "red"}, 3.5])
def test_bad_settings_are_usage_errors(bad: object) -> None:
    with pytest.raises(ExecutorError):
        resolve(None, bad)


def test_sizes() -> None:
    assert parse_size("64MiB") == 64 << 20
    assert parse_size("1.5 MB") == 1_500_000
    assert parse_size(4096) == 4096
    with pytest.raises(ExecutorError):
        parse_size(True)


def test_create_local_and_processes_describe_themselves() -> None:
    local = create(resolve(None, None))
    assert local.describe() == {"kind": "local", "workers": cpu_count(), "partition_bytes": 64 << 20}
    assert create(resolve(None, {"workers": 1})).describe()["workers"] == 1
    procs = create(resolve(None, {"executor": "processes", "workers": 2, "partition_bytes": 1 << 20}))
    assert procs.describe() == {"kind": "processes", "workers": 2, "partition_bytes": 1 << 20, "retries": 2}
    local.close()
    procs.close()


def test_dask_without_the_extra_is_a_one_line_usage_error(tmp_path: Path) -> None:
    import subprocess

    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "distributed.py").write_text("raise ImportError('simulated: distributed is not installed')\n")
    env = {**os.environ, "PYTHONPATH": f"{fake}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "--executor", "dask", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["rflow: error: the dask executor needs the optional extra: "
                                                "pip install 'rflow[dask]'"]
    assert "Traceback" not in proc.stderr and not (tmp_path / "r").exists()
