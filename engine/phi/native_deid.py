"""deidentify's hot loops on the native core: the byte copy of a CSV/TSV part (``engine._native.ByteCopy``)
and the row loop that reads, de-identifies and copies a part's rows (``engine._native.DeidRows``).

Why: splitting each record of the input's text a second time and rewriting its changed cells was
a sixth of the deidentify task in Python (docs/benchmarks.md). The Python module
(``stages/stage_06_deidentify/bytecopy.py``) stays the reference: the core writes the same bytes
(tests/native/test_deid_bytecopy.py). ``RFLOW_PHI_CORE_DEID=0`` keeps the Python path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from engine.phi.native_match import use_core

ENV = "RFLOW_PHI_CORE_DEID"
ROWS_ENV = "RFLOW_PHI_CORE_DEID_ROWS"
"""``0``: the byte copy stays on the core, the row loop on the Python path (``ENV=0`` turns both off)."""
VALUES_ENV = "RFLOW_PHI_CORE_DEID_VALUES"
"""``0``: the core's row loop asks Python for every new pseudonym and date (as the reference computes them)."""
OK, NEED, NOT_BYTEWISE = 0, 1, 2
"""The core's statuses: written; feed more text and call again; the text is not what the row reader read."""
BAIL = 1
"""The row loop's status for a block it does not read as the row reader does (the part goes to the Python path)."""


def enabled() -> bool:
    """The core makes deidentify's byte copies here (built, current, and not switched off)."""
    return os.environ.get(ENV, "1") != "0" and use_core()


def _takes(delimiter: str) -> bool:
    """The core is on and reads parts with this delimiter (one byte, not a quote or line end)."""
    return enabled() and len(delimiter.encode("utf-8")) == 1 and delimiter not in '"\r\n'


def byte_copy(delimiter: str, kept: Sequence[int], skip_first: bool) -> Any | None:
    """The core's byte copy of one part, or None: the Python path (core off, or a delimiter it does not take)."""
    if not _takes(delimiter):
        return None
    from engine.phi import native

    assert native.core is not None
    return native.core.ByteCopy(delimiter, list(kept), skip_first)


def values_enabled() -> bool:
    """The core's row loop computes keyed pseudonyms and ISO date shifts of ASCII values itself."""
    return os.environ.get(VALUES_ENV, "1") != "0"


def deid_rows(delimiter: str, specs: Sequence[tuple[int, int, bool]],
              idents: Sequence[tuple[int, bool, str, str, bool]], subject: int | None, skip_first: bool,
              max_field_chars: int) -> Any | None:
    """The core's row loop of one part (see ``stages/stage_06_deidentify/core_rows.py``), or None: the Python path."""
    if os.environ.get(ROWS_ENV, "1") == "0" or not _takes(delimiter):
        return None
    from engine.phi import native

    assert native.core is not None
    return native.core.DeidRows(delimiter, list(specs), list(idents), subject, skip_first, max_field_chars)
