"""Hyperscan-accelerated matching for large byte buffers, with exactly the ``re`` results.

Why: Python's ``re`` enters the tier's combined alternation at every word and number start, about
1-2 MB/s on dense data. Here Hyperscan (a C library, optional dependency) scans the buffer once
for each pattern's prefix condition (:mod:`engine.phi.prefilter`) and reports windows where the
pattern could start; only the candidate positions inside those windows are tried with the exact
compiled pattern. Every position where a pattern matches is found that way, so ordering them by
(position, registry order) and taking them left to right gives the same matches as the combined
regex (:func:`engine.phi.matcher.iter_matches` checks this equivalence in the tests).

Compiled databases are cached per process and on disk (``RFLOW_CACHE_DIR``, else
``$XDG_CACHE_HOME/rflow`` or ``~/.cache/rflow``), keyed by the patterns, the Hyperscan version and
the machine type; compiling the registry takes about a second. A cache file that does not load
(torn, altered, or built for another CPU: Hyperscan refuses it) is compiled again. ``RFLOW_PHI_REGEX=re`` turns the
accelerator off, ``=hyperscan`` makes its absence an error.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import struct
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from engine.phi.errors import PhiRegistryError
from engine.phi.fastform import char_class, first_chars
from engine.phi.prefilter import Unsupported, prefix_condition, top_level_length
from engine.phi.registry import CompiledPattern, CompiledTier

ENV_ENGINE = "RFLOW_PHI_REGEX"
ENV_CACHE = "RFLOW_CACHE_DIR"
MIN_BYTES = 32 << 10
"""Below this size a buffer is matched with ``re`` alone (no database load for one log line)."""

_MAGIC = b"rflow-hs1\n"
_FAR = 1 << 62

Candidate = tuple[int, int, "re.Match[bytes]"]


@attrs.frozen
class Accelerator:
    """Hyperscan databases (one per pattern) and each pattern's start-position regex."""

    databases: tuple[Any, ...]
    starts: tuple[re.Pattern[bytes], ...]
    exact: tuple[re.Pattern[bytes], ...]
    scratch_type: Any = attrs.field(eq=False, repr=False)
    # Hyperscan scratch space is per scan in progress: one set per thread (local executor threads).
    _per_thread: threading.local = attrs.field(factory=threading.local, eq=False, repr=False)

    def _scratches(self) -> list[Any]:
        scratches: list[Any] | None = getattr(self._per_thread, "scratches", None)
        if scratches is None:
            scratches = [self.scratch_type(db) for db in self.databases]
            self._per_thread.scratches = scratches
        return scratches

    def candidates(self, data: bytes) -> list[Candidate]:
        """Every ``(start, pattern index, match)`` where a pattern matches exactly, sorted."""
        found: list[Candidate] = []
        add = found.append
        for index, (db, scratch) in enumerate(zip(self.databases, self._scratches(), strict=True)):
            windows: list[tuple[int, int]] = []
            db.scan(data, match_event_handler=_collector(windows.append), scratch=scratch)
            if not windows:
                continue
            windows.sort()
            windows.append((_FAR, _FAR))
            match = self.exact[index].match
            starts = self.starts[index].search
            lo, hi = windows[0]
            for a, b in windows:
                if a <= hi:  # overlapping or touching: one merged window
                    if b > hi:
                        hi = b
                    continue
                pos = lo
                while True:
                    cand = starts(data, pos, hi)
                    if cand is None:
                        break
                    pos = cand.start()
                    m = match(data, pos)
                    if m is not None:
                        add((pos, index, m))
                    pos += 1
                lo, hi = a, b
        # (position, pattern) pairs are unique - a pattern adds one candidate per position - so the
        # tuples sort by them without ever comparing two match objects.
        found.sort()
        return found


def _collector(append: Callable[[tuple[int, int]], None]) -> Callable[..., None]:
    def on_match(_id: int, start: int, end: int, _flags: int, _ctx: Any) -> None:
        append((start, end))

    return on_match


def _engine_setting() -> str:
    value = os.environ.get(ENV_ENGINE, "auto").strip().lower() or "auto"
    if value not in ("auto", "re", "hyperscan"):
        raise PhiRegistryError(f"{ENV_ENGINE} must be auto, re or hyperscan, not {value[:20]!r}")
    return value


