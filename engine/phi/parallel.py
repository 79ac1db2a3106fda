"""``workers=N``: scan row ranges of one file in processes, yield findings in file order.

Workers send back compact tuples (category, local row, column, offset, length, digest) rather
than pickled objects; the parent re-numbers rows with each range's first row. At most
``workers + 1`` ranges are in flight, so memory stays bounded however large the file.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

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
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(workers) as pool:
        pending: deque = deque()
        it = iter(tasks)
        for task in it:
            pending.append(pool.apply_async(_work, (task,)))
            if len(pending) >= workers + 1:
                break
        while pending:
            rows = pending.popleft().get()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.apply_async(_work, (nxt,)))
            for row in rows:
                yield Finding(*row)
