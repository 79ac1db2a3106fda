"""The native core's data-plane loops, when the core is built: CSV block check, reservoir, unique keys.

The Python code in the columnar stages stays the reference for each (``check_reference`` in their
``csvchunks``, the digest loop in their ``validate``); these are the faster twins, used when the
core is built. ``RFLOW_DATAPLANE_CORE=0`` selects the references, so both run in one process
(tests/native and tests/dataplane compare them).

- The block check: every columnar pass over a CSV checks each block it reads (upload, schema_check
  and validate when upload's profile does not answer, summary), in one pass over the bytes with
  the GIL released; it also counts the block's records, bounds its widest field and names the
  columns holding a field that starts or ends with whitespace, so the columnar stages strip only
  those (stripping copies every byte of a column).
- Reservoir draws: summary's sample skips and slots, from Python's own generator state.
- Unique keys: validate's ``unique`` rule remembers a 128-bit digest per distinct key, a batch of
  keys per call.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import ModuleType
from typing import Any

from engine.core.native import load_native

BlockCheck = Callable[[bytes, int, int], "tuple[str | None, bool, int, int, list[int]]"]
CORE_ENV = "RFLOW_DATAPLANE_CORE"


def _enabled() -> ModuleType | None:
    return None if dataplane_references() else load_native()


def dataplane_references() -> bool:
    """Whether ``RFLOW_DATAPLANE_CORE=0`` asks for the Python references (of the core's loops, and of
    the user patterns the data plane would otherwise evaluate in Polars)."""
    return os.environ.get(CORE_ENV) == "0"


def native_block_check() -> BlockCheck | None:
    """``check(block, delimiter_byte, width) -> (reason or None, has_quotes, records, widest field in bytes,
    spaced columns)``: the spaced columns hold a field that starts or ends with whitespace (``str.strip``'s).

    None where the core is not built (or is switched off): use the reference.
    """
    check: BlockCheck | None = getattr(_enabled(), "csv_block_check", None)  # None: a core built before it
    return check


def native_reservoir_draw() -> Any | None:
    """``draw(words, index, size, w, next, end, slots) -> (picks, slots, w, next, words, index)``: summary's
    reservoir draws (Algorithm L) below stream index ``end`` from a ``random.Random`` state, bit for bit
    the Python sampler's; None where the core is not built or switched off."""
    return getattr(_enabled(), "reservoir_draw", None)  # None: a core built before it


def native_unique_keys(limit: int) -> Any | None:
    """A core object for one ``unique`` rule: ``feed(keys) -> positions seen before``, ``overflow``; or None.

    It holds at most ``limit`` distinct digests, as the reference does.
    """
    cls = getattr(_enabled(), "UniqueKeys", None)
    return None if cls is None else cls(limit)
