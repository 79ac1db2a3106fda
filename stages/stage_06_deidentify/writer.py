"""The de-identified copy in the input's format: a Parquet input gets a Parquet copy, typed as the input was.

Why after everything else: the copy is made, rescanned and checked for k-anonymity as CSV text,
one path for every format; only then is a Parquet input's copy rewritten as Parquet (streamed,
through Polars' lazy engine), each kept column in the input's type where every de-identified value
still is one (a shifted date is a date), else as text (a pseudonym in an integer id column, a date
generalised to its year). Empty cells are nulls. The input's key-value metadata is not carried
over. Other typed inputs (Excel, SAS, Stata, SPSS) keep a CSV copy: their labels and formats have
no faithful place in a file rflow can write without a new dependency.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from engine import atomic_binary_output, writing_artifact
from stages.stage_06_deidentify.classify import Prepared


def in_input_format(copy: Path, fmt: str, source: Path, prep: Prepared,
                    run_folder: Path | None = None) -> tuple[Path, str] | None:
    """``(path, sha256)`` of the copy rewritten in the input's format, the CSV removed; None: it stays CSV."""
    if fmt != "parquet":
        return None
    import polars as pl

    from engine import TypedTable

    dtypes = TypedTable(source, fmt, batch_rows=1).dtypes
    names = prep.out_columns
    wanted = [dtypes[i] if i < len(dtypes) else pl.String for i in prep.kept]
    positional = [f"c{i}" for i in range(len(names))]
    scan = pl.scan_csv(copy, has_header=True, new_columns=positional, schema=dict.fromkeys(positional, pl.String),
                       empty_string_is_null=False, quote_char='"', encoding="utf8")
    typed = {p: _typed(pl.col(p), d) for p, d in zip(positional, wanted, strict=True)}
    # One streaming pass counts, per column, the cells that do not convert; those columns stay text.
    checks = [(pl.col(p).ne("") & typed[p].is_null()).sum().alias(p) for p in positional if typed[p] is not None]
    failed = scan.select(checks).collect(engine="streaming").row(0, named=True) if checks else {}
    exprs = []
    for p, name in zip(positional, names, strict=True):
        empty_as_null = pl.when(pl.col(p) != "").then(pl.col(p))
        expr = typed[p] if typed[p] is not None and not failed.get(p) else empty_as_null
        exprs.append(expr.alias(name))
    out = copy.with_suffix(".parquet")
    try:
        with writing_artifact(out, run_folder or copy.parent), atomic_binary_output(out) as sink:
            scan.select(exprs).sink_parquet(sink)
    except BaseException:
        copy.unlink(missing_ok=True)  # the step fails: no copy of either format stays behind
        raise
    digest = hashlib.sha256()
    with open(out, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    copy.unlink()
    return out, digest.hexdigest()


def _typed(col: Any, dtype: Any) -> Any:
    """``col`` (text as :func:`engine.dataplane.frames.as_text` renders it) read back as ``dtype``; None: text."""
    import polars as pl

    text = pl.when(col != "").then(col)
    if dtype == pl.String:
        return None
    if dtype == pl.Boolean:
        return pl.when(text == "true").then(True).when(text == "false").then(False)
    if dtype.is_integer() or dtype.is_float() or dtype.is_decimal():
        return text.cast(dtype, strict=False)
    if dtype == pl.Date:
        return text.str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Datetime and getattr(dtype, "time_zone", None) is None:
        moment = pl.coalesce(text.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False),
                             text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime))
        return moment.cast(dtype)
    return None
