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

from engine.phi.keys import PhiKey
from engine.phi.native_match import use_core
from engine.phi.scan.chunks import TABLES, file_size
from engine.phi.scan.encoded import core_encodes
from engine.phi.scan.findings import Finding
from engine.phi.scan.findings_file import new_encoder, parse_findings
from engine.phi.scanner import scan_range_into


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
    rename: Callable[[str], str | None], limit: int,
) -> tuple[dict[str, Any], list[Finding]] | None:  # fmt: skip
    """``(counts, first findings)`` of a CSV/TSV file scanned with the core, columns as ``rename``
    shows them (``limit`` 0: every finding, read back from its compact line); None where the core
    does not run."""
    if fmt not in TABLES or not use_core() or not core_encodes():
        return None
    encoder = new_encoder(rename, native=True)
    kept = _FirstLines(limit)
    scan_range_into(encoder, kept.write, path, 0, file_size(path), format=fmt,  # type: ignore[arg-type]
                    key=key, categories=categories)  # fmt: skip
    return dict(encoder.counts()), kept.findings()
