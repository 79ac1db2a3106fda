"""Write a CSV table as each typed format with typed columns, as a study's export would be.

A column becomes typed (dates as dates, integers and numbers as numbers) only when every
non-missing cell parses as its dictionary type; otherwise it stays text, so a planted bad cell is
still there to be counted. Writers are the real libraries a user's tools use: Polars (Parquet),
pandas + openpyxl (Excel), pyreadstat (Stata, SPSS, SAS transport and SAS .sas7bdat).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from stages.dictionary import Dictionary, parse_date, parse_number, type_ok

WRITABLE = ("parquet", "xlsx", "dta", "sav", "xpt", "sas7bdat")


def typed_columns(path: Path, dictionary: Dictionary) -> dict[str, list[Any]]:
    """The CSV's columns as Python values: typed where every present cell parses, else text."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    out: dict[str, list[Any]] = {}
    for i, name in enumerate(header):
        cells = [r[i] if i < len(r) else "" for r in body]
        spec = dictionary.columns.get(name)
        kind = spec.type if spec else "string"
        present = [c for c in cells if not dictionary.is_missing(c)]
        if kind in ("integer", "number", "date") and present and all(type_ok(kind, c) for c in present):
            conv: Any = {"integer": lambda c: int(c.strip()), "number": parse_number, "date": parse_date}[kind]
            out[name] = [None if dictionary.is_missing(c) else conv(c) for c in cells]
        else:
            out[name] = [None if dictionary.is_missing(c) else c for c in cells]
    return out


def write_as(columns: dict[str, list[Any]], fmt: str, path: Path) -> Path:
    """Write ``columns`` as ``fmt`` at ``path``."""
    if fmt == "parquet":
        import polars as pl

        pl.DataFrame(columns, strict=False).write_parquet(path)
        return path
    import pandas as pd

    frame = pd.DataFrame({k: pd.Series(v, dtype=_pandas_dtype(v)) for k, v in columns.items()})
    if fmt == "xlsx":
        frame.to_excel(path, index=False)
        return path
    import pyreadstat

    if fmt == "dta":
        pyreadstat.write_dta(frame, str(path))
    elif fmt == "sav":
        pyreadstat.write_sav(frame, str(path))
    elif fmt == "xpt":
        pyreadstat.write_xport(frame, str(path), file_format_version=8)
    elif fmt == "sas7bdat":
        pyreadstat.write_sas7bdat(frame, str(path))
    else:
        raise ValueError(fmt)
    return path


def _pandas_dtype(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) for v in present):
        return "Int64" if len(present) < len(values) else "int64"
    if present and all(isinstance(v, (int, float)) for v in present):
        return "float64"
    if present and all(isinstance(v, dt.date) for v in present):
        return "object"
    return "object"
