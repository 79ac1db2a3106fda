"""Where the rows of CSV/TSV bytes end, as Python's ``csv`` reads them: the one definition of the rule.

The rule (the ``csv`` module's default dialect with the table's delimiter): a quote opens a
quoted field only at the start of a field (the block's start, or just after the delimiter or a
newline); inside it ``""`` is a quote, and any other quote closes it (what follows, up to the
delimiter or the line end, is still the same field). A quote anywhere else (``5'10"``) is a
plain character. Newlines and delimiters inside a quoted field end nothing. A block must start
at a row start. :func:`quoted_fields` is the one place the rule is written; the row splitters
here, the field splitter of the PHI scan (``engine.phi.scan.rows``) and the partition planner
find newlines and delimiters with ``bytes.find`` between the quoted fields it gives.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_NL = 10
LONGEST_ROW = 64 << 20
"""The longest row a reader takes (a longer one is usually a quote left open)."""
# A quoted field from its opening quote: ``""`` pairs and other bytes, then a lone quote.
_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*"(?!")')


@functools.cache
def _stray_free(delim: bytes) -> re.Pattern[bytes]:
    """Text whose every quote belongs to a closed quoted field that opens at a field start.

    Why: in such text (most quoted CSV) each quoted field holds an even number of quotes and no
    other quote exists, so counting quotes (``bytes.count``, C speed) finds the same row ends and
    field starts as :func:`quoted_fields`; the splitters check this in one C-speed match and
    count, and walk the quoted fields only where a quote is stray or left open.
    """
    d = re.escape(delim)
    return re.compile(rb'(?:[^"]++|(?<![^' + d + rb'\n])"[^"]*+(?:""[^"]*+)*+"(?!"))*+')


def stray_free(data: bytes, start: int, end: int, delim: bytes) -> bool:
    """Whether every quote of ``data[start:end]`` (``start``: a row start) is part of a closed quoted field."""
    return _stray_free(delim).fullmatch(data, start, end) is not None


def quoted_fields(data: bytes, start: int, end: int, delim: bytes) -> Iterator[tuple[int, int]]:
    """``(open, close)`` of each quoted field in ``data[start:end]`` (``start``: a row start), in order.

    ``close`` is just past the closing quote; ``-1`` for a field left open, which runs to ``end``
    (nothing follows it).
    """
    find = data.find
    match = _QUOTED.match
    d = delim[0]
    pos = start
    while (q := find(b'"', pos, end)) >= 0:
        if q > start and (prev := data[q - 1]) != d and prev != _NL:
            pos = q + 1  # a quote inside an unquoted field: a plain character
            continue
        m = match(data, q, end)
        if m is None:
            yield q, -1
            return
        pos = m.end()
        yield q, pos


def unclosed_quote(data: bytes, start: int, end: int, delim: bytes) -> int:
    """The offset of a quoted field in ``data[start:end]`` left open at ``end``, or -1."""
    if data.find(b'"', start, end) < 0 or stray_free(data, start, end, delim):
        return -1
    for q, close in quoted_fields(data, start, end, delim):
        if close < 0:
            return q
    return -1


def _newlines(data: bytes, pos: int, end: int, out: list[int]) -> None:
    find = data.find
    while (nl := find(b"\n", pos, end)) >= 0:
        pos = nl + 1
        out.append(pos)


def complete_row_ends(data: bytes, delim: bytes) -> list[int]:
    """Offsets just past each row-ending newline (outside quoted fields) of ``data``."""
    ends: list[int] = []
    n = len(data)
    pos = 0
    if b'"' in data and stray_free(data, 0, n, delim):
        quotes = 0
        find, count = data.find, data.count
        while (nl := find(b"\n", pos)) >= 0:
            quotes += count(b'"', pos, nl)
            pos = nl + 1
            if not quotes & 1:
                ends.append(pos)
        return ends
    if b'"' in data:
        for q, close in quoted_fields(data, 0, n, delim):
            _newlines(data, pos, q, ends)
            if close < 0:
                return ends
            pos = close
    _newlines(data, pos, n, ends)
    return ends


def last_boundary(block: bytes, delim: bytes | None) -> int:
    """Offset just past the last row end in ``block`` (0 if none); ``delim``: a table's (None: not a table)."""
    nl = block.rfind(b"\n")
    if nl < 0 or delim is None or b'"' not in block:
        return nl + 1
    if stray_free(block, 0, len(block), delim):
        quotes = block.count(b'"', 0, nl)
        while nl >= 0:
            if not quotes & 1:
                return nl + 1
            prev = block.rfind(b"\n", 0, nl)
            quotes -= block.count(b'"', prev + 1, nl)
            nl = prev
        return 0
    last = -1
    pos = 0
    for q, close in quoted_fields(block, 0, len(block), delim):
        if (found := block.rfind(b"\n", pos, q)) >= 0:
            last = found
        if close < 0:
            return last + 1
        pos = close
    found = block.rfind(b"\n", pos)
    return (found if found >= 0 else last) + 1


def first_boundary(block: bytes, delim: bytes) -> int:
    """Offset just past the first row end of ``block``, or 0."""
    pos = 0
    if b'"' in block:
        for q, close in quoted_fields(block, 0, len(block), delim):
            if (nl := block.find(b"\n", pos, q)) >= 0:
                return nl + 1
            if close < 0:
                return 0
            pos = close
    return block.find(b"\n", pos) + 1
