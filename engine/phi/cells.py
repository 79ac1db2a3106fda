"""Cell-by-cell scanning of a table the streaming scanner cannot read as bytes.

The byte scanner (:mod:`engine.phi.scanner`) reads UTF-8 with ``,`` or tab. A semicolon- or
pipe-separated export, or one in cp1252/latin-1, is decoded and split by the csv module here and
each cell goes through :func:`engine.phi.spans.find_spans`: the same registry, column
classification and validators, so the findings are the same kind. Offsets are ``None`` (byte
offsets of a re-decoded file would mislead); rows and columns are exact.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path

from engine.dataplane.formats import is_typed
from engine.dataplane.sniff import TableFormat, generated_columns
from engine.phi.columns import SAMPLE_ROWS, ColumnClass, classify_columns, letterless_columns
from engine.phi.errors import PhiInputError
from engine.phi.keys import PhiKey
from engine.phi.scan.first_row import first_row_findings
from engine.phi.scanner import Finding
from engine.phi.spans import find_spans


def _rows(path: Path, fmt: TableFormat) -> Iterator[list[str]]:
    if is_typed(fmt.format):  # Parquet, Excel, SAS, Stata, SPSS: the header, then the cells as text
        from engine.dataplane.frames import TypedTable

        typed = TypedTable(path, fmt.format)
        yield [str(c) for c in typed.columns]
        yield from typed.text_rows()
        return
    encoding = "utf-8-sig" if fmt.encoding in ("utf-8", "utf-8-sig") else fmt.encoding
    try:
        with open(path, encoding=encoding, newline="") as fh:
            if fmt.format == "text":
                for line in fh:
                    yield [line.rstrip("\r\n")]
                return
            csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
            for row in csv.reader(fh, delimiter=fmt.delimiter or ",", strict=False):
                if row:
                    yield row
    except UnicodeDecodeError as exc:
        raise PhiInputError(f"the input cannot be decoded as {fmt.encoding} (byte {exc.start} of a block)") from None
    except csv.Error:
        raise PhiInputError("the input is not valid CSV") from None


def classify_table(path: Path, fmt: TableFormat, overrides: Mapping[str, str] | None = None) -> list[ColumnClass]:
    """The column classification of a CSV/TSV read as ``fmt`` (header and the first rows)."""
    if fmt.format not in ("csv", "tsv") and not is_typed(fmt.format):
        return []
    rows = _rows(path, fmt)
    header, first = _header(rows, fmt)
    sample = [row for _, row in zip(range(SAMPLE_ROWS), _chain(first, rows), strict=False)]
    return classify_columns(header, sample, overrides)


def _header(rows: Iterator[list[str]], fmt: TableFormat) -> tuple[list[str], list[list[str]]]:
    """The header, and the rows already read (the first row, when the file has no header)."""
    first = next(rows, [])
    if fmt.has_header:
        return [h.strip() for h in first], []
    return generated_columns(len(first)), [first] if first else []


def _chain(first: list[list[str]], rows: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rows


def scan_cells(path: Path, fmt: TableFormat, key: PhiKey,
               categories: Mapping[str, str | None] | None = None) -> Iterator[Finding]:
    """Findings of every cell (header cells as row 0), in file order; ``offset`` is None."""
    cats = categories or {}
    rows = _rows(path, fmt)
    table = fmt.format in ("csv", "tsv") or is_typed(fmt.format)
    header: list[str] = []
    first: list[list[str]] = []
    if table:
        header, first = _header(rows, fmt)
        if fmt.has_header:
            for cell in header:
                yield from _cell_findings(cell, 0, None, None, key)
    header_cells = _header_cells(path, fmt, header, first, key) if table and not fmt.has_header else {}
    for number, row in enumerate(_chain(first, rows), start=1):
        for i, text in enumerate(row):
            if not text:
                continue
            column = header[i] if i < len(header) else None
            classified = column is not None and column in cats
            found = list(_cell_findings(text, number, column if table else None,
                                        cats.get(column or "") if classified else None, key,
                                        guess_from_header=not classified))
            if not found and number == 1 and i in header_cells:
                found = [header_cells[i]]
            yield from found


def _header_cells(path: Path, fmt: TableFormat, header: list[str], first: list[list[str]],
                  key: PhiKey) -> dict[int, Finding]:
    """A headerless table's first-row cells that hold PHI read whole as header cells, by column index:
    what phi_scan reports and deidentify replaces (:mod:`engine.phi.scan.first_row`)."""
    if not first:
        return {}
    sample = list(itertools.islice(_rows(path, fmt), SAMPLE_ROWS))
    found = first_row_findings(first[0], header, letterless_columns(sample, len(header)), key)
    return dict(found)


def _cell_findings(text: str, row: int, column: str | None, category: str | None, key: PhiKey,
                   guess_from_header: bool = True) -> Iterator[Finding]:
    for span in find_spans(text, column=column if guess_from_header else None, category=category):
        value = text[span.start:span.end]
        norm = span.normalizer(value) if span.normalizer else value
        yield Finding(span.category, row, column, None, len(value.encode("utf-8")), key.digest(span.category, norm))
