"""The one partition planner: a large file split into byte ranges that start and end on row boundaries.

Why the CSV rule: a newline inside a quoted CSV field is not a row end, a lone ``\r`` outside one
is, and a quote inside an unquoted field (``5'10"``) opens nothing (:mod:`engine.core.csvrows`,
as Python's ``csv`` reads it). A block without a quote is counted at C speed (``bytes.count``), so planning costs one
sequential read. Each range carries
the 1-based number of its first data row (row ends before it, counted by the same rule),
which the PHI scan needs for global row numbers; de-identification counts its own rows and adds
them up in file order. Encodings where ``\\n`` and ``"`` can be part of another character (UTF-16)
are not split.

One plan per input and partition size: phi_scan and deidentify (and ``rflow phi scan``) ask this
planner for the same input and get the same ranges, and a plan is kept (keyed by the file's
identity, size and modification time) so that the second stage of a run does not read the file
again to plan it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import os
from pathlib import Path
from typing import BinaryIO

import attrs

from engine.core.csvrows import LONGEST_ROW, complete_row_ends, first_boundary, lone_cr

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


def _first_row_end(fh: BinaryIO, delim: bytes | None) -> int:
    """Offset just past the first row (the header); the file size if it has one row."""
    block = b""
    while more := fh.read(max(_BLOCK, len(block))):
        block += more
        cut = first_boundary(block, delim) if delim is not None else block.find(b"\n") + 1
        if cut:
            return cut
    return len(block)


def plan_byte_ranges(path: str | Path, target_bytes: int, *, header: bool, quoted: bool,
                     delim: bytes = b",") -> tuple[int, list[ByteRange]]:
    """``(data_start, ranges)``: the data rows of ``path`` in ranges of about ``target_bytes``.

    ``header`` skips the first row (CSV/TSV); ``quoted``: rows end as a table's do
    (:mod:`engine.core.csvrows`, with the table's delimiter ``delim``). A file no
    larger than ``target_bytes`` is one range. Ranges cover ``[data_start, size)`` exactly, in order,
    each with the number of its first row.
    """
    st = os.stat(path)
    data_start, planned = _plan(os.fspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                                max(1, int(target_bytes)), header, delim if quoted else None)
    return data_start, list(planned)


@functools.lru_cache(maxsize=16)
def _plan(path: str, _dev: int, _ino: int, size: int, _mtime_ns: int, target: int, header: bool,
          delim: bytes | None) -> tuple[int, tuple[ByteRange, ...]]:
    """The plan of one file version (the unused arguments key the cache: a changed file is planned again)."""
    with open(path, "rb") as fh:
        data_start = _first_row_end(fh, delim) if header else 0
        if size - data_start <= target:
            return data_start, (ByteRange(data_start, size, True),)
        fh.seek(data_start)
        cuts = _cuts(fh, data_start, size, target, delim)
    bounds = [(data_start, 0), *cuts, (size, 0)]
    ranges: list[ByteRange] = []
    row = 1
    for (a, _), (b, rows) in itertools.pairwise(bounds):
        if b > a:
            ranges.append(ByteRange(a, b, b == size, row))
        row += rows
    return data_start, tuple(ranges)


def _cuts(fh: BinaryIO, start: int, size: int, target: int, delim: bytes | None) -> list[tuple[int, int]]:
    """``(offset, rows)``: the first row end past each multiple of ``target`` past ``start``, and the
    rows since the previous cut (or ``start``).

    Each block is read from a row start (what follows its last row end is carried into the next),
    so the row rule always starts outside a quoted field. A block without a quote (and, in a table,
    without a lone ``\r``, which ends a row too) is counted and searched at C speed.
    """
    read = fh.read
    cuts: list[tuple[int, int]] = []
    rows = 0  # row ends in [previous cut, base)
    base = start  # the file offset of ``block``
    want = start + target
    carry = b""
    while want < size:
        if len(carry) > LONGEST_ROW:
            break  # no row end for that long (a quote left open?): the rest is one range, which the reader refuses
        more = read(max(_BLOCK, len(carry)))
        if not more:
            break
        block = carry + more
        if delim is None or (b'"' not in block and not lone_cr(block)):
            cut = block.rfind(b"\n") + 1
            i = 0
            while want < base + cut and (nl := block.find(b"\n", max(want - base, i))) >= 0:
                rows += block.count(b"\n", i, nl) + 1
                i = nl + 1
                cuts.append((base + i, rows))
                rows = 0
                want = max(base + i + target, want + 1)
            rows += block.count(b"\n", i, cut)
        else:
            ends = complete_row_ends(block, delim)
            cut = ends[-1] if ends else 0
            k = 0
            while want < base + cut:
                j = bisect.bisect_right(ends, want - base, k)
                rows += j + 1 - k
                k = j + 1
                cuts.append((base + ends[j], rows))
                rows = 0
                want = max(base + ends[j] + target, want + 1)
            rows += len(ends) - k
        carry = block[cut:]
        base += cut
    return [c for c in cuts if c[0] < size]
