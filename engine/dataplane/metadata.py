"""Text a typed file holds besides its cells: labels, notes, key-value metadata, other sheets, comments, properties.

Why: metadata is data. An SPSS value label, a Stata variable label, a Parquet key-value pair, an
Excel comment, a hidden sheet or a workbook's author can hold a name or a number as surely as a
cell, so ``phi_scan`` scans them too (:func:`metadata_texts`). None of it reaches the
de-identified copy, which is a CSV of the first sheet's de-identified cells: CSV has no place for
labels, properties or other sheets.

Each text comes with its kind (``header``, ``variable_label``, ``value_label``, ``file_label``,
``note``, ``key_value``, ``sheet_name``, ``other_sheet``, ``comment``, ``property``), never with
where it sits in a form a report would quote.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from engine.dataplane.frames import TypedTable, as_text, readstat_metadata

MAX_XML_BYTES = 16 << 20
"""Largest XML part of a workbook read for comments and properties (a zip bomb stops here)."""
_SKIPPED_KEYS = {"ARROW:schema", "pandas"}
"""Parquet keys written by the writing library itself (base64 schema, column index), not by a user."""


def metadata_texts(path: Path, fmt: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` for every piece of text in ``path`` outside its data cells (column names included)."""
    table = TypedTable(path, fmt, batch_rows=1)
    for name in table.columns:
        yield "header", str(name)
    if fmt == "parquet":
        yield from _parquet(path)
    elif fmt == "xlsx":
        yield from _workbook(path)
    else:
        yield from _readstat(path, fmt)


def _parquet(path: Path) -> Iterator[tuple[str, str]]:
    import polars as pl

    for key, value in pl.read_parquet_metadata(path).items():
        if key in _SKIPPED_KEYS:
            continue
        yield "key_value", str(key)
        yield "key_value", str(value)


def _readstat(path: Path, fmt: str) -> Iterator[tuple[str, str]]:
    meta = readstat_metadata(path, fmt)
    if getattr(meta, "file_label", None):
        yield "file_label", str(meta.file_label)
    for note in getattr(meta, "notes", None) or ():
        yield "note", str(note)
    for label in getattr(meta, "column_labels", None) or ():
        if label:
            yield "variable_label", str(label)
    for labels in (getattr(meta, "variable_value_labels", None) or {}).values():
        for value, label in labels.items():
            yield "value_label", str(value)
            yield "value_label", str(label)


def _workbook(path: Path) -> Iterator[tuple[str, str]]:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    read = TypedTable(path, "xlsx", batch_rows=1).sheet_name
    for name in reader.sheet_names:
        yield "sheet_name", str(name)
        if name == read:
            continue
        sheet = reader.load_sheet(name).to_polars()  # hidden or not: the copy leaves it out, so it is scanned here
        for column in sheet.columns:
            yield "other_sheet", str(column)
        for row in as_text(sheet).iter_rows():
            yield from (("other_sheet", cell) for cell in row if cell)
    with zipfile.ZipFile(path) as book:
        for info in book.infolist():
            part = info.filename
            kind = ("comment" if "comments" in part or "threadedComment" in part
                    else "property" if part.startswith("docProps/") else None)
            if kind is None or not part.endswith(".xml") or info.file_size > MAX_XML_BYTES:
                continue
            yield from ((kind, text) for text in _xml_texts(book.read(info)))


def _xml_texts(data: bytes) -> Iterator[str]:
    try:
        root = ElementTree.fromstring(data)  # stdlib expat: no external entities, bounded expansion
    except ElementTree.ParseError:
        return
    for element in root.iter():
        if element.text and element.text.strip():
            yield element.text.strip()
