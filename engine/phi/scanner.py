"""Streaming PHI scanner: hash-only findings for text, CSV/TSV and JSON Lines files.

Why it looks like this:
- Files are read in chunks that end on row boundaries (quote-aware for CSV), and each chunk is
  scanned whole by the tier's combined regex; a match offset is mapped back to its row and column
  only where a match occurs. Memory is bounded by the chunk size, not the file size.
- A finding carries a keyed digest of the normalized value, never the value.
- ``workers=N`` splits the file on row boundaries (:func:`plan_ranges`) and scans the ranges in
  processes; results come back in file order, identical to ``workers=1``.

The parts live in :mod:`engine.phi.scan` (one module a job); this module puts them together.
"""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict, TypeVar, Unpack

from engine.phi import native_match
from engine.phi.errors import PhiInputError
from engine.phi.keys import PhiKey, resolve_key
from engine.phi.registry import Tier, load_registry
from engine.phi.scan.chunks import (
    DEFAULT_CHUNK,
    FORMATS,
    TABLES,
    Format,
    check_utf8,
    detect_format,
    file_size,
    iter_chunks,
    open_input,
    read_header,
    table_delim,
)
from engine.phi.scan.context import ScanContext, make_context
from engine.phi.scan.encoded import encode_table_chunk
from engine.phi.scan.findings import Finding, ScanSummary, summarize
from engine.phi.scan.jsonl import scan_jsonl_chunk
from engine.phi.scan.kept import Accepted, Kept, core_keeps, kept_of, kept_table_chunk
from engine.phi.scan.ranges import ScanRange, plan_ranges
from engine.phi.scan.table import scan_table_chunk
from engine.phi.scan.text import scan_text, scan_text_bytes

__all__ = [
    "DEFAULT_CHUNK",
    "FORMATS",
    "Finding",
    "Format",
    "RangeOptions",
    "ScanRange",
    "ScanSummary",
    "detect_format",
    "plan_ranges",
    "scan_file",
    "scan_header_line",
    "scan_range",
    "scan_range_into",
    "scan_range_kept",
    "scan_text",
    "summarize",
]

_R = TypeVar("_R")


class RangeOptions(TypedDict, total=False):
    """How :func:`scan_range` and :func:`scan_range_into` read a range; every key may be left out."""

    format: Format | None
    """The file's format (default: from its suffix, :func:`detect_format`)."""
    first_row: int
    """The number of the range's first row (default 1)."""
    header: Sequence[str] | None
    """The table's column names (default: the file's own header line)."""
    key: PhiKey | bytes | None
    """The PHI key of the digests (default: the configured one, :func:`engine.phi.keys.resolve_key`)."""
    chunk_size: int
    """Bytes read at a time (default :data:`DEFAULT_CHUNK`), cut on row boundaries."""
    columns: Iterable[str] | None
    """Only these columns' findings (default: every column)."""
    categories: Mapping[str, str | None] | None
    """Columns mapped to their classified category (None: not identifying), as
    :func:`engine.phi.columns.classify_file` decides once for the whole file; columns it does not
    name are judged by their header. Cells of a whole-cell category (names, addresses) are
    findings whatever they hold."""


def scan_range(
    path: str | Path, start: int, end: int, *, tier: Tier = "scan", **options: Unpack[RangeOptions]
) -> Iterator[Finding]:
    """Findings in ``[start, end)`` of a file; both ends must be row boundaries (see plan_ranges).

    ``tier="guard"`` matches the registry's broader guard patterns too (the rescan of a
    de-identified copy: a second line of defence may over-report, never under-report).
    ``options``: :class:`RangeOptions` (format, first_row, header, key, chunk_size, columns,
    categories).
    """
    with _opened(path, start, options, tier) as (fh, fmt, data_start, header_found, ctx):
        yield from header_found or ()
        yield from _scan_ranges_in(
            fh, fmt, data_start, end, options.get("first_row", 1), ctx, options.get("chunk_size", DEFAULT_CHUNK)
        )


