"""Streaming reads of tabular inputs (CSV, TSV, JSON lines, plain text, typed files) for the built-in stages.

Why one module: every stage must agree on what a row, a column and a row number are, and every
stage must fail the same way on a broken file, with messages built from positions and counts,
never from the bytes of the file (a malformed cell is exactly where an identifier hides).

Row numbers are 1-based data rows: the header is not counted (in text files, lines). How a file
is read (format, encoding, delimiter) is sniffed by :mod:`engine.dataplane.sniff`, shared with ``rflow phi
scan``, and re-exported here. Typed files (Parquet, Excel, SAS, Stata, SPSS) are read by
:mod:`engine.dataplane.frames` and yielded as the same rows of text cells.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from engine import (
    DELIMITERS,
    FORMATS,
    SAMPLE_BYTES,
    TableFormat,
    TabularError,
    detect_delimiter,
    detect_encoding,
    first_row_is_data,
    generated_columns,
    is_typed,
    load_record,
    one_column_hint,
    sniff,
)
from engine.phi.labels import safe_column_names

__all__ = [
    "DEFAULT_MAX_FIELD_CHARS",
    "DELIMITERS",
    "FORMATS",
    "SAMPLE_BYTES",
    "TableFormat",
    "TableReader",
    "TabularError",
    "cell",
    "column_index",
    "detect_delimiter",
    "detect_encoding",
    "first_row_is_data",
    "generated_columns",
    "locate_decode_error",
    "one_column_hint",
    "open_table",
    "safe_column_names",
    "sniff",
]

DEFAULT_MAX_FIELD_CHARS = 131_072
"""The csv module's own default; a longer field is usually an unclosed quote swallowing the file."""
JSONL_HEADER_SAMPLE = 1000

_csv_limit_lock = threading.Lock()


# -- reading ---------------------------------------------------------------------------------------


class _HashingRaw(io.RawIOBase):
    """A raw stream that hashes and counts every byte read through it (one pass for both)."""

    def __init__(self, raw: IO[bytes], digest: Any) -> None:
        self._raw = raw
        self._digest = digest
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._digest.update(memoryview(buffer)[:n])
            self.bytes_read += n
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def _ensure_csv_limit(limit: int) -> None:
    # The csv limit is process-global: only ever raise it; the per-reader cap is checked here.
    with _csv_limit_lock:
        if csv.field_size_limit() < limit:
            csv.field_size_limit(limit)


