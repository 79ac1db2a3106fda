"""Top-level task functions for the executor tests (importable by spawned workers)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def slow_square(x: int) -> int:
    time.sleep(0.01 * x)
    return x * x


def leaky_failure(_: int) -> int:
    raise ValueError("cannot parse SSN 123-45-6789")


def die_once(arg: tuple[str, int]) -> int:
    marker, x = arg
    if x == 3 and not Path(marker).exists():
        Path(marker).touch()
        os._exit(1)
    return x * x


def always_die(_: int) -> int:
    os._exit(1)


def gc_thresholds(_: int) -> tuple[int, ...]:
    import gc

    return tuple(gc.get_threshold())
