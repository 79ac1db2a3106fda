"""Streaming PHI scanner: hash-only findings for text, CSV/TSV and JSON Lines files.

Why it looks like this:
- Files are read in chunks that end on row boundaries (quote-aware for CSV), and each chunk is
  scanned whole by the tier's combined regex; a match offset is mapped back to its row and column
  only where a match occurs. Memory is bounded by the chunk size, not the file size.
- A finding carries a keyed digest of the normalized value, never the value.
- ``workers=N`` splits the file on row boundaries (:func:`plan_ranges`) and scans the ranges in
  processes; results come back in file order, identical to ``workers=1``.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

import attrs

from engine.phi.errors import PhiInputError
from engine.phi.keys import PhiKey, resolve_key
from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize, normalize_bytes_with_map
from engine.phi.registry import ColumnMatcher, CompiledPattern, CompiledTier, PhiRegistry, Tier, load_registry
from engine.phi.sanitizer import sanitize
from engine.phi.validators import BYTES_NORMALIZERS

Format = Literal["csv", "tsv", "jsonl", "text"]
FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "text")
DEFAULT_CHUNK = 1 << 20
MAX_ROW_BYTES = 64 << 20
DIGEST_CACHE = 1 << 15  # entries (~8 MB at most)
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@attrs.frozen(slots=True)
class Finding:
    """One PHI match: where it is and a keyed digest of its normalized value - never the value.

    ``row`` is the 1-based data row of a table (0 = header line) or JSON Lines record; ``column``
    the column name or JSON key path; ``offset`` the byte offset in the file (or encoded text).
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


# --- context shared by the chunk scanners -----------------------------------------------------


@attrs.frozen
class _Ctx:
    registry: PhiRegistry
    key: PhiKey
    header: tuple[str, ...] = ()
    delim: bytes = b","
    labelled: tuple[tuple[int, ColumnMatcher], ...] = ()
    only: frozenset[str] | None = None
    tier: CompiledTier | None = None
    """The patterns to match: the registry's ``scan`` tier unless a caller asks for ``guard``."""

    @property
    def patterns(self) -> CompiledTier:
        return self.tier if self.tier is not None else self.registry.scan

    fast: dict[str, tuple[bytes, Any]] = attrs.field(factory=dict)
    # Digest of ``b"<CATEGORY>\x1f" + raw value``: real exports repeat a patient's identifiers on
    # every visit. Bounded (cleared when full), lives only as long as one scan.
    cache: dict[bytes, str] = attrs.field(factory=dict)

    def digest_of(self, pat: CompiledPattern, raw: bytes) -> str:
        """Keyed digest of a matched value given as bytes (byte-level normalizing when ASCII)."""
        name = pat.category.name
        entry = self.fast.get(name)
        if entry is None:
            entry = (f"{name}\x1f".encode(), BYTES_NORMALIZERS.get(pat.category.normalize))
            self.fast[name] = entry
        prefix, norm = entry
        ck = prefix + raw
        hit = self.cache.get(ck)
        if hit is not None:
            return hit
        if norm is not None and raw.isascii():
            normed = norm(raw)
        else:
            normed = pat.normalizer(raw.decode("utf-8", "replace")).encode()
        return self._remember(ck, prefix, normed)

    def digest_value(self, name: str, raw: bytes, normalized: str) -> str:
        """Keyed digest of an already normalized value (labelled cells), cached by its raw bytes."""
        prefix = f"{name}\x1f".encode()
        ck = prefix + raw
        hit = self.cache.get(ck)
        if hit is not None:
            return hit
        return self._remember(ck, prefix, normalized.encode())

    def _remember(self, ck: bytes, prefix: bytes, normalized: bytes) -> str:
        # PhiKey.digest_bytes (primed pads) measured 2-3x faster than hmac.digest under OpenSSL 3.
        digest = self.key.digest_bytes(prefix, normalized)
        cache = self.cache
        if len(cache) >= DIGEST_CACHE:
            cache.clear()
        cache[ck] = digest
        return digest


