"""A table chunk's findings that its caller does not accept, from one core call, with no digest.

Why: the rescan of a de-identified copy counts by column and category the findings that are not
accepted there by design (shifted dates in a shifted column, what the settings keep). On a dense
copy nearly every finding is accepted: building each as a :class:`Finding`, with its digest, only
to drop it was most of the rescan's time. Here the core runs the chunk pass of
:mod:`engine.phi.scan.encoded` (the same walk, cue spans, column filter and labelled cells) without
a key, drops the accepted findings itself and returns the others as ``(category, row, column)``,
in :func:`engine.phi.scan.table.scan_table_chunk`'s order. Python judges, in one batch a chunk,
only a labelled cell the core cannot decide, and only where its category is not accepted.

The reference is :func:`scan_table_chunk` filtered by category (:func:`kept_of`); the results are
identical (tests/native). ``RFLOW_PHI_CORE_KEPT=0`` selects the reference in the same process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping

from engine.phi import native_match
from engine.phi.scan.context import ScanContext
from engine.phi.scan.encoded import core_chunk_inputs
from engine.phi.scan.findings import Finding
from engine.phi.scan.labelled import cell_finding

ENV = "RFLOW_PHI_CORE_KEPT"
"""``0``: chunks go through :class:`Finding` tuples filtered in Python (the reference, for tests and benchmarks)."""

Accepted = Mapping[str, Collection[str]]
"""Column name -> categories accepted in it; ``""`` for the header line and columns past the header."""
Kept = tuple[str, int | None, str | None]
"""A finding that is not accepted: ``(category, row, column)``."""


def core_keeps() -> bool:
    """True unless ``RFLOW_PHI_CORE_KEPT=0`` (or ``RFLOW_PHI_CORE_WALK=0``, the older path)."""
    return os.environ.get(ENV, "1") != "0" and native_match.core_walks()


def kept_of(found: Iterable[Finding], accepted: Accepted) -> Iterator[Kept]:
    """The findings whose category is not accepted in their column (the reference)."""
    for f in found:
        if f.category not in accepted.get(f.column or "", ()):
            yield f.category, f.row, f.column


def kept_table_chunk(
    data: bytes, base: int, first_row: int, ctx: ScanContext, accepted: Accepted
) -> tuple[list[Kept], int] | None:
    """``(kept findings, rows in the chunk)`` of a chunk of whole rows, as
    ``kept_of(scan_table_chunk(...))`` gives them, or None where the core does not run it."""
    if not core_keeps():
        return None
    from engine.phi.native import core

    if core is None:
        return None
    got = core_chunk_inputs(data, ctx)
    if got is None:
        return None
    header = ctx.header
    table = [sorted(accepted.get(name, ())) for name in header] + [sorted(accepted.get("", ()))]
    found, nrows = core.kept_table_chunk(
        got.matcher, got.norm, ctx.delim[0], got.spans, got.plans, got.only, got.rules, table, got.asker,
        _judge(data, base, first_row, ctx), got.original, got.mapping,
    )  # fmt: skip
    ncols = len(header)
    return [(cat, first_row + r, header[col] if col < ncols else None) for cat, r, col in found], nrows


Cells = list[tuple[int, int, int, int]]


def _judge(data: bytes, base: int, first_row: int, ctx: ScanContext) -> Callable[[Cells], list[bool]]:
    """Whether each labelled cell the core could not decide is a finding (as :func:`cell_finding` says)."""
    def judge(cells: Cells) -> list[bool]:
        out = []
        for k, r, vs, ve in cells:
            col, matcher = ctx.labelled[k]
            out.append(cell_finding(data, base, first_row + r, ctx.header[col], matcher, vs, ve, ctx) is not None)
        return out

    return judge
