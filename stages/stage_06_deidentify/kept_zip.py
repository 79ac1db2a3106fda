"""``geography: keep`` keeps 5-digit US ZIPs, nothing else: a kept ZIP column is checked whole in the copy.

Why: a Limited Data Set may keep a ZIP code (45 CFR 164.514(e)(2)), a place of some thousands of
people. A ZIP column of an export from elsewhere holds postcodes that locate a street or a building
(a UK postcode ``SW1A 1AA``, a Dutch ``1012 AB``), or an address written in the wrong column; no
rule can tell such a cell is a ZIP the profile may keep, so the copy is not kept (fail closed).
Counts and row numbers only, never a value.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

US_ZIP = re.compile(r"[0-9]{3,5}(?:-?[0-9]{4})?")
"""A US ZIP as a kept column writes it: five digits, ZIP+4, or three or four (a ZIP3; a number that lost
its leading zero: 2139)."""
FIRST_ROWS = 5


def kept_zip_columns(columns: Sequence[str], actions: Sequence[tuple[str, str, str]]) -> list[str]:
    """The output columns a ZIP column's ``keep`` writes as they are (``geography: keep``)."""
    return [c for c, (action, kind, _) in zip(columns, actions, strict=True) if action == "keep" and kind == "ZIP"]


def unkept_zip_cells(path: Path, delimiter: str, columns: Sequence[str]) -> tuple[int, list[int]]:
    """How many cells of ``columns`` in the copy at ``path`` are not a US ZIP (empty cells and missing
    markers aside), and the first rows (1-based, below the header) that hold one."""
    from engine.phi.columns import MISSING

    count = 0
    rows: list[int] = []
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # a long note in another column
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter or ",")
        header = next(reader, [])
        where = [i for i, name in enumerate(header) if name.strip() in columns]
        for n, row in enumerate(reader, 1):
            for i in where:
                text = row[i].strip() if i < len(row) else ""
                if text and text.casefold() not in MISSING and US_ZIP.fullmatch(text) is None:
                    count += 1
                    if len(rows) < FIRST_ROWS and (not rows or rows[-1] != n):
                        rows.append(n)
    return count, rows