def _make_ctx(
    registry: PhiRegistry,
    key: PhiKey,
    header: Sequence[str] = (),
    delim: bytes = b",",
    columns: Iterable[str] | None = None,
    categories: Mapping[str, str | None] | None = None,
    tier: Tier = "scan",
) -> _Ctx:
    """``categories`` (column -> category or None, from a classification) overrides header guesses."""
    only = frozenset(columns) if columns is not None else None
    labelled = []
    for i, name in enumerate(header):
        if categories is not None and name.lstrip("\ufeff").strip() in categories:
            cat = categories[name.lstrip("\ufeff").strip()]
            matcher = registry.column_matchers.get(cat) if cat else None
        else:
            matcher = registry.column_category(name)
        if matcher is not None and (only is None or name in only):
            labelled.append((i, matcher))
    return _Ctx(registry, key, tuple(header), delim, tuple(labelled), only, registry.tier(tier))


def _finding_from(
    ctx: _Ctx, pat: CompiledPattern, data: bytes, vs: int, ve: int, row: int | None, column: str | None,
    offset: int | None,
) -> Finding:  # fmt: skip
    return Finding(pat.category.name, row, column, offset, ve - vs, ctx.digest_of(pat, data[vs:ve]))


def _check_utf8(data: bytes, base: int, what: str) -> None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PhiInputError(f"{what} is not valid UTF-8 (byte offset {base + exc.start})") from None


# --- text -------------------------------------------------------------------------------------


def _scan_text_bytes(data: bytes, base: int, ctx: _Ctx) -> list[Finding]:
    tier = ctx.patterns
    norm, omap = normalize_bytes_with_map(data)
    out = []
    for pat, _ms, vs, ve, _me in _matches(tier, norm):
        digest = ctx.digest_of(pat, norm[vs:ve])
        if not omap.identity:
            vs, ve = omap.span(vs, ve)
        out.append(Finding(pat.category.name, None, None, base + vs, ve - vs, digest))
    return out


_matches = iter_matches


def scan_text(text: str, *, key: PhiKey | bytes | None = None) -> Iterator[Finding]:
    """Findings in ``text``; offsets are byte offsets in its UTF-8 encoding."""
    ctx = _make_ctx(load_registry(), resolve_key(key))
    data = text.encode("utf-8", "surrogatepass")
    yield from _scan_text_bytes(data, 0, ctx)


# --- CSV / TSV --------------------------------------------------------------------------------


def _row_ends(data: bytes) -> list[int]:
    """Offsets just past each row's newline (quote-aware); a final unterminated row ends at len."""
    ends: list[int] = []
    n = len(data)
    if b'"' not in data:
        pos = 0
        find = data.find
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
            ends.append(pos)
    else:
        pos = 0
        quotes = 0
        find, count = data.find, data.count
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                break
            quotes += count(b'"', pos, nl)
            pos = nl + 1
            if not quotes & 1:
                ends.append(pos)
    if n and (not ends or ends[-1] < n):
        ends.append(n)
    return ends


def _field_starts(data: bytes, start: int, end: int, delim: bytes) -> list[int]:
    """Start offsets of the fields of one row (quote-aware)."""
    if data.find(b'"', start, end) < 0:
        # No quotes: the cells are what split() says; their starts are running sums of lengths.
        lengths = map(len, data[start:end].split(delim))
        return [start + k + total for k, total in enumerate(accumulate(lengths, initial=0))][:-1]
    starts = [start]
    pos = start
    quotes = 0
    find, count = data.find, data.count
    while True:
        d = find(delim, pos, end)
        if d < 0:
            return starts
        quotes += count(b'"', pos, d)
        pos = d + 1
        if not quotes & 1:
            starts.append(pos)


def _cell_value_span(data: bytes, start: int, end: int) -> tuple[int, int]:
    """The span of a cell's content without surrounding quotes, spaces or the row terminator."""
    while end > start and data[end - 1 : end] in (b"\n", b"\r", b" ", b"\t"):
        end -= 1
    while start < end and data[start : start + 1] in (b" ", b"\t"):
        start += 1
    if end - start >= 2 and data[start : start + 1] == b'"' and data[end - 1 : end] == b'"':
        start, end = start + 1, end - 1
    return start, end


