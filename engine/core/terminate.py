"""SIGTERM stops a run the way Ctrl-C does: the running step is cancelled, the report and audit log close.

``asyncio.run`` turns the first SIGINT into a cancellation of its main task, which the step runner
records (the step ``failed`` (cancelled), the rest ``skipped``, exit 130). SIGTERM is what ``kill``,
``timeout``, CI cancellations, systemd and container runtimes send; left at its default it ended
the process at once, and the run's report still said ``running`` with no record of why.
:func:`terminable` gives SIGTERM the same path while the coroutine runs, and only when nobody
installed a SIGTERM handler (the rule ``asyncio.run`` keeps for SIGINT).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

R = TypeVar("R")


async def terminable(coro: Coroutine[Any, Any, R]) -> R:
    """Await ``coro``; a SIGTERM meanwhile cancels it, and one it did not absorb is a KeyboardInterrupt."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    fired: list[int] = []

    def on_term() -> None:
        fired.append(signal.SIGTERM)
        if task is not None:
            task.cancel()

    installed = False
    if (
        task is not None
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        try:
            loop.add_signal_handler(signal.SIGTERM, on_term)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # no signals on this loop or platform
            pass
    try:
        return await coro
    except asyncio.CancelledError:
        if fired:  # cancelled outside a step (before or after the steps): stop as Ctrl-C would
            raise KeyboardInterrupt from None
        raise
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)
