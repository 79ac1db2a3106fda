"""Synchronous work in forked processes, results in task order: the one pool of the commands.

``rflow validate`` (one task a manifest) and ``scan_file(workers=N)`` (one task a row range) are
plain functions called from a command, not steps of a run, so they do not use a run's executor
(:mod:`engine.execution.executors`, asynchronous, spawned, cancelled with the step). What they
need is smaller: fork (the workers inherit what the parent has imported and compiled, which is
what makes the pool pay off within a second), results in order, and at most ``window`` tasks in
flight so that a large file is never held in memory whole. This module lives in the core because
both the PHI scanner and the commands use it, and the scanner may import only the core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity where the OS has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def ordered_map(
    fn: Callable[[T], R], tasks: Iterable[T], workers: int, *, in_flight: int | None = None, chunksize: int = 1,
    in_process: bool = False,
) -> Iterator[R]:
    """``fn(task)`` for every task, in task order, in a pool of ``workers`` processes.

    ``in_flight``: at most this many tasks handed out at once (a bound on memory, for tasks whose
    results are large); ``None`` hands them all out, ``chunksize`` at a time (the least overhead,
    for many small tasks). ``fn`` runs in this process when ``workers <= 1``, or when fork is
    unavailable and ``in_process`` is set (where spawning would cost more than it saves);
    otherwise the platform's default start method is used.
    """
    if workers <= 1 or (in_process and not can_fork()):
        yield from map(fn, tasks)
        return
    context: Any = multiprocessing.get_context("fork") if can_fork() else multiprocessing.get_context()
    with context.Pool(workers) as pool:
        if in_flight is None:
            yield from pool.imap(fn, tasks, chunksize=max(1, chunksize))
            return
        pending: deque[Any] = deque()
        todo = iter(tasks)
        for task in todo:
            pending.append(pool.apply_async(fn, (task,)))
            if len(pending) >= max(1, in_flight):
                break
        while pending:
            result: R = pending.popleft().get()
            following = next(todo, _END)
            if following is not _END:
                pending.append(pool.apply_async(fn, (following,)))
            yield result


_END: Any = object()