def scan_range_into(
    encoder: Any,
    write: Callable[[bytes], object] | None,
    path: str | Path,
    start: int,
    end: int,
    *,
    checkpoint: Callable[[], None] | None = None,
    **options: Unpack[RangeOptions],
) -> None:
    """:func:`scan_range`'s findings written through a findings ``encoder`` (which counts them).

    The same findings in the same order as ``encoder.encode(scan_range(...))``; where the core
    runs, a table chunk goes from its bytes to its lines in one core call
    (:func:`engine.phi.scan.encoded.encode_table_chunk`), with no :class:`Finding` per finding.
    ``write`` gets each batch of lines; ``checkpoint`` is called before each chunk.
    """
    def emit(found: Iterable[Finding]) -> None:
        lines = encoder.encode(list(found))
        if write is not None:
            write(lines)

    first_row, chunk_size = options.get("first_row", 1), options.get("chunk_size", DEFAULT_CHUNK)
    # The core's matcher is built before the header line is scanned, so that a short text takes the
    # core too instead of compiling the Python path's combined regex (the same findings either way).
    with _opened(path, start, options, "scan", build_core=True) as (fh, fmt, start, header_found, ctx):
        if header_found is not None:
            emit(header_found)
        if fmt not in TABLES:
            found = _scan_ranges_in(fh, fmt, start, end, first_row, ctx, chunk_size)
            while batch := list(itertools.islice(found, 4096)):
                if checkpoint is not None:
                    checkpoint()
                emit(batch)
            return
        for lines in _table_chunks(
            fh, start, end, first_row, ctx, chunk_size, checkpoint,
            lambda chunk, off, row: encode_table_chunk(chunk, off, row, ctx, encoder),
            lambda found: encoder.encode(list(found)),
        ):  # fmt: skip
            if write is not None:
                write(lines)


def scan_range_kept(
    path: str | Path,
    start: int,
    end: int,
    accepted: Accepted,
    *,
    tier: Tier = "scan",
    checkpoint: Callable[[], None] | None = None,
    **options: Unpack[RangeOptions],
) -> Iterator[Kept]:
    """:func:`scan_range`'s findings that are not accepted where they lie, as ``(category, row, column)``.

    ``accepted``: column name -> the categories accepted in it (``""``: the header line, and a
    column past the header). The same, in the same order, as filtering :func:`scan_range`'s
    findings by ``finding.category in accepted.get(finding.column or "", ())``; where the core
    runs, a table chunk's accepted findings are dropped in the core
    (:func:`engine.phi.scan.kept.kept_table_chunk`), with no :class:`Finding` or digest made for
    them. ``checkpoint`` is called before each chunk.
    """
    first_row, chunk_size = options.get("first_row", 1), options.get("chunk_size", DEFAULT_CHUNK)
    with _opened(path, start, options, tier) as (fh, fmt, start, header_found, ctx):
        yield from kept_of(header_found or (), accepted)
        if fmt not in TABLES or not core_keeps():
            for n, found in enumerate(_scan_ranges_in(fh, fmt, start, end, first_row, ctx, chunk_size)):
                if checkpoint is not None and n % 4096 == 0:
                    checkpoint()
                yield from kept_of((found,), accepted)
            return
        for kept in _table_chunks(
            fh, start, end, first_row, ctx, chunk_size, checkpoint,
            lambda chunk, off, row: kept_table_chunk(chunk, off, row, ctx, accepted),
            lambda found: kept_of(found, accepted),
        ):  # fmt: skip
            yield from kept


def _table_chunks(
    fh: io.BufferedReader,
    start: int,
    end: int,
    first_row: int,
    ctx: ScanContext,
    chunk_size: int,
    checkpoint: Callable[[], None] | None,
    core_call: Callable[[bytes, int, int], tuple[_R, int] | None],
    consume: Callable[[list[Finding]], _R],
) -> Iterator[_R]:
    """What each table chunk of ``[start, end)`` gives: ``core_call(chunk, offset, first row)``'s
    result, or where the core does not run it (None), ``consume`` of the Python path's findings
    (:func:`scan_table_chunk`). ``checkpoint`` is called before each chunk."""
    row = first_row
    for off, chunk in iter_chunks(fh, start, end, max(1, chunk_size), ctx.delim):
        if checkpoint is not None:
            checkpoint()
        check_utf8(chunk, off, "the input")
        done = core_call(chunk, off, row)
        if done is None:
            table_found, n = scan_table_chunk(chunk, off, row, ctx)
            yield consume(table_found)
        else:
            got, n = done
            yield got
        row += n


