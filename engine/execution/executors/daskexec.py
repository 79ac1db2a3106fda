"""``dask``: tasks on a Dask distributed cluster, an existing one or a LocalCluster for the run.

Why a synchronous ``Client``: it runs its own event loop in a background thread, so one client
(and one cluster) can serve several ``asyncio.run`` calls, and nothing of Dask's loop leaks into
the run's. Results are collected by a watcher thread and handed to the run's loop.

Fault tolerance is Dask's: ``retries`` re-runs a task that raised; a task whose worker died is
rescheduled by the scheduler up to ``distributed.scheduler.allowed-failures`` times (set to
``retries`` on a LocalCluster this executor starts), after which it fails with ``KilledWorker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import queue as queue_module
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from engine.core.errors import safe_error_text
from engine.core.pool import cpu_count
from engine.execution.executors.base import (
    DEFAULT_PARTITION_BYTES,
    Executor,
    ExecutorError,
    ExecutorUnavailable,
    ProgressFn,
    TaskFailed,
    guarded_call,
    task_failure,
)

T = TypeVar("T")
R = TypeVar("R")
INSTALL_HINT = "the dask executor needs the optional extra: pip install 'rflow[dask]'"
CONNECT_TIMEOUT_S = 30
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # Why: on a small machine every CPU-second the cluster spends on its own upkeep is taken from
    # the workers. The statistical profiler samples every thread every 10 ms and takes the GIL from
    # pure-Python tasks. The 20 ms event-loop health tick, the 500 ms system monitor and the 100 ms
    # memory monitor (of the scheduler, the nannies and the workers) keep waking event loops:
    # measured with `perf stat`, about 350 context switches per second in each worker's task
    # thread and 6 % of a CPU in the run's process, which hosts the scheduler and the nannies.
    # rflow does not use the dashboard, and its tasks' memory is flat (~100 MB per worker).
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # One task per worker at a time, as the process pool does: a second task queued on a busy
    # worker can wait there while the other worker is idle at the end of a step.
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
}
"""Dask settings for a LocalCluster that rflow starts (an external cluster keeps its own)."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ExecutorUnavailable(INSTALL_HINT) from None
    return distributed


def parse_local_address(address: str) -> int | None:
    """``local:N`` -> N (a LocalCluster of N worker processes); ``local`` -> 0 (default size)."""
    if address == "local":
        return 0
    if address.startswith("local:"):
        text = address[len("local:"):]
        if not text.isdigit() or not 1 <= int(text) <= 1024:
            raise ExecutorError("a dask address 'local:N' needs N between 1 and 1024")
        return int(text)
    return None


class DaskExecutor(Executor):
    """Tasks as Dask futures; ``address`` is a scheduler (``tcp://host:8786``) or ``local:N``."""

    kind = "dask"

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        partition_bytes: int = DEFAULT_PARTITION_BYTES,
        retries: int = 2,
        client: Any = None,
    ) -> None:
        _distributed()
        local_n = parse_local_address(address) if address else 0
        self.address = address if local_n is None else None
        if client is not None and self.address is None:
            self.address = "external"
        n = local_n or workers or cpu_count()
        super().__init__(n, partition_bytes)
        self.retries = max(0, int(retries))
        self._client = client
        self._owns_client = client is None
        self._cluster: Any = None
        self.submitted_keys: list[str] = []

    @property
    def client(self) -> Any:
        self.start()
        return self._client

    def start(self) -> None:
        """Connect (or start the LocalCluster); blocking, seconds for a LocalCluster."""
        if self._client is not None:
            return
        distributed = _distributed()
        import dask

        try:
            if self.address is None:
                with dask.config.set({**LOCAL_CLUSTER_CONFIG, "distributed.scheduler.allowed-failures": self.retries}):
                    self._cluster = distributed.LocalCluster(
                        # The scheduler's HTTP endpoint on a free loopback port; no dashboard.
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                        # Only critical records from the cluster's own loggers: a task's failure reaches
                        # the run as its future's exception (sanitized there), and at the end of a run
                        # or a Ctrl-C a worker's heartbeat to the closed scheduler would print a
                        # traceback to the user's terminal.
                        silence_logs=logging.CRITICAL, preload=["engine.execution.executors.daskworker"],
                        # A nanny keeps a shallow copy of the config, whose nested dicts the end of
                        # this block reverts: without a deep copy, a worker restarted after a crash
                        # would start with Dask's defaults instead of these settings.
                        config=copy.deepcopy(dask.config.config),
                    )
                self._client = distributed.Client(self._cluster, set_as_default=False)
            else:
                self._client = distributed.Client(self.address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except ExecutorError:
            raise
        except Exception as exc:
            self.close()
            where = "a LocalCluster" if self.address is None else "the Dask scheduler"
            raise ExecutorError(f"cannot start or reach {where}: {safe_error_text(exc)}") from None

    async def _run(self, fn: Callable[[T], R], tasks: Sequence[T], names: list[str], progress: ProgressFn | None,
                   interrupt: threading.Event | None) -> list[R]:
        client = self.client
        loop = asyncio.get_running_loop()
        self.submitted_keys.extend(names)
        futures = [client.submit(guarded_call, fn, task, key=name, pure=False, retries=self.retries)
                   for task, name in zip(tasks, names, strict=True)]
        index = {f.key: i for i, f in enumerate(futures)}
        queue: asyncio.Queue[tuple[int, bool, Any]] = asyncio.Queue()
        stop = threading.Event()

        def post(item: tuple[int, bool, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # the run's loop is gone (interrupted)
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def watch() -> None:
            # Blocking calls (waiting, fetching results) stay on this thread, off the run's loop.
            # Done-callbacks feed a queue; each wake-up fetches every finished result in one gather
            # (as_completed's synchronous iterator polls every 100 ms: most of a short task's cost).
            try:
                ready: queue_module.SimpleQueue[Any] = queue_module.SimpleQueue()
                for fut in futures:
                    fut.add_done_callback(ready.put)
                left = len(futures)
                while left and not stop.is_set():
                    batch = [ready.get()]
                    while not ready.empty():
                        batch.append(ready.get())
                    left -= len(batch)
                    good = [f for f in batch if f.status == "finished"]
                    values = client.gather(good) if good else []
                    for fut, value in zip(good, values, strict=True):
                        post((index[fut.key], True, value))
                    for fut in batch:
                        if fut.status != "finished":
                            post((index[fut.key], False, fut.exception() if fut.status == "error" else
                                  TaskFailed(f"task {fut.key} was {fut.status}")))
            except Exception as exc:  # the watcher itself failed: fail the map rather than hang
                post((0, False, exc))

        watcher = threading.Thread(target=watch, name="rflow-dask-watch", daemon=True)
        watcher.start()
        results: list[Any] = [None] * len(tasks)
        try:
            for done in range(1, len(tasks) + 1):
                i, ok, value = await queue.get()
                if not ok:
                    raise task_failure(names[i], value)
                results[i] = value
                self.tasks_run += 1
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException:
            stop.set()
            with contextlib.suppress(Exception):
                client.cancel(futures, force=True)
            raise
        return results

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {**super().describe(), "retries": self.retries,
                                "cluster": "local" if self.address is None else "external"}
        if self._client is not None and self.address is not None:
            with contextlib.suppress(Exception):
                info["workers"] = len(self._client.scheduler_info().get("workers", {}))
        return info

    def close(self) -> None:
        client, self._client = self._client, None
        cluster, self._cluster = self._cluster, None
        if client is not None and self._owns_client:
            with contextlib.suppress(Exception):
                client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)
