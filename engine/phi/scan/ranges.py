"""Splitting an input file into byte ranges of whole rows, each with the number of its first row.

One sequential pass (C-speed counting of newlines and quotes) so that boundaries are never inside
a quoted CSV field and row numbers are global.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from engine.phi.scan.chunks import (
    DEFAULT_CHUNK,
    TABLES,
    Format,
    detect_format,
    iter_chunks,
    open_input,
    read_header,
    table_delim,
)
from engine.phi.scan.rows import row_ends


@attrs.frozen
class ScanRange:
    """A byte range of whole rows and the 1-based number of its first data row."""

    start: int
    end: int
    first_row: int


def data_start(path: str | Path, fmt: str) -> int:
    """The offset where data rows start: past the header of a table, else 0."""
    if fmt not in TABLES:
        return 0
    with open_input(path) as fh:
        return read_header(fh, table_delim(fmt))[1]


def plan_ranges(
    path: str | Path, parts: int, format: Format | None = None, *, header: bool = True
) -> list[ScanRange]:
    """Split a file into about ``parts`` ranges on row boundaries, with each range's first row number.

    ``header=False``: a table read as headerless, whose data start at byte 0 (row 1 is line 1).
    """
    fmt = format or detect_format(path)
    size = os.path.getsize(path)
    with open_input(path) as fh:
        start = 0
        if fmt in TABLES and header:
            _, start = read_header(fh, table_delim(fmt))
        target = max(1, (size - start) // max(1, parts))
        ranges: list[ScanRange] = []
        row = 1
        counted = 0
        quoted = fmt in TABLES
        for off, chunk in iter_chunks(fh, start, size, min(target, DEFAULT_CHUNK), quoted):
            nrows = len(row_ends(chunk)) if quoted else chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            counted += nrows
            end = off + len(chunk)
            if end - start >= target and end < size:
                ranges.append(ScanRange(start, end, row))
                start, row = end, row + counted
                counted = 0
        if start < size or not ranges:
            ranges.append(ScanRange(start, size, row))
    return ranges
