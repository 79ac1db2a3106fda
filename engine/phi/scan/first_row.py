"""A headerless table's first row read whole, as header cells are: the cells that hold PHI.

Why a module of its own: a header row that holds PHI looks like data, so the file is read as
headerless, and a person's name used as a column header then sits at the top of a numeric column,
where the data rules (and the column's classification) see nothing. De-identification replaces
such a cell by a token (:func:`engine.phi.labels.header_cell_category` decides); the scan reports
the same cells here, hash-only, so the findings and the copy agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.phi.keys import PhiKey
from engine.phi.labels import header_cell_category
from engine.phi.registry import NORMALIZERS, load_registry
from engine.phi.scan.chunks import open_input, read_header, table_delim
from engine.phi.scan.findings import Finding
from engine.phi.scan.rows import cell_value_span, field_starts


def first_row_spans(path: str | Path, fmt: str) -> list[tuple[int, int]]:
    """Byte spans of the values of a UTF-8 table's first line (quotes and blanks around them excluded)."""
    with open_input(path) as fh:
        _, cut = read_header(fh, table_delim(fmt))
        fh.seek(0)
        line = fh.read(cut)
    skip = 3 if line.startswith(b"\xef\xbb\xbf") else 0
    starts = field_starts(line, skip, cut, table_delim(fmt))
    ends = [s - 1 for s in starts[1:]] + [cut]
    return [cell_value_span(line, s, e) for s, e in zip(starts, ends, strict=True)]


def first_row_findings(
    cells: Sequence[str], columns: Sequence[str], letterless: frozenset[int], key: PhiKey,
    spans: Sequence[tuple[int, int]] | None = None,
) -> list[tuple[int, Finding]]:
    """``(column index, finding)`` of each first-row cell read whole as a header cell that holds PHI.

    ``columns``: the names findings are reported under; ``spans``: the cells' byte spans (None:
    no offsets, as the cell-by-cell scan of other encodings reports).
    """
    registry = load_registry()
    out: list[tuple[int, Finding]] = []
    for i, text in enumerate(cells[: len(columns)]):
        category = header_cell_category(text, i in letterless)
        if category is None:
            continue
        value = text.strip()
        digest = key.digest(category, NORMALIZERS[registry.category(category).normalize](value))
        if spans is not None and i < len(spans):
            vs, ve = spans[i]
            out.append((i, Finding(category, 1, columns[i], vs, ve - vs, digest)))
        else:
            out.append((i, Finding(category, 1, columns[i], None, len(value.encode("utf-8")), digest)))
    return out
