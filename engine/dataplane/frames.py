"""Typed files read as a stream of Polars frames, and those frames as the text cells the stages check.

Why text cells: every built-in stage checks a cell as the string a CSV export would hold (``42``,
``2024-01-05``, empty for missing), so a study exported as Parquet, SAS, Stata, SPSS or Excel gives
the same counts as its CSV. Dates stay dates (ISO text), whole numbers stored as doubles (SAS and
SPSS store every number as one) are written without ``.0``, missing values (null, NaN, SAS ``.``)
are empty.

Memory: Parquet is read in batches of row groups, SAS/Stata/SPSS in chunks of rows; an Excel sheet
is read whole (bounded by upload's ``max_bytes``). Error messages name the format and a reason,
never the library's text (it can quote a cell).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.dataplane.formats import TYPED
from engine.dataplane.sniff import TabularError

BATCH_ROWS = 50_000
_READSTAT = {"sas7bdat": "read_sas7bdat", "xpt": "read_xport", "dta": "read_dta", "sav": "read_sav"}


class FormatError(TabularError):
    """A typed file that cannot be read: damaged, not the declared format, or its reader not installed."""


def require_reader(fmt: str) -> Any:
    """The module that reads ``fmt``, or a :class:`FormatError` saying which extra installs it."""
    spec = TYPED[fmt]
    try:
        return importlib.import_module(spec.module)
    except ImportError:
        how = f"pip install 'rflow[{spec.extra}]'" if spec.extra else f"pip install {spec.module}"
        raise FormatError(f"reading {spec.label} files needs {spec.module}, which is not installed ({how})") from None


def readstat_metadata(path: str | Path, fmt: str) -> Any:
    """pyreadstat's metadata of a SAS, Stata or SPSS file (``fmt``), read without its rows."""
    _, meta = getattr(require_reader(fmt), _READSTAT[fmt])(str(path), metadataonly=True)
    return meta


def _unreadable(fmt: str) -> FormatError:
    return FormatError(f"cannot read the input as {TYPED[fmt].label} ({fmt}): the file is damaged or not that format")


class TypedTable:
    """One typed file: its column names and types, and its rows as frames or text cells.

    ``extra_sheets``: other sheets of a workbook (only the first visible sheet is read; the count
    is reported so a user knows).
    """

    def __init__(self, path: Path, fmt: str, batch_rows: int = BATCH_ROWS) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.batch_rows = batch_rows
        self.columns: list[str] = []
        self.dtypes: list[Any] = []
        self.extra_sheets = 0
        self.sheet_name = ""
        """The workbook sheet read (xlsx): the first visible one."""
        self._sheet: Any = None
        self._meta: Any = None
        require_reader(fmt)
        try:
            self._open()
        except FormatError:
            raise
        except Exception:  # every library raises its own types; a broken file must not be a traceback
            raise _unreadable(fmt) from None

    def _open(self) -> None:
        import polars as pl

        if self.fmt == "parquet":
            schema = pl.scan_parquet(self.path).collect_schema()
            self.columns, self.dtypes = list(schema.names()), list(schema.dtypes())
        elif self.fmt == "xlsx":
            import fastexcel

            reader = fastexcel.read_excel(str(self.path))
            visible = [n for n in reader.sheet_names if _visible(reader, n)]
            if not visible:
                raise FormatError("the workbook has no visible sheet to read")
            self.extra_sheets = len(reader.sheet_names) - 1
            self.sheet_name = visible[0]
            self._sheet = reader.load_sheet(visible[0]).to_polars()
            self.columns, self.dtypes = list(self._sheet.columns), list(self._sheet.dtypes)
        else:
            meta = readstat_metadata(self.path, self.fmt)
            self._meta = meta
            first = next(self._readstat_chunks(limit=1), None)
            self.columns = list(meta.column_names)
            self.dtypes = list(first.dtypes) if first is not None else [pl.String] * len(self.columns)

    def _readstat_chunks(self, limit: int = 0) -> Iterator[Any]:
        pyreadstat = require_reader(self.fmt)
        read = getattr(pyreadstat, _READSTAT[self.fmt])
        for chunk, _ in pyreadstat.read_file_in_chunks(read, str(self.path), chunksize=limit or self.batch_rows,
                                                        limit=limit, output_format="polars"):
            yield chunk
            if limit:
                return

    def batches(self) -> Iterator[Any]:
        """The rows as Polars frames of at most about ``batch_rows`` rows, in file order."""
        import polars as pl

        try:
            if self.fmt == "parquet":
                yield from pl.scan_parquet(self.path).collect_batches(chunk_size=self.batch_rows)
            elif self.fmt == "xlsx":
                for start in range(0, self._sheet.height, self.batch_rows):
                    yield self._sheet.slice(start, self.batch_rows)
            else:
                yield from self._readstat_chunks()
        except FormatError:
            raise
        except Exception:
            raise _unreadable(self.fmt) from None

    def text_rows(self) -> Iterator[list[str]]:
        """Every row as the text cells a CSV export of it would hold."""
        for batch in self.batches():
            for row in as_text(batch).iter_rows():
                yield list(row)


def _visible(reader: Any, name: str) -> bool:
    try:
        return str(reader.load_sheet(name, n_rows=0).visible).lower().endswith("visible")
    except Exception:
        return True


def as_text(frame: Any) -> Any:
    """``frame`` with every column as text, rendered as a CSV export would (see the module docstring)."""
    import polars as pl

    exprs = []
    for name, dtype in frame.schema.items():
        exprs.append(_text_expr(pl.col(name), dtype, frame[name]).fill_null("").alias(name))
    return frame.select(exprs) if exprs else frame


def _text_expr(col: Any, dtype: Any, series: Any) -> Any:
    import polars as pl

    if dtype == pl.String:
        return col
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("true")).when(~col).then(pl.lit("false"))
    if dtype.is_integer():
        return col.cast(pl.String)
    if dtype.is_float():
        whole = col.is_finite() & (col == col.round(0)) & (col.abs() < 1e15)
        return (pl.when(col.is_nan()).then(None)
                .when(whole).then(col.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(col.cast(pl.String)))
    if dtype == pl.Date:
        return col.dt.to_string("%Y-%m-%d")
    if dtype == pl.Datetime:
        # Excel and SAS keep dates as datetimes: one at midnight is shown as its date.
        midnight = col.dt.time() == pl.time(0)
        return (pl.when(midnight).then(col.dt.to_string("%Y-%m-%d"))
                .otherwise(col.dt.to_string("%Y-%m-%d %H:%M:%S%.f")))
    if dtype == pl.Time:
        return col.dt.to_string("%H:%M:%S%.f")
    if dtype in (pl.Categorical, pl.Enum) or dtype.is_decimal():
        return col.cast(pl.String)
    if dtype == pl.Binary:
        return col.map_elements(lambda b: b.decode("utf-8", "replace"), return_dtype=pl.String)
    if dtype == pl.Null:
        # A cast, not a literal: a frame of literals only would collapse to one row.
        return col.cast(pl.String)
    # Lists, structs, durations...: JSON text, as a JSON-lines cell is shown.
    return col.map_elements(lambda v: json.dumps(_plain(v), ensure_ascii=False, sort_keys=True, default=str),
                            return_dtype=pl.String)


def _plain(value: Any) -> Any:
    if hasattr(value, "to_list"):
        return value.to_list()
    return value


def is_date_dtype(dtype: Any) -> bool:
    """Whether a column's type is a date or datetime (classified as a date by its type, not its text)."""
    import polars as pl

    return bool(dtype == pl.Date or dtype == pl.Datetime)
