"""CSV and TSV: one combined-regex pass over a chunk of whole rows, then the labelled columns.

A match offset is mapped back to its row and column only where a match occurs (the hot loop is
kept flat). Cells of a column whose name or classification labels it (``mrn``, ``zip``...) are
findings when they hold a valid value the patterns did not already find.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from operator import itemgetter

from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize_bytes_with_map
from engine.phi.scan.context import ScanContext
from engine.phi.scan.core_table import core_findings, core_labelled
from engine.phi.scan.findings import Finding
from engine.phi.scan.labelled import cell_finding
from engine.phi.scan.rows import cell_value_span, field_starts, row_ends

_POS = itemgetter(0)
_PADDING = frozenset(b' \t"')
_PADDING_END = frozenset(b' \t"\r\n')


def scan_table_chunk(data: bytes, base: int, first_row: int, ctx: ScanContext) -> tuple[list[Finding], int]:
    """Findings of a chunk of whole rows, and the number of rows in it.

    The native core does the per-finding work where it runs (:mod:`engine.phi.scan.core_table`);
    :func:`_python_findings` is the reference.
    """
    ends = row_ends(data, ctx.delim)
    fast = core_findings(data, base, first_row, ctx)
    row_fields: dict[int, list[int]] = {}
    if fast is not None:
        out, starts, taken = fast
    else:
        out, starts, taken = _python_findings(data, base, first_row, ends, ctx, row_fields)
    if ctx.labelled:
        extra = core_labelled(data, base, first_row, ctx, taken) if fast is not None else None
        if extra is None:
            extra = list(_labelled_cells(data, base, first_row, ends, ctx, taken, row_fields))
        if extra:
            # One int key (start, then pattern before labelled cell): sorts ~3x faster than tuples.
            merged = [(vs << 1, f) for vs, f in zip(starts, out, strict=True)]
            merged.extend(((vs << 1) | kind, f) for vs, kind, f in extra)
            merged.sort(key=_POS)
            out = [f for _, f in merged]
    return out, len(ends)


def _python_findings(
    data: bytes, base: int, first_row: int, ends: list[int], ctx: ScanContext, row_fields: dict[int, list[int]]
) -> tuple[list[Finding], list[int], set[tuple[int, int]]]:
    """Findings, their value starts and the cells a pattern found (the hot loop: kept flat)."""
    header = ctx.header
    ncols = len(header)
    delim = ctx.delim
    only = ctx.only
    digest_of = ctx.digest_of
    bisect_right = bisect.bisect_right
    out: list[Finding] = []
    starts: list[int] = []
    taken: set[tuple[int, int]] = set()  # (row, column) cells where a pattern found a value
    r = -1
    row_start = row_end = 0
    fields: list[int] = []
    norm, omap = normalize_bytes_with_map(data)
    mapped = not omap.identity
    for pat, ms, vs, ve, me in iter_matches(ctx.patterns, norm):
        value = norm[vs:ve]
        if mapped:
            ms, me = omap.span(ms, me)
            vs, ve = omap.span(vs, ve)
        if ms >= row_end:
            r = bisect_right(ends, ms)
            row_start = ends[r - 1] if r else 0
            row_end = ends[r] if r < len(ends) else len(data)
            fields = field_starts(data, row_start, row_end, delim)
            row_fields[r] = fields
        col = bisect_right(fields, vs) - 1
        if data.find(delim, ms, me) >= 0 and bisect_right(fields, me - 1) != bisect_right(fields, ms):
            continue  # the match joins two cells
        name = header[col] if col < ncols else None
        if only is not None and name not in only:
            continue
        out.append(Finding(pat.category.name, first_row + r, name, base + vs, ve - vs, digest_of(pat, value)))
        starts.append(vs)
        if vs < (fields[col + 1] - 1 if col + 1 < len(fields) else row_end):
            taken.add((r, col))
    return out, starts, taken


def _labelled_cells(
    data: bytes,
    base: int,
    first_row: int,
    ends: list[int],
    ctx: ScanContext,
    taken: set[tuple[int, int]],
    row_fields: dict[int, list[int]],
) -> Iterator[tuple[int, int, Finding]]:
    """Cells of columns whose name labels them (``mrn``, ``zip``...) that hold a valid value.

    A cell where the patterns already found something is skipped (one finding per value).
    """
    prev = 0
    header = ctx.header
    for r, end in enumerate(ends):
        fields = row_fields.get(r)
        if fields is None:
            fields = field_starts(data, prev, end, ctx.delim)
        nfields = len(fields)
        for col, matcher in ctx.labelled:
            if col >= nfields or (r, col) in taken:
                continue
            cs = fields[col]
            ce = fields[col + 1] - 1 if col + 1 < nfields else end
            if ce <= cs:
                continue
            if data[cs] in _PADDING or data[ce - 1] in _PADDING_END:
                vs, ve = cell_value_span(data, cs, ce)
            else:
                vs, ve = cs, ce
            if ve <= vs:
                continue
            found = cell_finding(data, base, first_row + r, header[col], matcher, vs, ve, ctx)
            if found is not None:
                yield vs, 1, found
        prev = end
