"""``schema_check``'s per-cell problems over frames: a problem per column, counted a batch at a time.

A cell has at most one problem, in the row path's order: required and missing; else not of its
type; else not an allowed value; else not matching the column's pattern (RE2, once per distinct
value). Missing is the dictionary's missing values, or blank without a dictionary.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stages.columnar import cells


def problems(spec: Any, text: Any, missing_values: frozenset[str] | None) -> dict[str, Any]:
    """Boolean masks, one per problem kind, for one column's batch of cells."""
    import polars as pl

    missing = cells.is_missing(text, missing_values) if missing_values is not None else cells.strip(text) == ""
    present = ~missing
    false = pl.Series([False] * text.len(), dtype=pl.Boolean)
    typed = present & cells.type_ok(spec.type, text, spec.date_format)
    out = {"required_missing": missing if spec.required else false, "type_errors": present & ~typed}
    stripped = cells.strip(text)
    allowed = typed
    if spec.allowed is not None:
        out["not_allowed"] = typed & ~stripped.is_in(list(spec.allowed))
        allowed = typed & ~out["not_allowed"]
    if spec.pattern is not None:
        out["format_errors"] = allowed & ~cells.full_match(spec.pattern, text)
    return out


def count(plan: list[tuple[str, int, Any]], batches: Iterable[tuple[int, Any]], missing_values: frozenset[str] | None,
          counts: dict[str, dict[str, int]], first_rows: dict[str, list[int]], sample: int) -> int:
    """Add each batch's problems to ``counts`` and ``first_rows``; the rows read."""
    rows = 0
    for offset, frame in batches:
        rows = offset + frame.height
        for name, position, spec in plan:
            masks = problems(spec, frame.get_column(f"c{position}"), missing_values)
            any_problem = None
            for kind, mask in masks.items():
                n = int(mask.sum())
                if n:
                    counts[name][kind] += n
                    any_problem = mask if any_problem is None else any_problem | mask
            room = sample - len(first_rows[name])
            if any_problem is not None and room > 0:
                first_rows[name].extend(offset + 1 + int(i) for i in any_problem.arg_true().head(room).to_list())
    return rows