def _scan_csv_chunk(data: bytes, base: int, first_row: int, ctx: _Ctx) -> tuple[list[Finding], int]:
    """Findings of a chunk of whole rows, and the number of rows in it (the hot loop: kept flat)."""
    ends = _row_ends(data)
    header = ctx.header
    ncols = len(header)
    delim = ctx.delim
    only = ctx.only
    digest_of = ctx.digest_of
    bisect_right = bisect.bisect_right
    out: list[Finding] = []
    starts: list[int] = []
    taken: set[tuple[int, int]] = set()  # (row, column) cells where a pattern found a value
    r = -1
    row_start = row_end = 0
    fields: list[int] = []
    row_fields: dict[int, list[int]] = {}
    norm, omap = normalize_bytes_with_map(data)
    mapped = not omap.identity
    for pat, ms, vs, ve, me in _matches(ctx.patterns, norm):
        value = norm[vs:ve]
        if mapped:
            ms, me = omap.span(ms, me)
            vs, ve = omap.span(vs, ve)
        if ms >= row_end:
            r = bisect_right(ends, ms)
            row_start = ends[r - 1] if r else 0
            row_end = ends[r] if r < len(ends) else len(data)
            fields = _field_starts(data, row_start, row_end, delim)
            row_fields[r] = fields
        col = bisect_right(fields, vs) - 1
        if data.find(delim, ms, me) >= 0 and bisect_right(fields, me - 1) != bisect_right(fields, ms):
            continue  # the match joins two cells
        name = header[col] if col < ncols else None
        if only is not None and name not in only:
            continue
        out.append(Finding(pat.category.name, first_row + r, name, base + vs, ve - vs, digest_of(pat, value)))
        starts.append(vs)
        if vs < (fields[col + 1] - 1 if col + 1 < len(fields) else row_end):
            taken.add((r, col))
    if ctx.labelled:
        extra = list(_labelled_cells(data, base, first_row, ends, ctx, taken, row_fields))
        if extra:
            merged = [(vs, 0, f) for vs, f in zip(starts, out, strict=True)]
            merged.extend(extra)
            merged.sort(key=_POS_KIND)
            out = [f for _, _, f in merged]
    return out, len(ends)


_POS_KIND = itemgetter(0, 1)


def _labelled_cells(
    data: bytes,
    base: int,
    first_row: int,
    ends: list[int],
    ctx: _Ctx,
    taken: set[tuple[int, int]],
    row_fields: dict[int, list[int]],
) -> Iterator[tuple[int, int, Finding]]:
    """Cells of columns whose name labels them (``mrn``, ``zip``...) that hold a valid value.

    A cell where the patterns already found something is skipped (one finding per value).
    """
    prev = 0
    header = ctx.header
    for r, end in enumerate(ends):
        fields = row_fields.get(r)
        if fields is None:
            fields = _field_starts(data, prev, end, ctx.delim)
        nfields = len(fields)
        for col, matcher in ctx.labelled:
            if col >= nfields or (r, col) in taken:
                continue
            cs = fields[col]
            ce = fields[col + 1] - 1 if col + 1 < nfields else end
            if ce <= cs:
                continue
            if data[cs] in _PADDING or data[ce - 1] in _PADDING_END:
                vs, ve = _cell_value_span(data, cs, ce)
            else:
                vs, ve = cs, ce
            if ve <= vs:
                continue
            raw = data[vs:ve]
            if raw.isascii():
                if not matcher.bytes_re.fullmatch(raw):
                    continue
                text = raw.decode("ascii")
            else:
                text = normalize(raw.decode("utf-8", "replace")).strip()
                if not matcher.str_re.fullmatch(text):
                    continue
            if not all(check(text) for check in matcher.validators):
                continue
            cat = matcher.category
            digest = ctx.digest_value(cat.name, raw, matcher.normalizer(text))
            yield vs, 1, Finding(cat.name, first_row + r, header[col], base + vs, ve - vs, digest)
        prev = end


_PADDING = frozenset(b' \t"')
_PADDING_END = frozenset(b' \t"\r\n')


# --- JSON Lines -------------------------------------------------------------------------------


