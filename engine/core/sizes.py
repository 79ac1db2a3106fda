"""Sizes as people write them: ``1024``, ``"64MiB"``, ``"500 MB"``; one parser for stage configs and executors.

Callers word the error for their own setting (``SizeError.reason`` says what was wrong).
"""

from __future__ import annotations

import re

from engine.core.errors import RflowError

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}

DEFAULT_PARTITION_BYTES = 64 << 20
"""Target size of one partition of a large file (64 MiB), when the run's executor sets none."""
MAX_SIZE = 2**63
"""Sizes are bounded so that every size converts to an int a file API accepts."""


class SizeError(RflowError, ValueError):
    """Not a size: ``reason`` is ``shape`` (not a number of bytes or a size), ``negative`` or ``too_large``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a size ({reason})")
        self.reason = reason


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string such as ``2GiB``, ``500 MB``, ``1024``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SizeError("shape")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise SizeError("negative")
        return value
    match = _SIZE.match(value)
    if not match:
        raise SizeError("shape")
    size = float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()]
    if not size < MAX_SIZE:  # also catches inf from a 400-digit number
        raise SizeError("too_large")
    return int(size)
