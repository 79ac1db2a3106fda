"""The cell checks of :mod:`stages.dictionary` as column operations on Polars text Series.

Each function here gives, for every cell of a batch, exactly what its row-wise counterpart gives
for that cell (the differential tests in tests/dataplane hold them to it):

- whitespace is Python's (``str.strip``), not Unicode's White_Space (they differ on \\x1c-\\x1f);
- built-in shapes (integer, number, ISO date, boolean) are fixed ASCII regexes, which mean the same
  in Rust's ``regex`` as in Python's ``re``;
- what only Python defines exactly (user patterns in RE2 through :mod:`engine.core.userpattern`,
  strptime ``date_format``, ISO datetimes, ICD-10/LOINC codes) runs once per distinct value of the
  batch; user patterns whose RE2 meaning Rust's ``regex`` provably shares (:func:`full_match_expr`)
  run in Polars instead, over every cell.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from engine import dataplane_references, rust_fullmatch
from stages.dictionary import BOOLS, DATE_RE, INT_RE, NUM_RE, code_ok, parse_date, parse_datetime

PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
"""The characters ``str.strip()`` removes (``str.isspace``), spelled out: computing them costs 0.1 s."""


def strip(s: Any) -> Any:
    return s.str.strip_chars(PY_WHITESPACE)


def stripped(position: int, spaced: frozenset[int] | None) -> Any:
    """Column ``c{position}`` stripped, as an expression; as it is where ``spaced`` says no cell of it
    starts or ends with whitespace (:attr:`stages.columnar.source.Batch.spaced`)."""
    import polars as pl

    column = pl.col(f"c{position}")
    return strip(column) if spaced is None or position in spaced else column


def by_distinct(s: Any, fn: Callable[[str], Any], dtype: Any) -> Any:
    """``fn`` of every cell, computed once per distinct value of ``s``."""
    distinct = s.unique().to_list()
    return s.replace_strict(distinct, [fn(v) for v in distinct], return_dtype=dtype)


def is_missing(s: Any, missing_values: frozenset[str]) -> Any:
    return strip(s).is_in(sorted(missing_values))


def parse_number(s: Any) -> Any:
    """Float64 of the cells that are ASCII decimal numbers; null elsewhere."""
    import polars as pl

    text = strip(s)
    ok = text.str.contains(NUM_RE.pattern)
    return (pl.DataFrame({"t": text, "ok": ok})
            .select(pl.when(pl.col("ok")).then(pl.col("t").cast(pl.Float64, strict=False)))
            .to_series())


def parse_dates(s: Any, fmt: str | None) -> Any:
    """Date of every calendar-valid cell (ISO unless ``fmt``, a strptime format); null elsewhere."""
    import polars as pl

    if fmt:
        return by_distinct(s, lambda t: parse_date(t, fmt), pl.Date)
    text = strip(s)
    # chrono reads year 0; Python's date (and so the row check) does not.
    shaped = text.str.contains(DATE_RE.pattern) & ~text.str.starts_with("0000")
    return (pl.DataFrame({"t": text, "ok": shaped})
            .select(pl.when(pl.col("ok")).then(pl.col("t").str.to_date("%Y-%m-%d", strict=False)))
            .to_series())


def type_ok(kind: str, s: Any, date_format: str | None = None) -> Any:
    """Whether each (non-missing) cell parses as the dictionary type ``kind``."""
    import polars as pl

    if kind == "string":
        return pl.Series(s.name, [True] * s.len(), dtype=pl.Boolean)
    if kind == "integer":
        return strip(s).str.contains(INT_RE.pattern)
    if kind == "number":
        return strip(s).str.contains(NUM_RE.pattern)
    if kind == "date":
        return parse_dates(s, date_format).is_not_null()
    if kind == "datetime":
        return by_distinct(s, lambda t: parse_datetime(t) is not None, pl.Boolean)
    if kind == "boolean":
        return strip(s).str.to_lowercase().is_in(sorted(BOOLS))
    return pl.Series(s.name, [False] * s.len(), dtype=pl.Boolean)


def type_ok_expr(kind: str, stripped: Any) -> Any:
    """:func:`type_ok` as an expression over the stripped cells, for the types Polars decides alone.

    ``kind`` is string, integer, number, boolean, or date without a ``date_format`` (ISO).
    """
    import polars as pl

    if kind == "string":
        return pl.lit(True)
    if kind == "integer":
        return stripped.str.contains(INT_RE.pattern)
    if kind == "number":
        return stripped.str.contains(NUM_RE.pattern)
    if kind == "boolean":
        return stripped.str.to_lowercase().is_in(sorted(BOOLS))
    if kind == "date":
        # chrono reads year 0; Python's date (and so the row check) does not.
        shaped = stripped.str.contains(DATE_RE.pattern) & ~stripped.str.starts_with("0000")
        return shaped & stripped.str.to_date("%Y-%m-%d", strict=False).is_not_null()
    raise ValueError(f"not a type Polars decides alone: {kind}")


def codes_ok(system: str, s: Any) -> Any:
    import polars as pl

    return by_distinct(s, lambda t: code_ok(system, t), pl.Boolean)


def full_match_expr(pattern: Any, stripped: Any) -> Any | None:
    """``pattern`` full-matching each stripped cell as a Polars expression (Rust ``regex``), or None.

    None when the pattern is outside the subset whose meaning is the same in both dialects
    (:func:`engine.rust_fullmatch`), when Rust's engine refuses it (its size limits are not RE2's),
    or when ``RFLOW_DATAPLANE_CORE=0`` selects the references: then :func:`full_match` (RE2, once per
    distinct value) decides.
    """
    if dataplane_references():
        return None
    spelled = _rust_pattern(pattern.source)
    return None if spelled is None else stripped.str.contains(spelled)


@functools.lru_cache(maxsize=512)
def _rust_pattern(source: str) -> str | None:
    import polars as pl

    spelled = rust_fullmatch(source)
    if spelled is None:
        return None
    try:
        pl.Series("p", [""], dtype=pl.String).str.contains(spelled)
    except Exception:  # compiled programs too large for Rust's limits
        return None
    return spelled


def full_match(pattern: Any, s: Any) -> Any:
    """``pattern`` (a :class:`engine.userpattern.UserPattern`, RE2) full-matching each stripped cell."""
    import polars as pl

    return by_distinct(strip(s), pattern.fullmatch, pl.Boolean)
