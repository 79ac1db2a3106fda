"""``schema_check``'s per-cell problems over frames: a problem per column, counted a batch at a time.

A cell has at most one problem, in the row path's order: required and missing; else not of its
type; else not an allowed value; else not matching the column's pattern (RE2, once per distinct
value, or over every cell in Polars where its meaning in Rust's ``regex`` is provably RE2's).
Missing is the dictionary's missing values, or blank without a dictionary.

Why expressions and not a Series operation at a time: every column's masks and counts of a batch
are one Polars query (each column stripped once, the columns evaluated in parallel), and only the
checks Python defines exactly (user patterns outside that subset, strptime formats, ISO datetimes) are computed
beforehand, once per distinct value, and joined in as columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stages.columnar import cells


def problem_exprs(spec: Any, position: int, frame: Any, missing_values: frozenset[str] | None,
                  extra: dict[str, Any]) -> dict[str, Any]:
    """Boolean expressions, one per problem kind, over the batch's column ``c{position}``.

    The expressions read ``s{position}`` (the column stripped); what only Python decides is computed
    from ``frame`` once per distinct value and put into ``extra`` under a name they read.
    """
    import polars as pl

    text = frame.get_column(f"c{position}")
    stripped = pl.col(f"s{position}")
    missing = stripped.is_in(sorted(missing_values)) if missing_values is not None else stripped == ""
    present = ~missing
    typed = present & _type_ok(spec, position, text, stripped, extra)
    out = {"required_missing": missing if spec.required else pl.lit(False), "type_errors": present & ~typed}
    allowed = typed
    if spec.allowed is not None:
        out["not_allowed"] = typed & ~stripped.is_in(list(spec.allowed))
        allowed = typed & ~out["not_allowed"]
    if spec.pattern is not None:
        matched = cells.full_match_expr(spec.pattern, stripped)
        if matched is None:
            extra[f"p{position}"] = cells.full_match(spec.pattern, text)
            matched = pl.col(f"p{position}")
        out["format_errors"] = allowed & ~matched
    return out


def _type_ok(spec: Any, position: int, text: Any, stripped: Any, extra: dict[str, Any]) -> Any:
    """Whether each cell parses as the column's type (:func:`cells.type_ok`, as an expression)."""
    import polars as pl

    kind = spec.type
    if kind in ("integer", "number", "boolean", "string") or (kind == "date" and not spec.date_format):
        return cells.type_ok_expr(kind, stripped)
    if kind in ("date", "datetime"):
        extra[f"t{position}"] = cells.type_ok(kind, text, spec.date_format)
        return pl.col(f"t{position}")
    return pl.lit(False)


def count(plan: list[tuple[str, int, Any]], batches: Iterable[tuple[int, Any, frozenset[int] | None]],
          missing_values: frozenset[str] | None, counts: dict[str, dict[str, int]], first_rows: dict[str, list[int]],
          sample: int) -> int:
    """Add each batch's problems to ``counts`` and ``first_rows``; the rows read.

    ``batches``: ``(rows before, frame, spaced columns or None)`` (:func:`stages.columnar.source.spaced_batches`).
    """
    import polars as pl

    rows = 0
    positions = sorted({position for _, position, _ in plan})
    for offset, frame, spaced in batches:
        rows = offset + frame.height
        if not frame.height:
            continue
        extra: dict[str, Any] = {}
        selects: list[Any] = []
        for name, position, spec in plan:
            masks = problem_exprs(spec, position, frame, missing_values, extra)
            selects.extend(mask.sum().alias(f"{kind}\x1f{name}") for kind, mask in masks.items())
            room = sample - len(first_rows[name])
            if room > 0:
                any_problem = pl.any_horizontal(list(masks.values()))
                selects.append(pl.arg_where(any_problem).head(room).implode().alias(f"rows\x1f{name}"))
        work = frame.select([cells.stripped(p, spaced).alias(f"s{p}") for p in positions])
        if extra:
            work = work.with_columns(**extra)
        result = work.select(selects).row(0, named=True)
        for key, value in result.items():
            what, name = key.split("\x1f", 1)
            if what == "rows":
                first_rows[name].extend(offset + 1 + int(i) for i in value)
            elif value:
                counts[name][what] += int(value)
    return rows

