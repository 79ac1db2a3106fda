"""Blocking work off the event loop, in threads that can be abandoned.

asyncio cannot cancel a thread. ``asyncio.to_thread`` uses the loop's default executor, whose
threads ``asyncio.run`` and the interpreter join at exit: one stuck call (a read from a pipe that
never writes, a sleep, a C loop) keeps the process alive long after its step timed out. Here each
call gets its own daemon thread; when its step is interrupted the runner gives it a short grace
period to reach a checkpoint and otherwise abandons it, and the process still exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting step was cancelled or timed out: the result is dropped
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


async def run_in_thread(threads: list[threading.Thread] | None, fn: Callable[..., T], /, *args: Any,
                        **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a new daemon thread (appended to ``threads``), awaited."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    ctx = contextvars.copy_context()

    def work() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = ctx.run(fn, *args, **kwargs)
        except BaseException as exc:  # handed to the awaiting coroutine, which re-raises it
            error = exc
        with contextlib.suppress(RuntimeError):  # a closed loop: the step was abandoned long ago
            loop.call_soon_threadsafe(_settle, future, result, error)

    thread = threading.Thread(target=work, name="rflow-blocking", daemon=True)
    if threads is not None:
        threads.append(thread)
    thread.start()
    return await future


def abandon(threads: list[threading.Thread], grace_s: float) -> int:
    """Wait up to ``grace_s`` in total for ``threads`` to end; return how many are still running."""

    deadline = time.monotonic() + grace_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(1 for t in threads if t.is_alive())