def scan_header_line(path: str | Path, fmt: str, key: PhiKey) -> Iterator[Finding]:
    """Findings in the header line of a table (row 0); nothing for other formats."""
    if fmt not in TABLES:
        return
    with open_input(path) as fh:
        _, data_start = read_header(fh, table_delim(fmt))
        yield from _scan_header_line(fh, data_start, make_context(load_registry(), key))


@contextlib.contextmanager
def _opened(
    path: str | Path, start: int, options: RangeOptions, tier: Tier, *, build_core: bool = False
) -> Iterator[tuple[io.BufferedReader, str, int, list[Finding] | None, ScanContext]]:
    """The open file of a range, its format, where its data starts, the header line's findings
    (None unless the range starts a table whose header is its own) and the range's scan context."""
    fmt = options.get("format") or detect_format(path)
    registry = load_registry()
    pkey = resolve_key(options.get("key"))
    if build_core:
        native_match.matcher_for(registry.scan)
    header = options.get("header")
    with open_input(path) as fh:
        names: Sequence[str] = ()
        found: list[Finding] | None = None
        if fmt in TABLES:
            if header is None:
                names, data_start = read_header(fh, table_delim(fmt))
                if start == 0:
                    found = list(_scan_header_line(fh, data_start, make_context(registry, pkey, tier=tier)))
                    start = data_start
            else:
                names = header
        ctx = make_context(
            registry, pkey, names, table_delim(fmt), options.get("columns"), options.get("categories"), tier
        )
        yield fh, fmt, start, found, ctx


def _scan_header_line(fh: io.BufferedReader, data_start: int, ctx: ScanContext) -> Iterator[Finding]:
    fh.seek(0)
    line = fh.read(data_start)
    for f in scan_text_bytes(line, 0, ctx):
        yield f._replace(row=0)


def _scan_ranges_in(
    fh: io.BufferedReader, fmt: str, start: int, end: int, first_row: int, ctx: ScanContext, chunk_size: int
) -> Iterator[Finding]:
    row = first_row
    delim = ctx.delim if fmt in TABLES else None
    for off, chunk in iter_chunks(fh, start, end, max(1, chunk_size), delim):
        check_utf8(chunk, off, "the input")
        if fmt == "text":
            yield from scan_text_bytes(chunk, off, ctx)
            continue
        if fmt == "jsonl":
            found, n = scan_jsonl_chunk(chunk, off, row, ctx)
        else:
            found, n = scan_table_chunk(chunk, off, row, ctx)
        yield from found
        row += n


def scan_file(
    path: str | Path,
    format: Format | None = None,
    *,
    key: PhiKey | bytes | None = None,
    workers: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    columns: Iterable[str] | None = None,
    categories: Mapping[str, str | None] | None = None,
    classify: bool = True,
) -> Iterator[Finding]:
    """Stream the findings of a file in file order, with bounded memory.

    ``format`` defaults to the suffix (.csv, .tsv, .jsonl, else text). ``workers > 1`` scans row
    ranges in processes; the findings are the same, in the same order, as with one worker.
    Tables are classified column by column first (header and a sample of values, see
    :mod:`engine.phi.columns`) unless ``categories`` is given or ``classify`` is False.
    """
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise PhiInputError(f"unknown input format {fmt!r}; use one of {', '.join(FORMATS)}")
    pkey = resolve_key(key)
    if categories is None and classify and fmt in TABLES:
        from engine.phi.columns import category_map, classify_file

        file_size(path)
        categories = category_map(classify_file(path, fmt))
    if workers <= 1:
        yield from scan_range(
            path, 0, file_size(path), format=fmt, key=pkey, chunk_size=chunk_size, columns=columns,
            categories=categories,
        )
        return
    from engine.phi.parallel import scan_parallel

    yield from scan_parallel(path, fmt, pkey, workers, chunk_size, columns, categories)
