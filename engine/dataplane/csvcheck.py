"""The native core's check that a block of CSV records reads alike in Polars' reader and Python's ``csv``.

The Python check (``_check`` in the columnar stages' ``csvchunks``) is the reference; this is its
faster twin (one pass over the bytes in the core, the GIL released), used when the core is built.
Every columnar pass over a CSV runs the check on each block it reads, so its cost is paid once per
pass and per stage (upload, schema_check, validate, summary). ``RFLOW_CSV_CORE=0`` selects the
reference, so both run in one process (tests/native compares them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

BlockCheck = Callable[[bytes, int, int], "tuple[str | None, bool, int, int]"]
CORE_ENV = "RFLOW_CSV_CORE"


@cache
def _core_check() -> BlockCheck | None:
    try:
        from engine import _native
    except ImportError:
        return None
    check: BlockCheck | None = getattr(_native, "csv_block_check", None)  # None: a core built before it
    return check


def native_block_check() -> BlockCheck | None:
    """``check(block, delimiter_byte, width) -> (reason or None, has_quotes, records, widest field in bytes)``.

    None where the core is not built (or is switched off): use the reference.
    """
    if os.environ.get(CORE_ENV) == "0":
        return None
    return _core_check()