def _hyperscan() -> Any | None:
    try:
        import hyperscan
    except ImportError:
        return None
    return hyperscan


def _start_regex(pat: CompiledPattern) -> re.Pattern[bytes]:
    """Positions where a pattern can start: its declared left boundary and first-character class."""
    firsts = first_chars(pat.source)
    text = f"(?<!{pat.left})" + (char_class(firsts) if firsts else "[\\x00-\\xff]")
    return re.compile(text.encode("ascii"))


def _compile_one(hs: Any, source: str) -> Any:
    """A start-of-match database for the pattern's prefix condition, weakened until it compiles."""
    keep: int | None = None
    last_error: Exception | None = None
    for keep in (None, *range(top_level_length(source) - 1, 0, -1)):
        try:
            expression = prefix_condition(source, keep).encode("ascii")
        except Unsupported as exc:
            last_error = exc
            continue
        db = hs.Database(mode=hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[expression], ids=[0], elements=1, flags=[hs.HS_FLAG_SOM_LEFTMOST])
        except hs.error as exc:  # "Pattern is too large": try a shorter prefix
            last_error = exc
            continue
        return db
    raise Unsupported(f"no Hyperscan prefix condition compiles: {last_error}")


def _cache_dir() -> Path:
    base = os.environ.get(ENV_CACHE)
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "rflow"


def _cache_key(hs: Any, tier: CompiledTier) -> str:
    h = hashlib.sha256(_MAGIC)
    h.update(f"{getattr(hs, '__version__', '?')} {platform.machine()}".encode())
    for pat in tier.patterns:
        h.update(b"\x00" + pat.source.encode("utf-8"))
    return h.hexdigest()[:40]


def _load_cached(hs: Any, path: Path, count: int) -> tuple[Any, ...] | None:
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    body = blob[len(_MAGIC) : -32]
    if hashlib.sha256(body).digest() != blob[-32:]:
        return None  # truncated or altered: recompile
    out = []
    offset = 0
    try:
        for _ in range(count):
            (size,) = struct.unpack_from("<Q", body, offset)
            offset += 8
            out.append(hs.loadb(body[offset : offset + size], mode=hs.HS_MODE_BLOCK))
            offset += size
    except (struct.error, hs.error, TypeError):
        return None
    return tuple(out) if offset == len(body) else None


def _store_cached(hs: Any, path: Path, databases: tuple[Any, ...]) -> None:
    body = b"".join(struct.pack("<Q", len(raw)) + raw for raw in (hs.dumpb(db) for db in databases))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hs-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(_MAGIC + body + hashlib.sha256(body).digest())
        os.replace(tmp, path)
    except OSError:
        return  # a read-only home only costs the compile next time


def build_accelerator(tier: CompiledTier, *, use_cache: bool = True) -> Accelerator | None:
    """The tier's accelerator, or None when Hyperscan is not installed or is turned off."""
    setting = _engine_setting()
    if setting == "re":
        return None
    hs = _hyperscan()
    if hs is None:
        if setting == "hyperscan":
            raise PhiRegistryError(f"{ENV_ENGINE}=hyperscan but the hyperscan package is not installed")
        return None
    path = _cache_dir() / f"hs-{_cache_key(hs, tier)}.bin"
    databases = _load_cached(hs, path, len(tier.patterns)) if use_cache else None
    if databases is None:
        databases = tuple(_compile_one(hs, pat.source) for pat in tier.patterns)
        if use_cache:
            _store_cached(hs, path, databases)
    return Accelerator(
        databases=databases,
        starts=tuple(_start_regex(pat) for pat in tier.patterns),
        exact=tuple(pat.bytes_re for pat in tier.patterns),
        scratch_type=hs.Scratch,
    )


_BUILT: dict[int, tuple[CompiledTier, Accelerator | None]] = {}


def accelerator_for(tier: CompiledTier) -> Accelerator | None:
    """The cached accelerator of a tier (built on first use in this process)."""
    hit = _BUILT.get(id(tier))
    if hit is not None and hit[0] is tier:
        return hit[1]
    try:
        acc = build_accelerator(tier)
    except Unsupported as exc:
        if _engine_setting() == "hyperscan":
            raise PhiRegistryError(f"{ENV_ENGINE}=hyperscan but {exc}") from None
        acc = None
    _BUILT[id(tier)] = (tier, acc)
    return acc
