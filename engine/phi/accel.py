"""Hyperscan-accelerated matching for large byte buffers, with exactly the ``re`` results.

Why: Python's ``re`` enters the tier's combined alternation at every word and number start, about
1-2 MB/s on dense data. Here Hyperscan (a C library, optional dependency) scans the buffer once
for each pattern's prefix condition (:mod:`engine.phi.prefilter`) and reports windows where the
pattern could start; only the candidate positions inside those windows are tried with the exact
compiled pattern. Every position where a pattern matches is found that way, so ordering them by
(position, registry order) and taking them left to right gives the same matches as the combined
regex (:func:`engine.phi.matcher.iter_matches` checks this equivalence in the tests).

Databases are compiled in memory, once per process and tier (about a second for the registry),
and never stored: a database read from a writable cache folder would decide what the scanner
finds (a planted one silently drops findings), so nothing the scanner trusts comes from disk
except the registry itself. ``RFLOW_PHI_REGEX=re`` turns the accelerator off, ``=hyperscan``
makes its absence an error.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any

import attrs

from engine.phi.errors import PhiRegistryError
from engine.phi.fastform import char_class, first_chars
from engine.phi.prefilter import Unsupported, prefix_condition, top_level_length
from engine.phi.registry import CompiledPattern, CompiledTier

ENV_ENGINE = "RFLOW_PHI_REGEX"
MIN_BYTES = 32 << 10
"""Below this size a buffer is matched with ``re`` alone (no database load for one log line)."""

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


def engine_setting() -> str:
    """The regex path asked for: auto (native core, else Hyperscan, else re), re or hyperscan."""
    value = os.environ.get(ENV_ENGINE, "auto").strip().lower() or "auto"
    if value not in ("auto", "re", "hyperscan"):
        raise PhiRegistryError(f"{ENV_ENGINE} must be auto, re or hyperscan, not {value[:20]!r}")
    return value


def has_hyperscan() -> bool:
    """True when the hyperscan package is installed."""
    return _hyperscan() is not None


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


def build_accelerator(tier: CompiledTier) -> Accelerator | None:
    """The tier's accelerator, compiled in memory; None when Hyperscan is not installed or is turned off."""
    setting = engine_setting()
    if setting == "re":
        return None
    hs = _hyperscan()
    if hs is None:
        if setting == "hyperscan":
            raise PhiRegistryError(f"{ENV_ENGINE}=hyperscan but the hyperscan package is not installed")
        return None
    databases = tuple(_compile_one(hs, pat.source) for pat in tier.patterns)
    return Accelerator(
        databases=databases,
        starts=tuple(_start_regex(pat) for pat in tier.patterns),
        exact=tuple(pat.bytes_re for pat in tier.patterns),
        scratch_type=hs.Scratch,
    )


_BUILT: dict[int, tuple[CompiledTier, Accelerator | None]] = {}


def accelerator_for(tier: CompiledTier) -> Accelerator | None:
    """The accelerator of a tier, built on first use in this process and kept in memory."""
    hit = _BUILT.get(id(tier))
    if hit is not None and hit[0] is tier:
        return hit[1]
    try:
        acc = build_accelerator(tier)
    except Unsupported as exc:
        if engine_setting() == "hyperscan":
            raise PhiRegistryError(f"{ENV_ENGINE}=hyperscan but {exc}") from None
        acc = None
    _BUILT[id(tier)] = (tier, acc)
    return acc
