"""Where the rows and fields of a block of bytes begin and end (quote-aware for CSV).

Counting newlines and quotes with ``bytes.find``/``count`` runs at C speed; a newline inside a
quoted field (an odd number of quotes before it) does not end a row.
"""

from __future__ import annotations

from itertools import accumulate


def row_ends(data: bytes) -> list[int]:
    """Offsets just past each row's newline (quote-aware); a final unterminated row ends at len."""
    ends: list[int] = []
    n = len(data)
    if b'"' not in data:
        pos = 0
        find = data.find
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
            ends.append(pos)
    else:
        pos = 0
        quotes = 0
        find, count = data.find, data.count
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                break
            quotes += count(b'"', pos, nl)
            pos = nl + 1
            if not quotes & 1:
                ends.append(pos)
    if n and (not ends or ends[-1] < n):
        ends.append(n)
    return ends


def field_starts(data: bytes, start: int, end: int, delim: bytes) -> list[int]:
    """Start offsets of the fields of one row (quote-aware)."""
    if data.find(b'"', start, end) < 0:
        # No quotes: the cells are what split() says; their starts are running sums of lengths.
        lengths = map(len, data[start:end].split(delim))
        return [start + k + total for k, total in enumerate(accumulate(lengths, initial=0))][:-1]
    starts = [start]
    pos = start
    quotes = 0
    find, count = data.find, data.count
    while True:
        d = find(delim, pos, end)
        if d < 0:
            return starts
        quotes += count(b'"', pos, d)
        pos = d + 1
        if not quotes & 1:
            starts.append(pos)


def cell_value_span(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The span of a cell's content without surrounding quotes, spaces or the row terminator."""
    while end > start and data[end - 1 : end] in (b"\n", b"\r", b" ", b"\t"):
        end -= 1
    while start < end and data[start : start + 1] in (b" ", b"\t"):
        start += 1
    if end - start >= 2 and data[start : start + 1] == b'"' and data[end - 1 : end] == b'"':
        start, end = start + 1, end - 1
    return start, end


def last_boundary(block: bytes, quoted: bool) -> int:
    """Offset just past the last row end in ``block`` (0 if none). Quote-aware for tables."""
    nl = block.rfind(b"\n")
    if nl < 0 or not quoted or b'"' not in block:
        return nl + 1
    quotes = block.count(b'"', 0, nl)
    while nl >= 0:
        if not quotes & 1:
            return nl + 1
        prev = block.rfind(b"\n", 0, nl)
        quotes -= block.count(b'"', prev + 1, nl)
        nl = prev
    return 0


def first_boundary(block: bytes) -> int:
    """Offset just past the first row end of ``block`` (quote-aware), or 0."""
    pos = 0
    quotes = 0
    while True:
        nl = block.find(b"\n", pos)
        if nl < 0:
            return 0
        quotes += block.count(b'"', pos, nl)
        pos = nl + 1
        if not quotes & 1:
            return pos
