"""``local``: tasks run in this process, one after another (``workers=1``) or in threads.

The default executor, and the reference every other executor must match. Each task runs in a
daemon thread of its own (at most ``workers`` at a time), not in a ``ThreadPoolExecutor``: the
interpreter joins pool threads at exit, so one task that ignores its checkpoints would keep a
timed-out run alive forever.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from engine.core.blocking import run_in_thread
from engine.execution.executors.base import Executor, ProgressFn, TaskCancelled, set_task_stop, task_failure
from engine.execution.executors.gc_policy import task_gc

T = TypeVar("T")
R = TypeVar("R")


def _call_with_stop(stop: Callable[[], bool], fn: Callable[[T], R], task: T) -> R:
    ctx = contextvars.copy_context()
    ctx.run(set_task_stop, stop)
    with task_gc():
        return ctx.run(fn, task)


class LocalExecutor(Executor):
    """In-process execution; ``workers > 1`` uses threads (useful for I/O, not for the GIL)."""

    kind = "local"

    def __init__(self, workers: int = 1, partition_bytes: int | None = None) -> None:
        super().__init__(workers, *(() if partition_bytes is None else (partition_bytes,)))

    async def _run(self, fn: Callable[[T], R], tasks: Sequence[T], names: list[str], progress: ProgressFn | None,
                   interrupt: threading.Event | None) -> list[R]:
        cancelled = threading.Event()

        def stop() -> bool:
            return cancelled.is_set() or (interrupt is not None and interrupt.is_set())

        gate = asyncio.Semaphore(self.workers)
        results: list[Any] = [None] * len(tasks)
        done = 0

        async def one(i: int) -> None:
            nonlocal done
            async with gate:
                if stop():
                    raise TaskCancelled("task interrupted (timeout or cancellation)")
                try:
                    results[i] = await run_in_thread(None, _call_with_stop, stop, fn, tasks[i])
                except (TaskCancelled, asyncio.CancelledError):
                    raise
                except Exception as exc:
                    raise task_failure(names[i], exc) from None
            done += 1
            self.tasks_run += 1
            if progress is not None:
                progress(done, len(tasks))

        jobs = [asyncio.ensure_future(one(i)) for i in range(len(tasks))]
        try:
            await asyncio.gather(*jobs)
        except BaseException:
            cancelled.set()
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            raise
        return results
