"""A whole-file scan's counts and its first findings, without a :class:`Finding` per finding.

Why: ``rflow phi scan`` reports counts per category and column and lists the first ``--limit``
findings; iterating :func:`engine.phi.scanner.scan_file` made a tuple, a dict update and a column
lookup per finding in Python. With the core (and ``RFLOW_PHI_CORE_ENCODE`` not ``0``), the scan
is written through the core's findings encoder (:func:`engine.phi.scanner.scan_range_into`),
which counts every finding, and only the lines of the first findings are kept and read back. The
findings and counts are the ones the iteration gives (tests/native/test_cli_listed.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.core.pool import ordered_map
from engine.phi.keys import PhiKey
from engine.phi.native_match import use_core
from engine.phi.scan.chunks import TABLES, file_size
from engine.phi.scan.encoded import core_encodes
from engine.phi.scan.findings import Finding
from engine.phi.scan.findings_file import new_encoder, parse_findings
from engine.phi.scan.ranges import ScanRange, plan_ranges
from engine.phi.scanner import scan_header_line, scan_range_into

RANGE_BYTES = 4 << 20
"""A worker's row range at most (about): as :mod:`engine.phi.parallel` plans them."""


class _FirstLines:
    """The findings lines written until ``limit`` findings are among them (bounded memory; every
    line when ``limit`` is 0, about 20-60 bytes a finding, for a report that lists them all)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen = 0
        self.parts: list[bytes] = []

    def write(self, lines: bytes) -> None:
        if self.limit <= 0 or self.seen < self.limit:
            self.parts.append(bytes(lines))
            self.seen += lines.count(b"\n[")  # every finding line follows a line end (the header's first)

    def findings(self) -> list[Finding]:
        text = b"".join(self.parts).decode("ascii")
        found = parse_findings(text.splitlines(keepends=True))
        return list(found if self.limit <= 0 else itertools.islice(found, self.limit))


def scan_listed(
    path: str | Path, fmt: str, key: PhiKey, categories: Mapping[str, str | None] | None,
    rename: Callable[[str], str | None], limit: int, workers: int = 1,
) -> tuple[dict[str, Any], list[Finding]] | None:  # fmt: skip
    """``(counts, first findings)`` of a CSV/TSV file scanned with the core, columns as ``rename``
    shows them (``limit`` 0: every finding, read back from its compact line); None where the core
    does not run. ``workers`` > 1: row ranges in that many processes, each counting its own
    findings (``rename`` must then pickle: a module-level function or a partial of one)."""
    if fmt not in TABLES or not use_core() or not core_encodes():
        return None
    if workers > 1:
        return _parallel(path, fmt, key, categories, rename, limit, workers)
    encoder = new_encoder(rename, native=True)
    kept = _FirstLines(limit)
    scan_range_into(encoder, kept.write, path, 0, file_size(path), format=fmt,  # type: ignore[arg-type]
                    key=key, categories=categories)  # fmt: skip
    return dict(encoder.counts()), kept.findings()


_Task = tuple[str, str, ScanRange, bytes, str, "dict[str, str | None] | None", Callable[[str], "str | None"], int]


def _part(task: _Task) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """One row range in a worker: its counts and its first ``limit`` findings (all when 0)."""
    path, fmt, rng, key, source, categories, rename, limit = task
    encoder = new_encoder(rename, native=True)
    kept = _FirstLines(limit)
    scan_range_into(encoder, kept.write, path, rng.start, rng.end, format=fmt,  # type: ignore[arg-type]
                    first_row=rng.first_row, key=PhiKey(key, source), categories=categories)  # type: ignore[arg-type]  # fmt: skip
    return dict(encoder.counts()), [tuple(f) for f in kept.findings()]


def _parallel(
    path: str | Path, fmt: str, key: PhiKey, categories: Mapping[str, str | None] | None,
    rename: Callable[[str], str | None], limit: int, workers: int,
) -> tuple[dict[str, Any], list[Finding]]:  # fmt: skip
    """:func:`scan_listed` over row ranges in ``workers`` processes, merged in file order."""
    size = file_size(path)
    ranges = plan_ranges(path, max(workers * 2, -(-size // RANGE_BYTES)), fmt)  # type: ignore[arg-type]
    head = new_encoder(rename, native=True)  # the header line's findings (row 0), as one process counts them
    first = list(scan_header_line(path, fmt, key))
    head.encode(first)
    totals = dict(head.counts())
    by_cat: dict[str, int] = dict(totals["by_category"])
    by_col: dict[str, int] = dict(totals["by_column"])
    listed = [*first]
    cats = dict(categories) if categories is not None else None
    tasks = [(str(path), fmt, r, key.key, key.source, cats, rename, limit) for r in ranges]
    total = totals["findings_total"]
    for counts, found in ordered_map(_part, tasks, workers, in_flight=workers + 1):
        total += counts["findings_total"]
        for table, add in ((by_cat, counts["by_category"]), (by_col, counts["by_column"])):
            for name, n in add.items():
                table[name] = table.get(name, 0) + n
        if limit <= 0 or len(listed) < limit:
            listed.extend(Finding(*f) for f in found)
    return {"findings_total": total, "by_category": by_cat, "by_column": by_col}, (
        listed if limit <= 0 else listed[:limit]
    )
