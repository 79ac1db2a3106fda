"""Where the rows and fields of a block of CSV/TSV bytes begin and end, as Python's ``csv`` reads them.

The rule is :mod:`engine.core.csvrows` (a quote is special only at the start of a field); the
row ends and field starts are found with ``bytes.find`` between the quoted fields it gives.
"""

from __future__ import annotations

from itertools import accumulate

from engine.core.csvrows import (
    complete_row_ends,
    first_boundary,
    last_boundary,
    quoted_fields,
    stray_free,
    unclosed_quote,
)

__all__ = ["cell_value_span", "field_starts", "first_boundary", "last_boundary", "row_ends", "unclosed_quote"]


def row_ends(data: bytes, delim: bytes) -> list[int]:
    """Offsets just past each row's newline; a final unterminated row ends at len."""
    ends = complete_row_ends(data, delim)
    n = len(data)
    if n and (not ends or ends[-1] < n):
        ends.append(n)
    return ends


def field_starts(data: bytes, start: int, end: int, delim: bytes) -> list[int]:
    """Start offsets of the fields of one row ``data[start:end]``."""
    if data.find(b'"', start, end) < 0:
        # No quotes: the cells are what split() says; their starts are running sums of lengths.
        lengths = map(len, data[start:end].split(delim))
        return [start + k + total for k, total in enumerate(accumulate(lengths, initial=0))][:-1]
    starts = [start]
    find = data.find
    pos = start
    if stray_free(data, start, end, delim):
        quotes = 0
        count = data.count
        while (d := find(delim, pos, end)) >= 0:
            quotes += count(b'"', pos, d)
            pos = d + 1
            if not quotes & 1:
                starts.append(pos)
        return starts
    for q, close in quoted_fields(data, start, end, delim):
        while (d := find(delim, pos, q)) >= 0:
            pos = d + 1
            starts.append(pos)
        if close < 0:
            return starts
        pos = close
    while (d := find(delim, pos, end)) >= 0:
        pos = d + 1
        starts.append(pos)
    return starts


def cell_value_span(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The span of a cell's content without surrounding quotes, spaces or the row terminator."""
    while end > start and data[end - 1 : end] in (b"\n", b"\r", b" ", b"\t"):
        end -= 1
    while start < end and data[start : start + 1] in (b" ", b"\t"):
        start += 1
    if end - start >= 2 and data[start : start + 1] == b'"' and data[end - 1 : end] == b'"':
        start, end = start + 1, end - 1
    return start, end
