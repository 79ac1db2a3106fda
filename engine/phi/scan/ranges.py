"""An input file split into byte ranges of whole rows, each with the number of its first row.

The ranges come from the one partition planner (:mod:`engine.core.partitions`: one sequential
pass counting newlines and quotes at C speed), so that boundaries are never inside a quoted CSV
field, row numbers are global, and a scan plans the same ranges as every other stage.
"""

from __future__ import annotations

from pathlib import Path

from engine.core.partitions import ByteRange, plan_byte_ranges
from engine.phi.scan.chunks import TABLES, Format, detect_format, file_size, open_input, read_header, table_delim

ScanRange = ByteRange
"""A byte range of whole rows and the 1-based number of its first data row (``first_row``)."""


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
    The header of a table is read first (a header that is not UTF-8 or not CSV is refused here).
    """
    fmt = format or detect_format(path)
    table = fmt in TABLES
    start = data_start(path, fmt) if header else 0
    target = max(1, (file_size(path) - start) // max(1, parts))
    return plan_byte_ranges(path, target, header=table and header, quoted=table,
                            delim=table_delim(fmt))[1]
