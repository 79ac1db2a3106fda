"""The PHI engine's environment settings, read once per batch of work instead of once per cell.

Why: the regex path, the core's labels, walk and cue rules are each chosen by an environment
variable (``RFLOW_PHI_REGEX``, ``RFLOW_PHI_CORE_*``, ``RFLOW_REQUIRE_NATIVE``), and the functions
that read them run for every cell a column classification samples: on a file with 20,000 columns,
a million reads of ``os.environ`` (each one encodes and decodes the name) were half the time of the
classification. Inside :func:`pinned` each variable is read the first time it is asked for and
then kept until the block ends (in the thread that opened it); outside one, :func:`get` reads the
environment every time, so a setting changed between two calls (a test, a long-lived process)
still counts at the next call.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any


class _Pins(threading.local):
    """Each thread's open blocks (stages run in threads of one process: a block is its thread's)."""

    def __init__(self) -> None:
        self.stack: list[dict[str, Any]] = []


_PINS = _Pins()


def get(name: str, default: str | None = None) -> str | None:
    """``os.environ.get(name, default)``; inside :func:`pinned`, the value read first in the block."""
    pins = _PINS.stack
    if not pins:
        return os.environ.get(name, default)
    seen = pins[-1]
    if name not in seen:
        seen[name] = os.environ.get(name)
    value = seen[name]
    return default if value is None else value


def derived(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, a value that follows from the settings alone (whether the core runs here);
    inside :func:`pinned`, computed once per block."""
    pins = _PINS.stack
    if not pins:
        return compute()
    seen = pins[-1]
    key = "derived:" + name
    if key not in seen:
        seen[key] = compute()
    return seen[key]


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Read each setting at most once until the block ends (blocks nest: an inner one keeps the outer's values)."""
    pins = _PINS.stack
    pins.append(pins[-1] if pins else {})
    try:
        yield
    finally:
        pins.pop()

