"""The one partition planner: a large file split into byte ranges that start and end on row boundaries.

Why quote parity: a newline inside a quoted CSV field is not a row end. Counting ``"`` bytes is
C-speed (``bytes.count``), so planning costs one sequential read, not a parse. Each range carries
the 1-based number of its first data row (row ends before it, counted by the same parity rule),
which the PHI scan needs for global row numbers; de-identification counts its own rows and adds
them up in file order. Encodings where ``\\n`` and ``"`` can be part of another character (UTF-16)
are not split.

One plan per input and partition size: phi_scan and deidentify (and ``rflow phi scan``) ask this
planner for the same input and get the same ranges, and a plan is kept (keyed by the file's
identity, size and modification time) so that the second stage of a run does not read the file
again to plan it.
"""

from __future__ import annotations

import functools
import itertools
import os
from pathlib import Path
from typing import BinaryIO

import attrs

SPLITTABLE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "ascii", "cp1252", "latin-1", "iso8859-1", "iso-8859-1"})
_BLOCK = 1 << 20


@attrs.frozen
class ByteRange:
    """``[start, end)`` of a file; ``last`` is the range that reaches the end of the file.

    ``first_row``: the 1-based number of its first data row (row 1 starts at the plan's data start).
    """

    start: int
    end: int
    last: bool
    first_row: int = 1


def _first_row_end(fh: BinaryIO, quoted: bool) -> int:
    """Offset just past the first row (the header), quote-aware; the file size if it has one row."""
    quotes = 0
    base = 0
    while block := fh.read(_BLOCK):
        i = 0
        while (nl := block.find(b"\n", i)) >= 0:
            if quoted:
                quotes += block.count(b'"', i, nl)
            i = nl + 1
            if not quotes & 1:
                return base + i
        if quoted:
            quotes += block.count(b'"', i)
        base += len(block)
    return base


def plan_byte_ranges(path: str | Path, target_bytes: int, *, header: bool, quoted: bool) -> tuple[int, list[ByteRange]]:
    """``(data_start, ranges)``: the data rows of ``path`` in ranges of about ``target_bytes``.

    ``header`` skips the first row (CSV/TSV); ``quoted`` makes row ends quote-aware. A file no
    larger than ``target_bytes`` is one range. Ranges cover ``[data_start, size)`` exactly, in order,
    each with the number of its first row.
    """
    st = os.stat(path)
    data_start, planned = _plan(os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                                max(1, int(target_bytes)), header, quoted)
    return data_start, list(planned)


@functools.lru_cache(maxsize=16)
def _plan(path: str, _dev: int, _ino: int, size: int, _mtime_ns: int, target: int, header: bool,
          quoted: bool) -> tuple[int, tuple[ByteRange, ...]]:
    """The plan of one file version (the unused arguments key the cache: a changed file is planned again)."""
    with open(path, "rb") as fh:
        data_start = _first_row_end(fh, quoted) if header else 0
        if size - data_start <= target:
            return data_start, (ByteRange(data_start, size, True),)
        fh.seek(data_start)
        cuts = _cuts(fh, data_start, size, target, quoted)
    bounds = [(data_start, 0), *cuts, (size, 0)]
    ranges: list[ByteRange] = []
    row = 1
    for (a, _), (b, rows) in itertools.pairwise(bounds):
        if b > a:
            ranges.append(ByteRange(a, b, b == size, row))
        row += rows
    return data_start, tuple(ranges)


def _row_ends(block: bytes, start: int, end: int, inside: bool, quoted: bool) -> int:
    """Row ends (newlines outside quotes) in ``block[start:end]``, entered ``inside`` a quoted field or not."""
    if not quoted or block.find(b'"', start, end) < 0:
        return 0 if inside else block.count(b"\n", start, end)
    # Between the quotes of a split, the pieces alternate outside / inside a quoted field.
    pieces = block[start:end].split(b'"')
    return sum(piece.count(b"\n") for piece in pieces[1 if inside else 0 :: 2])


def _cuts(fh: BinaryIO, start: int, size: int, target: int, quoted: bool) -> list[tuple[int, int]]:
    """``(offset, rows)``: the first row end at or after each multiple of ``target`` past ``start``,
    and the rows since the previous cut (or ``start``)."""
    read = fh.read
    cuts: list[tuple[int, int]] = []
    inside = False  # within a quoted field at ``pos + i``
    rows = 0  # row ends in [previous cut, pos + i)
    pos = start
    want = start + target
    while pos < size:
        block = read(_BLOCK)
        if not block:
            break
        end = pos + len(block)
        i = 0
        while want < end:
            # Count rows and quotes up to the wanted offset, then find the first row end from there.
            rel = max(want - pos, i)
            rows += _row_ends(block, i, rel, inside, quoted)
            if quoted:
                inside ^= bool(block.count(b'"', i, rel) & 1)
            i = rel
            found = -1
            while (nl := block.find(b"\n", i)) >= 0:
                if quoted:
                    inside ^= bool(block.count(b'"', i, nl) & 1)
                i = nl + 1
                if not inside:
                    found = pos + i
                    break
            if found < 0:
                break
            rows += 1
            if found < size:
                cuts.append((found, rows))
                rows = 0
            want = max(found + target, want + 1)
            if want >= size:
                break
        if want >= size:
            break
        rows += _row_ends(block, i, len(block), inside, quoted)
        if quoted:
            inside ^= bool(block.count(b'"', i) & 1)
        pos = end
    return cuts
