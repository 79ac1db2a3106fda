"""``processes``: a local pool of ``workers`` processes (``concurrent.futures``).

Why spawn: the run's event loop has threads (the report writer's, ``run_blocking``'s), and
forking a threaded process can deadlock in the child. Spawned workers import the task's module
once and are reused for every task of the run. A worker that dies breaks the whole pool in
``concurrent.futures``: the pool is rebuilt and the unfinished tasks resubmitted, ``retries``
times at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from engine.execution.executors.base import (
    DEFAULT_PARTITION_BYTES,
    Executor,
    ProgressFn,
    TaskCancelled,
    TaskFailed,
    guarded_call,
    task_failure,
    warm_worker,
)

T = TypeVar("T")
R = TypeVar("R")


class ProcessExecutor(Executor):
    """Tasks in a spawned process pool, at most ``workers`` at a time."""

    kind = "processes"

    def __init__(self, workers: int = 2, partition_bytes: int = DEFAULT_PARTITION_BYTES, retries: int = 2) -> None:
        super().__init__(workers, partition_bytes)
        self.retries = max(0, int(retries))
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init_worker)
        return self._pool

    def _reset_pool(self, kill: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # A running task cannot be cancelled; after a failure or Ctrl-C its process is stopped so
        # that exiting does not wait for it (concurrent.futures joins its workers at exit).
        procs = list(getattr(pool, "_processes", {}).values()) if kill else []
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()

    def start(self) -> None:
        """Spawn the workers now, so that their start-up overlaps the run's first steps."""
        pool = self._get_pool()
        for _ in range(self.workers):
            pool.submit(_noop)  # concurrent.futures spawns a worker per submit, up to the pool size

    async def _run(self, fn: Callable[[T], R], tasks: Sequence[T], names: list[str], progress: ProgressFn | None,
                   interrupt: threading.Event | None) -> list[R]:
        results: dict[int, Any] = {}
        todo = list(range(len(tasks)))
        attempt = 0
        while todo:
            pool = self._get_pool()
            futures = {asyncio.wrap_future(pool.submit(guarded_call, fn, tasks[i])): i for i in todo}
            lost: list[int] = []
            try:
                pending = set(futures)
                while pending:
                    if interrupt is not None and interrupt.is_set():
                        raise TaskCancelled("task interrupted (timeout or cancellation)")
                    finished, pending = await asyncio.wait(pending, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                    for fut in finished:
                        i = futures[fut]
                        exc = fut.exception()
                        if isinstance(exc, BrokenProcessPool):
                            lost.append(i)
                            continue
                        if exc is not None:
                            raise task_failure(names[i], exc)
                        results[i] = fut.result()
                        self.tasks_run += 1
                        if progress is not None:
                            progress(len(results), len(tasks))
            except BaseException:
                for fut in futures:
                    fut.cancel()
                self._reset_pool(kill=True)
                raise
            if lost:
                attempt += 1
                if attempt > self.retries:
                    raise TaskFailed(
                        f"task {names[min(lost)]} failed: a worker process died; {self.retries} retries exhausted"
                    )
                self._reset_pool()
            todo = sorted(lost)
        return [results[i] for i in range(len(tasks))]

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "retries": self.retries}

    def close(self) -> None:
        self._reset_pool()


def _init_worker() -> None:
    """Workers leave Ctrl-C to the run, which cancels and stops them (no traceback per worker)."""

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_worker()


def _noop() -> None:
    return None
