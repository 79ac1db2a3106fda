"""What a scan yields: hash-only findings, and their counts per category and column."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

import attrs

from engine.phi.keys import PhiKey, resolve_key
from engine.phi.registry import load_registry


class Finding(NamedTuple):
    """One PHI match: where it is and a keyed digest of its normalized value - never the value.

    ``row`` is the 1-based data row of a table (0 = header line) or JSON Lines record; ``column``
    the column name or JSON key path; ``offset`` the byte offset in the file (or encoded text).
    A tuple, not a class with slots: dense data makes ~29,000 of them per MB, and phi_scan's part
    files record them as they are.
    """

    category: str
    row: int | None
    column: str | None
    offset: int | None
    length: int
    digest: str


@attrs.frozen
class ScanSummary:
    """Counts per category and per column; ``key_source`` says whether digests are per-run only."""

    total: int
    by_category: dict[str, int]
    by_column: dict[str, int]
    key_source: str
    registry_version: str

    @property
    def key_is_random(self) -> bool:
        """True when digests use a per-run random key (not comparable across runs)."""
        return self.key_source == "random"


def summarize(findings: Iterable[Finding], *, key: PhiKey | bytes | None = None) -> ScanSummary:
    """Count findings per category and per column (``<text>`` for findings without a column)."""
    by_cat: Counter[str] = Counter()
    by_col: Counter[str] = Counter()
    total = 0
    for f in findings:
        total += 1
        by_cat[f.category] += 1
        by_col[f.column if f.column is not None else "<text>"] += 1
    return ScanSummary(
        total=total,
        by_category=dict(sorted(by_cat.items())),
        by_column=dict(sorted(by_col.items())),
        key_source=resolve_key(key).source,
        registry_version=load_registry().version,
    )
