"""The rescan of the de-identified copy by the PHI scanner itself (not the code that scrubbed it)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stages import _phi


def rescan_categories(columns: list[str]) -> dict[str, str | None]:
    """Columns whose header names a whole-cell category (names, addresses) are not treated whole by
    the rescan: they hold pseudonyms or ZIP3s by now; their cells are still scanned by pattern."""
    out: dict[str, str | None] = {}
    for column in columns:
        matcher = _phi.column_matcher(column)
        if matcher is not None and matcher.whole_cell:
            out[column] = None
    return out


def _rescan_part(path: Path, header: tuple[str, ...], skip: dict[str, set[str]], key: bytes,
                 categories: Mapping[str, str | None]) -> dict[str, Any]:
    """Scan a headerless part of the copy with the PHI scanner, as the whole copy would be scanned.

    ``categories``: :func:`rescan_categories` of the header, decided once per input.
    """
    from engine.executors import task_checkpoint
    from engine.phi import scan_range

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    size = path.stat().st_size
    findings = scan_range(path, 0, size, format="csv", header=header, key=key,
                          categories=categories) if size else iter(())
    for n, finding in enumerate(findings):
        if n % 4096 == 0:
            task_checkpoint()
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and len(first_rows) < 10 and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {"by_category": by_category, "by_column": by_column, "first_rows": first_rows}


def _rescan_header(path: Path, header_len: int, skip: dict[str, set[str]], key: bytes) -> dict[str, Any]:
    from engine.phi import scan_range

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    for finding in scan_range(path, 0, header_len, format="csv", key=key, categories={}):
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {"by_category": by_category, "by_column": by_column, "first_rows": first_rows}
