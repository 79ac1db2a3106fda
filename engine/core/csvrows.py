"""Where the rows of CSV/TSV bytes end, as Python's ``csv`` reads them: the one definition of the rule.

The rule (the ``csv`` module's default dialect with the table's delimiter, on a file opened with
``newline=""``): a row ends at ``\r\n``, at ``\n`` and at a lone ``\r`` (one not followed by
``\n``). A quote opens a quoted field only at the start of a field (the block's start, or just
after the delimiter or a row end); inside it ``""`` is a quote, and any other quote closes it
(what follows, up to the delimiter or the row end, is still the same field). A quote anywhere
else (``5'10"``) is a plain character. Row ends and delimiters inside a quoted field end nothing.
A block must start at a row start. A ``\r`` that is a block's last byte is not (yet) a row end:
the next block may start with the ``\n`` of its ``\r\n``; the reader of the file's last block
takes it as one. :func:`quoted_fields` is the one place the quote rule is written and
:data:`_ROW_END` the row ends; the row splitters here, the field splitter of the PHI scan
(``engine.phi.scan.rows``) and the partition planner find row ends and delimiters with
``bytes.find`` between the quoted fields it gives (with the pattern where a lone ``\r`` is).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_NL = 10
_CR = 13
_ROW_END = re.compile(rb"\r\n?|\n")
"""A row end outside a quoted field: ``\r\n``, ``\n`` or a lone ``\r``."""
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
    return re.compile(rb'(?:[^"]++|(?<![^' + d + rb'\n\r])"[^"]*+(?:""[^"]*+)*+"(?!"))*+')


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
        if q > start and (prev := data[q - 1]) != d and prev != _NL and prev != _CR:
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


def lone_cr(data: bytes) -> bool:
    """Whether ``data`` holds a ``\r`` not followed by ``\n`` before its last byte.

    Why: without one every row end is a ``\n`` (a ``\r`` before it, or a last byte held back,
    changes nothing), so the splitters find them with ``bytes.find`` at C speed.
    """
    n = len(data)
    return data.find(b"\r", 0, n - 1) >= 0 and data.count(b"\r", 0, n - 1) != data.count(b"\r\n")


def _row_ends_in(data: bytes, pos: int, end: int, out: list[int], cr: bool) -> None:
    """Append the row ends of ``data[pos:end]`` (no quoted field in it); ``cr``: :func:`lone_cr`."""
    if cr:
        out.extend(m.end() for m in _ROW_END.finditer(data, pos, end))
        return
    find = data.find
    while (nl := find(b"\n", pos, end)) >= 0:
        pos = nl + 1
        out.append(pos)


def _held_back(data: bytes, ends: list[int]) -> list[int]:
    """``ends`` without a row end at a ``\r`` that is ``data``'s last byte (it may be half a ``\r\n``)."""
    if ends and ends[-1] == len(data) and data[-1] == _CR:
        ends.pop()
    return ends


def complete_row_ends(data: bytes, delim: bytes) -> list[int]:
    """Offsets just past each row end (outside quoted fields) of ``data``; a last-byte ``\r`` is held back."""
    ends: list[int] = []
    n = len(data)
    pos = 0
    cr = lone_cr(data)
    if b'"' in data and stray_free(data, 0, n, delim):
        quotes = 0
        count = data.count
        if cr:
            for m in _ROW_END.finditer(data):
                quotes += count(b'"', pos, m.start())
                pos = m.end()
                if not quotes & 1:
                    ends.append(pos)
            return _held_back(data, ends)
        find = data.find
        while (nl := find(b"\n", pos)) >= 0:
            quotes += count(b'"', pos, nl)
            pos = nl + 1
            if not quotes & 1:
                ends.append(pos)
        return ends
    if b'"' in data:
        for q, close in quoted_fields(data, 0, n, delim):
            _row_ends_in(data, pos, q, ends, cr)
            if close < 0:
                return ends
            pos = close
    _row_ends_in(data, pos, n, ends, cr)
    return _held_back(data, ends) if cr else ends


def last_boundary(block: bytes, delim: bytes | None) -> int:
    """Offset just past the last row end in ``block`` (0 if none); ``delim``: a table's (None: not a
    table, whose lines end at ``\n``)."""
    if delim is not None and lone_cr(block):
        ends = complete_row_ends(block, delim)
        return ends[-1] if ends else 0
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


def _first_end(block: bytes, pos: int, end: int, cr: bool) -> int:
    """Just past the first row end of ``block[pos:end]`` (no quoted field in it), or 0."""
    if not cr:
        return block.find(b"\n", pos, end) + 1
    m = _ROW_END.search(block, pos, end)
    if m is None or (m.end() == len(block) and block[-1] == _CR):
        return 0
    return m.end()


def first_boundary(block: bytes, delim: bytes) -> int:
    """Offset just past the first row end of ``block``, or 0."""
    pos = 0
    cr = lone_cr(block)
    if b'"' in block:
        for q, close in quoted_fields(block, 0, len(block), delim):
            if nl := _first_end(block, pos, q, cr):
                return nl
            if close < 0:
                return 0
            pos = close
    return _first_end(block, pos, len(block), cr)
