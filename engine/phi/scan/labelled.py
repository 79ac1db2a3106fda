"""A labelled cell's finding: the value of a column whose name or classification labels it.

The Python rule of the labelled columns (``mrn``, ``zip``...), shared by the table scanner's loop
(:mod:`engine.phi.scan.table`) and the native table paths (:mod:`engine.phi.scan.core_table`,
:mod:`engine.phi.scan.encoded`), which ask it about a cell the core cannot decide.
"""

from __future__ import annotations

from engine.phi.registry import ColumnMatcher
from engine.phi.scan.context import ScanContext
from engine.phi.scan.findings import Finding
from engine.phi.spans import fitting_form


def cell_finding(
    data: bytes, base: int, row: int, column: str, matcher: ColumnMatcher, vs: int, ve: int, ctx: ScanContext
) -> Finding | None:
    """The finding of a labelled cell's value ``data[vs:ve]``, or None when it is not one."""
    raw = data[vs:ve]
    if raw.isascii():
        if not matcher.bytes_re.fullmatch(raw):
            return None
        text = raw.decode("ascii")
        if not all(check(text) for check in matcher.validators):
            return None
    else:
        # As de-identification reads the cell (spans.value_fits): normalized, or as written.
        form = fitting_form(raw.decode("utf-8", "replace").strip(), matcher)
        if form is None:
            return None
        text = form
    cat = matcher.category
    digest = ctx.digest_value(cat.name, raw, matcher.normalizer(text))
    return Finding(cat.name, row, column, base + vs, ve - vs, digest)
