"""The second line of defence: the de-identified copy checked again, independently of how it was made.

Two checks, both counted by column and category (counts and row numbers only, never a value):

* the PHI scanner itself (not the code that scrubbed the copy) over every cell, with the
  registry's broader ``guard`` tier, so a form the scan tier missed is still caught;
* every cell of a column classified as identifying must have the shape its action produces
  (a pseudonym, a year, a ZIP3, an age under 90...): anything else that still holds a digit or an
  ``@`` is a residual, whatever the scanner thinks of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from engine.phi.ages import holds_age_over_89
from stages import _phi

_FORMS: dict[str, re.Pattern[str]] = {
    "pseudonym": re.compile(r"[A-Z]{1,5}_[a-z]{12}"),
    "subject": re.compile(r"SUBJ_[a-z]{12}"),
    "year": re.compile(r"[0-9]{4}|90\+"),
    "dob": re.compile(r"[0-9]{4}|90\+"),
    "zip3": re.compile(r"[0-9]{3}"),
    "address": re.compile(r"[0-9]{3}"),
}
FORM_CHECKED = frozenset({*_FORMS, "age", "shift"})
"""Actions whose output cells are checked for their shape (the identifier columns that are kept)."""


def rescan_categories(columns: list[str]) -> dict[str, str | None]:
    """Columns whose header names a whole-cell category (names, addresses) are not treated whole by
    the rescan: they hold pseudonyms or ZIP3s by now; their cells are still scanned by pattern."""
    out: dict[str, str | None] = {}
    for column in columns:
        matcher = _phi.column_matcher(column)
        if matcher is not None and matcher.whole_cell:
            out[column] = None
    return out


def out_of_form(action: str, value: str, is_date: bool) -> bool:
    """Whether an identifier column's output cell is not what ``action`` writes and may hold PHI.

    ``is_date``: the cell parses as a date (only asked for ``shift``, whose output is a date).
    Letters-only leftovers (``unknown``, ``[PHI:DATE]``) are not residue; digits or an ``@`` are.
    """
    text = value.strip()
    if not text:
        return False
    if action == "age":
        return holds_age_over_89(text)  # "90+", "90+ F" are the aggregate; "93", "about 93" are not
    if action == "shift":
        ok = is_date
    else:
        form = _FORMS.get(action)
        ok = form is None or form.fullmatch(text) is not None
    return not ok and (any(c.isdigit() for c in text) or "@" in text)


class Tally:
    """Residual counts by category, by column and by both, and the first rows that hold one."""

    def __init__(self) -> None:
        self.by_column_category: dict[str, dict[str, int]] = {}
        self.first_rows: list[int] = []

    def add(self, column: str, category: str, row: int | None, base: int = 0, n: int = 1) -> None:
        per = self.by_column_category.setdefault(column, {})
        per[category] = per.get(category, 0) + n
        if row is not None and len(self.first_rows) < 10 and row + base not in self.first_rows:
            self.first_rows.append(row + base)

    def merge(self, other: Mapping[str, Any], base: int = 0) -> None:
        """Add a part's :meth:`as_dict`, its row numbers moved by ``base``."""
        for column, per in other["by_column_category"].items():
            for category, n in per.items():
                self.add(column, category, None, n=n)
        for row in other["first_rows"]:
            if len(self.first_rows) < 10 and row + base not in self.first_rows:
                self.first_rows.append(row + base)

    def as_dict(self) -> dict[str, Any]:
        by_category: dict[str, int] = {}
        by_column: dict[str, int] = {}
        for column, per in self.by_column_category.items():
            for category, n in per.items():
                by_category[category] = by_category.get(category, 0) + n
                by_column[column] = by_column.get(column, 0) + n
        return {"residual_findings": sum(by_category.values()), "by_category": dict(sorted(by_category.items())),
                "by_column": dict(sorted(by_column.items())),
                "by_column_category": {c: dict(sorted(p.items())) for c, p in sorted(self.by_column_category.items())},
                "first_rows": sorted(self.first_rows)}


def _rescan_part(path: Path, header: tuple[str, ...], skip: dict[str, set[str]], key: bytes,
                 categories: Mapping[str, str | None], tally: Tally, fmt: Literal["csv", "tsv"] = "csv") -> None:
    """Scan a headerless part of the copy with the PHI scanner (guard tier), as the whole copy would be.

    ``categories``: :func:`rescan_categories` of the header, decided once per input. Only the
    findings not accepted by design (``skip``) come back from the scanner, and are counted.
    """
    from engine import task_checkpoint
    from engine.phi import scan_range_kept

    size = path.stat().st_size
    if size:
        for category, row, column in scan_range_kept(path, 0, size, skip, format=fmt, header=header, key=key,
                                                     categories=categories, tier="guard",
                                                     checkpoint=task_checkpoint):
            tally.add(column or "", category, row)


def rescan_header(path: Path, header_len: int, skip: dict[str, set[str]], key: bytes,
                   fmt: Literal["csv", "tsv"] = "csv", delimiter: str | None = None) -> dict[str, Any]:
    """The copy's header line, each cell checked alone (guard tier, and read whole as a label).

    Alone, because a header line is not a text: a cue word ending one header ("Fingerprint
    template") would otherwise take the next header ("ICD-10") for its value. ``key`` is kept
    for the callers' signature: counts only, no digest is made.
    """
    import csv
    import io

    from engine.phi.labels import label_category

    del key
    with path.open("rb") as fh:
        line = fh.read(header_len).decode("utf-8", "replace").removeprefix("\ufeff")
    cells = next(csv.reader(io.StringIO(line), delimiter=delimiter or ("\t" if fmt == "tsv" else ",")), [])
    accepted = skip.get("", set())
    tally = Tally()
    for cell in cells:
        spans = _phi.find_spans(cell, broad=True)
        categories = [sp.category for sp in spans] or [c for c in (label_category(cell.strip()),) if c]
        for category in categories:
            if category not in accepted:
                tally.add("", category, 0)
    return tally.as_dict()
