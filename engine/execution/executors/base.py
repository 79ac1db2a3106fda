"""The executor contract: run a list of independent tasks somewhere, return results in task order.

Why so small: a stage hands the executor top-level functions and plain arguments (paths, byte
ranges, config, the PHI key) and gets back hash-only counts. Everything about *where* the work runs
(a thread, a process pool, a Dask cluster) stays behind ``map``; the stage's result cannot depend
on it, which is what lets the report be identical under every executor.
"""

from __future__ import annotations

import abc
import contextvars
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from engine.core.errors import ArtifactWriteError, RflowError, safe_error_text
from engine.core.sizes import DEFAULT_PARTITION_BYTES
from engine.execution.executors.gc_policy import task_gc
from engine.phi import load_registry
from engine.plugins import default_registry

T = TypeVar("T")
R = TypeVar("R")

MIN_PARTITION_BYTES = 4096
KINDS = ("local", "processes", "dask")

ProgressFn = Callable[[int, int], None]
"""``progress(done, total)``: called on the event loop thread after each task finishes."""


class ExecutorError(RflowError):
    """The executor cannot be created or configured (a usage error: ``rflow run`` exits 2)."""


class ExecutorUnavailable(ExecutorError):
    """An executor needs an optional extra that is not installed."""


class TaskFailed(RflowError):
    """A task failed for good (its retries exhausted); the message names the task key, never data."""


class TaskCancelled(RflowError):
    """Raised inside a task by :func:`task_checkpoint` once its step was interrupted."""


class TaskError(RflowError):
    """A task raised; the message was sanitized in the worker, before Dask or a pool logged it."""


def warm_worker() -> None:
    """Load the installed stage plugins and compile the PHI registry in a new worker process.

    Why: a spawned worker pays about a second of imports and regex compilation before its first
    task. Run when the worker starts (the pool is started before the first step), that second
    overlaps the run's serial first steps instead of delaying the first parallel one. Best effort:
    a task that needs these imports does them itself anyway.
    """
    try:
        default_registry.load_plugins()
        load_registry()
    except Exception:  # an optimisation must never break a worker
        pass


def guarded_call(fn: Callable[[T], R], task: T) -> R:
    """Run a task so that its exception leaves the worker sanitized and without its chain.

    Dask workers log a failed task's exception, and pools ship its traceback text back: the
    original message (a csv error, a ``ValueError`` quoting a cell) must not be in either.
    """
    try:
        with task_gc():
            return fn(task)
    except (TaskCancelled, ArtifactWriteError):
        raise
    except Exception as exc:
        raise TaskError(safe_error_text(exc)) from None


def task_failure(name: str, exc: BaseException) -> RflowError:
    """What a failed task raises in the run: :class:`TaskFailed` naming the task key, except an
    :class:`ArtifactWriteError`, which passes as it is (it already names the file and the reason,
    a message of its own: the step then says which artifact could not be written)."""
    if isinstance(exc, ArtifactWriteError):
        return ArtifactWriteError(*exc.args)
    return TaskFailed(f"task {name} failed: {safe_error_text(exc)}")


_STOP: contextvars.ContextVar[Callable[[], bool] | None] = contextvars.ContextVar("rflow_task_stop", default=None)


def set_task_stop(stop: Callable[[], bool]) -> None:
    """Make :func:`task_checkpoint` in the current context stop its task once ``stop()`` is true."""
    _STOP.set(stop)


def task_checkpoint() -> None:
    """Stop a task early when its step was interrupted (timeout, Ctrl-C).

    Tasks call it between chunks. In-process tasks see the step's interrupt flag (a context
    variable copied into their thread); in a worker process it is a no-op, because there the
    executor cancels the task's future instead.
    """
    stop = _STOP.get()
    if stop is not None and stop():
        raise TaskCancelled("task interrupted (timeout or cancellation)")


def task_names(label: str, count: int) -> list[str]:
    """Task keys such as ``phi_scan-part-0007-1a2b3c4d``: a label, an index, a run token.

    Keys are shown on the Dask dashboard and in logs, so they carry no data value; the random
    token keeps two runs on one cluster from sharing cached results.
    """
    token = uuid.uuid4().hex[:8]
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in label)[:48] or "task"
    return [f"{safe}-part-{i:04d}-{token}" for i in range(count)]


class Executor(abc.ABC):
    """Runs independent tasks; ``map`` returns their results in task order."""

    kind: str = "local"

    def __init__(self, workers: int = 1, partition_bytes: int = DEFAULT_PARTITION_BYTES) -> None:
        self.workers = max(1, int(workers))
        self.partition_bytes = max(MIN_PARTITION_BYTES, int(partition_bytes))
        self.tasks_run = 0

    async def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        *,
        label: str,
        progress: ProgressFn | None = None,
        interrupt: threading.Event | None = None,
    ) -> list[R]:
        """Run ``fn(task)`` for every task; results in task order.

        ``fn`` must be an importable top-level function and ``tasks`` plain picklable values.
        A task that fails for good raises :class:`TaskFailed`; cancelling the awaiting coroutine
        cancels the outstanding tasks.
        """
        if not tasks:
            return []
        return await self._run(fn, tasks, task_names(label, len(tasks)), progress, interrupt)

    @abc.abstractmethod
    async def _run(self, fn: Callable[[T], R], tasks: Sequence[T], names: list[str], progress: ProgressFn | None,
                   interrupt: threading.Event | None) -> list[R]:
        """What :meth:`map` does for one or more tasks, ``names`` being their task keys."""

    def start(self) -> None:
        """Acquire workers now (blocking) so that an unreachable cluster fails before any step."""
        return None

    def describe(self) -> dict[str, Any]:
        """What the run report records about this executor (no addresses of data, no secrets)."""
        return {"kind": self.kind, "workers": self.workers, "partition_bytes": self.partition_bytes}

    def close(self) -> None:
        """Release pools and clusters this executor started (idempotent)."""
        return None

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
