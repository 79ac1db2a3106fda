"""What the chunk scanners of one scan share: the patterns, the labelled columns and a digest cache.

Real exports repeat a patient's identifiers on every visit, so the keyed digest of
``b"<CATEGORY>\\x1f" + raw value`` is cached; the cache is bounded (cleared when full) and lives
only as long as one scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from engine.phi.keys import PhiKey
from engine.phi.registry import ColumnMatcher, CompiledPattern, CompiledTier, PhiRegistry, Tier
from engine.phi.scan import findings
from engine.phi.validators import BYTES_NORMALIZERS

DIGEST_CACHE = 1 << 15  # entries (~8 MB at most)


@attrs.frozen
class ScanContext:
    """The registry, key, header and column choices of one scan, and its digest cache."""

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

    digest_fn: Callable[[bytes, bytes], str] | None = None
    """The core's digester (:mod:`engine.phi.native_digest`); None: the key's own (the reference)."""
    fast: dict[str, tuple[bytes, Any]] = attrs.field(factory=dict)
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
        fn = self.digest_fn
        digest = fn(prefix, normalized) if fn is not None else self.key.digest_bytes(prefix, normalized)
        cache = self.cache
        if len(cache) >= DIGEST_CACHE:
            cache.clear()
        cache[ck] = digest
        return digest

    def finding(
        self, pat: CompiledPattern, data: bytes, vs: int, ve: int, row: int | None, column: str | None,
        offset: int | None,
    ) -> findings.Finding:  # fmt: skip
        """The finding of the pattern match ``data[vs:ve]``."""
        return findings.Finding(pat.category.name, row, column, offset, ve - vs, self.digest_of(pat, data[vs:ve]))


def make_context(
    registry: PhiRegistry,
    key: PhiKey,
    header: Sequence[str] = (),
    delim: bytes = b",",
    columns: Iterable[str] | None = None,
    categories: Mapping[str, str | None] | None = None,
    tier: Tier = "scan",
) -> ScanContext:
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
    from engine.phi.native_digest import digester

    return ScanContext(
        registry, key, tuple(header), delim, tuple(labelled), only, registry.tier(tier), digester(key)
    )