def _json_leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_leaves(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, repr(value)


def _scan_jsonl_chunk(data: bytes, base: int, first_row: int, ctx: _Ctx) -> tuple[list[Finding], int]:
    out: list[Finding] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    registry = ctx.registry
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise PhiInputError(f"JSON Lines record {first_row + i} is not valid JSON") from None
        for path, value in _json_leaves(record, ""):
            leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
            if ctx.only is not None and path not in ctx.only:
                continue
            raw = normalize(value).encode("utf-8", "surrogatepass")
            hits = list(_matches(ctx.patterns, raw))
            for pat, _ms, vs, ve, _me in hits:
                out.append(_finding_from(ctx, pat, raw, vs, ve, first_row + i, path, None))
            matcher = registry.column_category(leaf)
            if matcher is None or hits:
                continue
            stripped = normalize(value).strip()
            if matcher.str_re.fullmatch(stripped) and all(v(stripped) for v in matcher.validators):
                cat = matcher.category
                digest = ctx.key.digest(cat.name, matcher.normalizer(stripped))
                out.append(Finding(cat.name, first_row + i, path, None, len(stripped.encode()), digest))
    return out, len(lines)


# --- chunking and ranges ----------------------------------------------------------------------


def detect_format(path: str | Path) -> Format:
    """The input format implied by a file's suffix (text when unknown)."""
    return _SUFFIXES.get(Path(path).suffix.lower(), "text")  # type: ignore[return-value]


def _last_boundary(block: bytes, quoted: bool) -> int:
    """Offset just past the last row end in ``block`` (0 if none). Quote-aware for tables."""
    nl = block.rfind(b"\n")
    if nl < 0 or not quoted or b'"' not in block:
        return nl + 1
    quotes = block.count(b'"', 0, nl)
    while nl >= 0:
        if not quotes & 1:
            return nl + 1
        prev = block.rfind(b"\n", 0, nl)
        quotes -= block.count(b'"', prev + 1, nl)
        nl = prev
    return 0


def _iter_chunks(
    fh: io.BufferedReader, start: int, end: int, chunk_size: int, quoted: bool
) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` chunks of whole rows covering ``[start, end)`` of the file."""
    fh.seek(start)
    pos = start
    carry = b""
    while pos < end or carry:
        want = min(chunk_size, end - pos) if pos < end else 0
        block = carry + (fh.read(want) if want else b"")
        pos += want
        if not block:
            return
        if pos >= end:
            yield pos - len(block), block
            return
        cut = _last_boundary(block, quoted)
        if cut == 0:
            if len(block) > MAX_ROW_BYTES:
                raise PhiInputError(f"a row longer than {MAX_ROW_BYTES} bytes starts at byte {pos - len(block)}")
            carry = block
            chunk_size *= 2
            continue
        yield pos - len(block), block[:cut]
        carry = block[cut:]


def _read_header(fh: io.BufferedReader, delim: bytes) -> tuple[tuple[str, ...], int]:
    """Column names and the offset where data rows start."""
    block = fh.read(1 << 16)
    while True:
        cut = _last_boundary_first(block)
        if cut or len(block) > MAX_ROW_BYTES:
            break
        more = fh.read(1 << 20)
        if not more:
            cut = len(block)
            break
        block += more
    line = block[:cut]
    skip = 3 if line.startswith(b"\xef\xbb\xbf") else 0
    _check_utf8(line[skip:], skip, "the header row")
    try:
        names = next(csv.reader(io.StringIO(line[skip:].decode("utf-8")), delimiter=delim.decode()), [])
    except csv.Error:
        raise PhiInputError("the header row is not valid CSV") from None
    return tuple(n.strip() for n in names), cut


def _last_boundary_first(block: bytes) -> int:
    """Offset just past the first row end of ``block`` (quote-aware), or 0."""
    pos = 0
    quotes = 0
    while True:
        nl = block.find(b"\n", pos)
        if nl < 0:
            return 0
        quotes += block.count(b'"', pos, nl)
        pos = nl + 1
        if not quotes & 1:
            return pos


@attrs.frozen
class ScanRange:
    """A byte range of whole rows and the 1-based number of its first data row."""

    start: int
    end: int
    first_row: int


def _open(path: str | Path) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise PhiInputError(f"no such file: {sanitize(str(path))}") from None
    except IsADirectoryError:
        raise PhiInputError(f"is a directory: {sanitize(str(path))}") from None
    except OSError as exc:
        raise PhiInputError(f"cannot open {sanitize(str(path))}: {exc.strerror or type(exc).__name__}") from None


def _table_delim(fmt: str) -> bytes:
    return b"\t" if fmt == "tsv" else b","


def plan_ranges(path: str | Path, parts: int, format: Format | None = None) -> list[ScanRange]:
    """Split a file into about ``parts`` ranges on row boundaries, with each range's first row number.

    One sequential pass (C-speed counting of newlines and quotes) so that boundaries are never
    inside a quoted CSV field and row numbers are global.
    """
    fmt = format or detect_format(path)
    size = os.path.getsize(path)
    with _open(path) as fh:
        data_start = 0
        if fmt in ("csv", "tsv"):
            _, data_start = _read_header(fh, _table_delim(fmt))
        target = max(1, (size - data_start) // max(1, parts))
        ranges: list[ScanRange] = []
        start = data_start
        row = 1
        counted = 0
        quoted = fmt in ("csv", "tsv")
        for off, chunk in _iter_chunks(fh, data_start, size, min(target, DEFAULT_CHUNK), quoted):
            nrows = len(_row_ends(chunk)) if quoted else chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            counted += nrows
            end = off + len(chunk)
            if end - start >= target and end < size:
                ranges.append(ScanRange(start, end, row))
                start, row = end, row + counted
                counted = 0
        if start < size or not ranges:
            ranges.append(ScanRange(start, size, row))
    return ranges


def scan_range(
    path: str | Path,
    start: int,
    end: int,
    *,
    format: Format | None = None,
    first_row: int = 1,
    header: Sequence[str] | None = None,
    key: PhiKey | bytes | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    columns: Iterable[str] | None = None,
    categories: Mapping[str, str | None] | None = None,
    tier: Tier = "scan",
) -> Iterator[Finding]:
    """Findings in ``[start, end)`` of a file; both ends must be row boundaries (see plan_ranges).

    ``tier="guard"`` matches the registry's broader guard patterns too (the rescan of a
    de-identified copy: a second line of defence may over-report, never under-report).

    ``first_row`` numbers the range's first row; ``header`` defaults to the file's own header.
    ``categories`` maps columns to their classified category (None: not identifying), as
    :func:`engine.phi.columns.classify_file` decides once for the whole file; columns it does
    not name are judged by their header. Cells of a whole-cell category (names, addresses) are
    findings whatever they hold.
    """
    fmt = format or detect_format(path)
    registry = load_registry()
    pkey = resolve_key(key)
    with _open(path) as fh:
        names: Sequence[str] = ()
        if fmt in ("csv", "tsv"):
            if header is None:
                names, data_start = _read_header(fh, _table_delim(fmt))
                if start == 0:
                    yield from _scan_header_line(fh, data_start, _make_ctx(registry, pkey, tier=tier))
                    start = data_start
            else:
                names = header
        ctx = _make_ctx(registry, pkey, names, _table_delim(fmt), columns, categories, tier)
        yield from _scan_ranges_in(fh, fmt, start, end, first_row, ctx, chunk_size)


def _scan_header_line(fh: io.BufferedReader, data_start: int, ctx: _Ctx) -> Iterator[Finding]:
    fh.seek(0)
    line = fh.read(data_start)
    for f in _scan_text_bytes(line, 0, ctx):
        yield attrs.evolve(f, row=0)


def _scan_ranges_in(
    fh: io.BufferedReader, fmt: str, start: int, end: int, first_row: int, ctx: _Ctx, chunk_size: int
) -> Iterator[Finding]:
    row = first_row
    quoted = fmt in ("csv", "tsv")
    for off, chunk in _iter_chunks(fh, start, end, max(1, chunk_size), quoted):
        _check_utf8(chunk, off, "the input")
        if fmt == "text":
            yield from _scan_text_bytes(chunk, off, ctx)
            continue
        if fmt == "jsonl":
            found, n = _scan_jsonl_chunk(chunk, off, row, ctx)
        else:
            found, n = _scan_csv_chunk(chunk, off, row, ctx)
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
    if categories is None and classify and fmt in ("csv", "tsv"):
        from engine.phi.columns import category_map, classify_file

        _size(path)
        categories = category_map(classify_file(path, fmt))
    if workers <= 1:
        yield from scan_range(
            path, 0, _size(path), format=fmt, key=pkey, chunk_size=chunk_size, columns=columns, categories=categories
        )
        return
    from engine.phi.parallel import scan_parallel

    yield from scan_parallel(path, fmt, pkey, workers, chunk_size, columns, categories)


def _size(path: str | Path) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        raise PhiInputError(f"no such file: {sanitize(str(path))}") from None
    except OSError as exc:
        raise PhiInputError(f"cannot stat {sanitize(str(path))}: {exc.strerror or type(exc).__name__}") from None