class TableReader:
    """Stream the rows of one file as lists of strings, checking field sizes and decoding.

    ``columns`` is known after construction; iterate for rows. ``row`` is the current data row
    number, ``ragged_rows`` counts rows whose width differs from the header's. A JSON-lines file's
    columns are the keys of its first records; other keys count as ragged.
    """

    def __init__(
        self,
        path: Path,
        fmt: TableFormat,
        *,
        max_field_chars: int = DEFAULT_MAX_FIELD_CHARS,
        hash_bytes: bool = False,
        checkpoint: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.max_field_chars = max_field_chars
        self.row = 0
        self.ragged_rows = 0
        self.first_ragged: list[int] = []
        self._last_record: tuple[int, int, int] | None = None  # (first line, last line, data row)
        self.raw_header: list[str] = []
        self.columns: list[str] = []
        self.duplicate_columns = 0
        self._checkpoint = checkpoint
        self._digest = hashlib.sha256() if hash_bytes else None
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        self._raw: _HashingRaw | None = None
        stream: IO[bytes] = raw
        if self._digest is not None:
            self._raw = _HashingRaw(raw, self._digest)
            stream = io.BufferedReader(self._raw, buffer_size=1 << 16)
        # A typed file (Parquet, Excel, SAS...) is read by the data plane; the text layer is never used.
        text_encoding = "latin-1" if is_typed(fmt.format) else fmt.encoding
        self._text = io.TextIOWrapper(stream, encoding=text_encoding, errors="strict", newline="")
        self.extra_sheets = 0
        self._rows: Iterator[list[str]]
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # ---- setup
    def _open(self) -> None:
        if is_typed(self.fmt.format):
            self._open_typed()
        elif self.fmt.format in ("csv", "tsv"):
            _ensure_csv_limit(self.max_field_chars + 1)
            reader = csv.reader(self._text, delimiter=self.fmt.delimiter or ",", strict=False)
            self._csv = reader
            header = self._next_record(reader, 0)
            first = list(header) if header is not None else []
            self._check_fields(first, 0)
            if self.fmt.has_header:
                self.raw_header = first
                self._rows = self._csv_rows(reader)
            else:  # the first row is data: generated names, and the row is read as row 1
                self.raw_header = generated_columns(len(first))
                self._rows = self._csv_rows(reader, first if first else None)
        elif self.fmt.format == "jsonl":
            self._open_jsonl()
        else:
            self.raw_header = ["text"]
            self._rows = self._text_rows()
        self.columns = safe_column_names(self.raw_header)
        self.duplicate_columns = len(self.raw_header) - len({c.strip() for c in self.raw_header})

    def _guard(self, fn: Callable[[], Any], row: int) -> Any:
        """Turn decoding and csv errors into :class:`TabularError` with a position only."""
        where = "in the header" if row == 0 else f"near data row {row}"
        try:
            return fn()
        except UnicodeDecodeError:
            # Decoding runs ahead in chunks, so the row being parsed is not where the bad byte is:
            # find the line by re-reading the bytes.
            located = locate_decode_error(self.path, self.fmt.encoding)
            at = f"at line {located[0]} (byte {located[1]})" if located else where
            raise TabularError(
                f"cannot decode the input as {self.fmt.encoding} {at}; set 'encoding' "
                "in the stage config (for example cp1252 or latin-1)"
            ) from None
        except csv.Error as exc:
            text = str(exc)
            if "field larger than field limit" in text:
                raise TabularError(
                    f"a field {where} is longer than {self.max_field_chars} characters "
                    "(an unclosed quote?); raise 'max_field_chars' if it is real"
                ) from None
            if "NUL" in text:
                raise TabularError(f"the input contains a NUL byte {where}; is it a binary file?") from None
            raise TabularError(f"malformed {self.fmt.format.upper()} {where}") from None

    def _next_record(self, reader: Any, row: int) -> list[str] | None:
        """The next CSV record; at the end, an unclosed quote that swallowed the last lines is an error.

        Why: a lenient reader takes everything from an unclosed quote to the end of the file as
        one field, which looks like a single ragged row. Only a last record that spans lines can
        be one, so only then are its lines read again, strictly, from where it starts.
        """
        start = reader.line_num + 1
        record = self._guard(lambda: next(reader, None), row)
        if record is not None:
            self._last_record = (start, reader.line_num, row)
        elif self._last_record is not None and self._last_record[1] > self._last_record[0]:
            first_line, _, at_row = self._last_record
            self._last_record = None
            if self._runs_to_the_end(first_line):
                where = "in the header" if at_row == 0 else f"in data row {at_row}"
                raise TabularError(
                    f"an unclosed quote {where} (line {first_line}) runs to the end of the file, so every "
                    "line after it was read as part of one field; close the quote or remove it"
                )
        return record

    def _runs_to_the_end(self, first_line: int) -> bool:
        """Whether the CSV text from line ``first_line`` on ends inside a quoted field."""
        with open(self.path, encoding=self.fmt.encoding, errors="replace", newline="") as text:
            lines = itertools.islice(text, first_line - 1, None)
            try:
                for _ in csv.reader(lines, delimiter=self.fmt.delimiter or ",", strict=True):
                    pass
            except csv.Error as exc:
                return "unexpected end of data" in str(exc)
        return False

    def _check_fields(self, fields: list[str], row: int) -> None:
        for field in fields:
            if len(field) > self.max_field_chars:
                where = "in the header" if row == 0 else f"in data row {row}"
                raise TabularError(
                    f"a field {where} is longer than {self.max_field_chars} characters "
                    "(an unclosed quote?); raise 'max_field_chars' if it is real"
                )

    def _note_ragged(self, row: int) -> None:
        self.ragged_rows += 1
        if len(self.first_ragged) < 10:
            self.first_ragged.append(row)

    # ---- per format
    def _csv_rows(self, reader: Any, pending: list[str] | None = None) -> Iterator[list[str]]:
        width = len(self.raw_header)
        record: list[str] | None
        while True:
            if pending is not None:
                record, pending = pending, None
            else:
                record = self._next_record(reader, self.row + 1)
            if record is None:
                return
            if not record:  # a blank line: csv yields [] for it; not a row
                continue
            self.row += 1
            self._check_fields(record, self.row)
            if len(record) != width:
                self._note_ragged(self.row)
            yield record

    def _text_rows(self) -> Iterator[list[str]]:
        while True:
            line = self._guard(self._text.readline, self.row + 1)
            if not line:
                return
            self.row += 1
            text = line.rstrip("\r\n")
            self._check_fields([text], self.row)
            yield [text]

    def _next_json(self, lines: int) -> dict[str, Any] | None:
        """The next JSON object (blank lines skipped); ``lines`` is the count read so far."""
        while True:
            line = self._guard(self._text.readline, lines + 1)
            if not line:
                return None
            if line.strip():
                break
        self._check_fields([line], lines + 1)
        obj = load_record(line, f"data row {lines + 1}", TabularError, deep="JSON ")
        if not isinstance(obj, dict):
            raise TabularError(f"data row {lines + 1} is not a JSON object")
        return obj

    def _open_typed(self) -> None:
        from engine import TypedTable

        table = TypedTable(self.path, self.fmt.format)
        self.extra_sheets = table.extra_sheets
        self.raw_header = [str(c) for c in table.columns]
        self._rows = self._typed_rows(table)

    def _typed_rows(self, table: Any) -> Iterator[list[str]]:
        for record in table.text_rows():
            self.row += 1
            self._check_fields(record, self.row)
            yield record

    def _open_jsonl(self) -> None:
        # Columns are the keys of the first records, read ahead and replayed, so rows keep one width.
        buffered: list[dict[str, Any]] = []
        keys: dict[str, None] = {}
        while len(buffered) < JSONL_HEADER_SAMPLE:
            obj = self._next_json(len(buffered))
            if obj is None:
                break
            buffered.append(obj)
            for k in obj:
                keys.setdefault(str(k), None)
        self.raw_header = list(keys)
        self._rows = self._jsonl_rows(buffered, keys)

    def _jsonl_rows(self, buffered: list[dict[str, Any]], keys: dict[str, None]) -> Iterator[list[str]]:
        order = list(keys)
        pending = iter(buffered)
        while True:
            obj = next(pending, None)
            if obj is None:
                obj = self._next_json(self.row)
                if obj is None:
                    return
            self.row += 1
            if any(str(k) not in keys for k in obj):
                self._note_ragged(self.row)
            yield [_cell(obj.get(k)) for k in order]

    # ---- public
    def __iter__(self) -> Iterator[list[str]]:
        checkpoint = self._checkpoint
        for row in self._rows:
            if checkpoint is not None and self.row % 2048 == 0:
                checkpoint()
            yield row

    @property
    def sha256(self) -> str:
        """Hex digest of the bytes read so far (the whole file once iteration finished)."""
        if self._digest is None:
            raise RuntimeError("reader was opened without hash_bytes=True")
        return self._digest.hexdigest()

    def drain(self) -> None:
        """Read the rest of the raw bytes (for the checksum) without parsing them."""
        if self._raw is not None:
            buf = bytearray(1 << 16)
            while self._raw.readinto(buf):
                pass

    def close(self) -> None:
        # Closing a half-decoded stream must not mask the real error.
        with contextlib.suppress(Exception):
            self._text.close()

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def locate_decode_error(path: Path, encoding: str) -> tuple[int, int] | None:
    """``(line, byte offset)`` (1-based line) of the first byte ``encoding`` cannot decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    line = 1
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 16):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad = max(0, min(len(block), exc.start))
                    return line + block.count(b"\n", 0, bad), offset + bad
                line += block.count(b"\n")
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line, offset
    except OSError:
        return None
    return None


def _cell(value: Any) -> str:
    """A JSON value as the string a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def open_table(path: Path, profile: Any, **kwargs: Any) -> TableReader:
    """A reader configured from a ``DatasetProfile`` (format, encoding, delimiter)."""
    fmt = TableFormat(
        format=profile.format, encoding=profile.encoding, delimiter=profile.delimiter, has_bom=profile.has_bom,
        has_header=getattr(profile, "has_header", True),
    )
    return TableReader(path, fmt, **kwargs)


def column_index(columns: list[str]) -> dict[str, int]:
    """Name -> position, first occurrence wins."""
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name, i)
    return index


def cell(row: list[str], index: int) -> str:
    """The cell at ``index``, or ``""`` for a short (ragged) row."""
    return row[index] if index < len(row) else ""
