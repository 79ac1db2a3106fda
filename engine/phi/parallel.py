"""``workers=N``: scan row ranges of one file in processes, yield findings in file order.

Workers send back compact tuples (category, local row, column, offset, length, digest) rather
than pickled objects; the parent re-numbers rows with each range's first row. The pool is the
commands' one ordered pool (:func:`engine.core.pool.ordered_map`): at most ``workers + 1`` ranges
are in flight, so memory stays bounded however large the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from engine.core.pool import ordered_map
from engine.phi.keys import PhiKey
from engine.phi.scanner import Finding, ScanRange, plan_ranges, scan_header_line, scan_range

RANGE_BYTES = 4 << 20
_Row = tuple[str, "int | None", "str | None", "int | None", int, str]


def _work(
    args: tuple[str, str, ScanRange, bytes, str, int, tuple[str, ...] | None, dict[str, str | None] | None],
) -> list[_Row]:
    path, fmt, rng, key, source, chunk_size, columns, categories = args
    pkey = PhiKey(key, source)  # type: ignore[arg-type]
    return [
        (f.category, f.row, f.column, f.offset, f.length, f.digest)
        for f in scan_range(
            path,
            rng.start,
            rng.end,
            format=fmt,  # type: ignore[arg-type]
            first_row=rng.first_row,
            key=pkey,
            chunk_size=chunk_size,
            columns=columns,
            categories=categories,
        )
    ]


def scan_parallel(
    path: str | Path,
    fmt: str,
    key: PhiKey,
    workers: int,
    chunk_size: int,
    columns: Iterable[str] | None,
    categories: Mapping[str, str | None] | None = None,
) -> Iterator[Finding]:
    """Findings of ``path`` scanned by ``workers`` processes, in the order one process gives."""
    size = Path(path).stat().st_size
    parts = max(workers * 2, -(-size // RANGE_BYTES))
    ranges = plan_ranges(path, parts, fmt)  # type: ignore[arg-type]
    yield from scan_header_line(path, fmt, key)
    cols = tuple(columns) if columns is not None else None
    cats = dict(categories) if categories is not None else None
    tasks = [(str(path), fmt, r, key.key, key.source, chunk_size, cols, cats) for r in ranges]
    for rows in ordered_map(_work, tasks, workers, in_flight=workers + 1):
        for row in rows:
            yield Finding(*row)
