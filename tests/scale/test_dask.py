"""The Dask executor on a real LocalCluster of 2 worker processes (one cluster for the module).

Same report as the local run, no PHI in task keys, results or arguments, a killed worker's
partition retried, exhausted retries reported, and Ctrl-C closing the cluster a run started.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")

from engine.execution.executors import Executor  # noqa: E402
from engine.execution.executors.daskexec import DaskExecutor  # noqa: E402
from engine.orchestrate import bundled_data, shipped_manifest  # noqa: E402
from tests.e2e.conftest import leaked, planted_identifiers  # noqa: E402
from tests.scale.conftest import KEY, run_demo  # noqa: E402
from tests.scale.faults import KillWorker  # noqa: E402

KEY_FORM = re.compile(r"^(phi_scan|deidentify)-part-[0-9]{4}-[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    executor = DaskExecutor("local:2", partition_bytes=120_000, retries=2)
    executor.start()
    yield executor
    executor.close()


class Recording(Executor):
    """Wraps an executor and keeps every task argument and result it carried."""

    kind = "dask"

    def __init__(self, inner: Executor) -> None:
        super().__init__(inner.workers, inner.partition_bytes)
        self.inner = inner
        self.carried: list[tuple[Sequence[Any], list[Any]]] = []

    async def _run(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *args: Any) -> list[Any]:
        results = await self.inner._run(fn, tasks, *args)
        self.carried.append((tasks, results))
        return results

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()


def _plugin(client: Any, plugin: Any) -> None:
    client.register_plugin(plugin, name=plugin.name)


def _unplug(client: Any, name: str) -> None:
    """Remove the fault once the cluster has its workers back (a broadcast to a dead one fails)."""
    for _ in range(5):
        client.wait_for_workers(2, timeout=60)
        try:
            client.unregister_worker_plugin(name)
            return
        except Exception:
            time.sleep(1)
    raise AssertionError("could not remove the fault plugin")


def test_demo_on_a_local_cluster_matches_the_local_run(cluster: DaskExecutor, local_demo: dict[str, Any],
                                                       tmp_path: Path) -> None:
    got = run_demo(tmp_path / "run", executor=cluster)
    assert got == local_demo
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["executor"] == {"kind": "dask", "workers": 2, "partition_bytes": 120_000, "retries": 2,
                                  "cluster": "local"}


def test_no_phi_on_the_wire(cluster: DaskExecutor, tmp_path: Path) -> None:
    recording = Recording(cluster)
    with distributed.get_task_stream(client=cluster.client) as stream:
        run_demo(tmp_path / "run", executor=recording)
    keys = {str(t["key"]) for t in stream.data}
    assert keys and all(KEY_FORM.match(k) for k in keys), sorted(keys)[:3]
    planted = planted_identifiers()
    assert len(planted) > 100
    carried = [(pickle.dumps(list(tasks)), json.dumps(results, sort_keys=True)) for tasks, results in recording.carried]
    assert {len(t) for t, _ in recording.carried} and sum(len(t) for t, _ in recording.carried) >= 4
    for args, results in carried:
        wire = args.decode("latin-1") + results + " ".join(keys)
        assert not leaked(planted, wire), "a planted identifier crossed the wire"
        assert KEY.hex() not in results and KEY.decode() not in results
    # What comes back is counts, hash-only summaries and flags, nothing else.
    for _, results in recording.carried:
        for result in results:
            assert set(result) <= {"findings_total", "rows_with_findings", "by_category", "by_column", "rows",
                                   "replacements", "rescan", "split_ok", "bytewise_ok"}


def test_a_killed_worker_has_its_partition_retried(cluster: DaskExecutor, local_demo: dict[str, Any],
                                                   tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    _plugin(cluster.client, KillWorker("deidentify-part", str(marker), once=True))
    try:
        got = run_demo(tmp_path / "run", executor=cluster)
    finally:
        _unplug(cluster.client, "rflow-kill-worker")
    assert marker.exists(), "the fault was not injected"
    assert got == local_demo


def test_exhausted_retries_fail_the_step_with_a_sanitized_error(cluster: DaskExecutor, tmp_path: Path) -> None:
    client = cluster.client
    marker = tmp_path / "kills"

    def allowed(n: int) -> Callable[[Any], int]:
        def set_on(dask_scheduler: Any) -> int:
            old = dask_scheduler.allowed_failures
            dask_scheduler.allowed_failures = n
            return int(old)
        return set_on

    before = client.run_on_scheduler(allowed(0))
    _plugin(client, KillWorker("phi_scan-part", str(marker), once=False))
    try:
        run_demo(tmp_path / "run", executor=cluster)
    finally:
        client.run_on_scheduler(allowed(before))
        _unplug(client, "rflow-kill-worker")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    steps = {s["step_id"]: s for s in report["steps"]}
    assert report["status"] == "failed" and report["exit_code"] == 1
    error = steps["phi_scan"]["errors"][0]
    assert error.startswith("TaskFailed: task phi_scan-part-") and "KilledWorker" in error
    assert steps["deidentify"]["status"] == "skipped"
    assert not leaked(planted_identifiers(), json.dumps(report))


def _descendants(pid: int) -> list[Any]:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.usefixtures("interruptible_children")
def test_ctrl_c_cancels_and_closes_the_cluster_the_run_started(tmp_path: Path) -> None:
    import psutil

    big = tmp_path / "big.csv"
    lines = bundled_data("demo_study.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    # Large enough that phi_scan is still running when the signal lands however fast the scan gets.
    big.write_text(lines[0] + "".join(lines[1:]) * 16, encoding="utf-8")
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "RFLOW_PHI_KEY": KEY.decode()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(shipped_manifest()), "--input", f"dataset={big}",
         "--dask-workers", "2", "--partition-size", "64KiB", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, start_new_session=True,
    )
    assert proc.stdout is not None
    children: list[Any] = []
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if "phi_scan (PHI scan) started" in line or time.monotonic() > deadline:
            break
    while len(children := _descendants(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(children) >= 2, "no cluster processes found"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130, err[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "cancelled"
    steps = {s["step_id"]: s["status"] for s in report["steps"]}
    assert steps["phi_scan"] == "failed" and steps["summary"] == "skipped"
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "cluster processes outlived the run"
    assert "Traceback" not in err, err[-3000:]


def test_a_run_owned_cluster_is_closed_after_the_run(tmp_path: Path) -> None:
    import psutil

    from engine.orchestrate import arun_manifest

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    at_close: list[list[psutil.Process]] = []
    original = DaskExecutor.close

    def spy(self: DaskExecutor) -> None:
        at_close.append([p for p in me.children(recursive=True) if p.pid not in before])
        original(self)

    DaskExecutor.close = spy  # type: ignore[method-assign]
    try:
        asyncio.run(arun_manifest(shipped_manifest(), out_dir=tmp_path / "run", phi_key=KEY, only=["upload"],
                                  executor={"executor": "dask", "address": "local:1"}))
    finally:
        DaskExecutor.close = original  # type: ignore[method-assign]
    assert at_close and at_close[0], "the run started no cluster processes"
    _, alive = psutil.wait_procs(at_close[0], timeout=30)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "the run's cluster outlived it"


def test_dask_tasks_run_with_fewer_garbage_collections(cluster: DaskExecutor) -> None:
    from engine.execution.executors.gc_policy import TASK_THRESHOLDS
    from tests.scale import tasks

    assert asyncio.run(cluster.map(tasks.gc_thresholds, [1, 2], label="t")) == [TASK_THRESHOLDS] * 2


def _dask_setting(name: str) -> Any:
    import dask

    return dask.config.get(name)


def test_a_local_cluster_runs_with_the_quiet_settings(cluster: DaskExecutor) -> None:
    """Also the workers the nannies restarted after the fault tests above killed theirs."""
    from engine.execution.executors.daskexec import LOCAL_CLUSTER_CONFIG

    client = cluster.client
    for name, value in LOCAL_CLUSTER_CONFIG.items():
        seen = client.run(_dask_setting, name)
        assert set(map(str, seen.values())) == {str(value)}, name
    # The scheduler lives in this process and read its settings when it started.
    scheduler = client.cluster.scheduler
    assert scheduler.WORKER_SATURATION == 1.0
    assert "stealing" not in scheduler.extensions
    assert scheduler.allowed_failures == 2
