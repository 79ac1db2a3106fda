"""Free text: the tier's patterns over the normalized bytes, offsets mapped back to the original."""

from __future__ import annotations

from collections.abc import Iterator

from engine.phi.keys import PhiKey, resolve_key
from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize_bytes_with_map
from engine.phi.registry import load_registry
from engine.phi.scan.context import ScanContext, make_context
from engine.phi.scan.findings import Finding


def scan_text_bytes(data: bytes, base: int, ctx: ScanContext) -> list[Finding]:
    """Findings in a chunk of text starting at byte ``base`` of the file (rows and columns unset)."""
    norm, omap = normalize_bytes_with_map(data)
    out = []
    for pat, _ms, vs, ve, _me in iter_matches(ctx.patterns, norm):
        digest = ctx.digest_of(pat, norm[vs:ve])
        if not omap.identity:
            vs, ve = omap.span(vs, ve)
        out.append(Finding(pat.category.name, None, None, base + vs, ve - vs, digest))
    return out


def scan_text(text: str, *, key: PhiKey | bytes | None = None) -> Iterator[Finding]:
    """Findings in ``text``; offsets are byte offsets in its UTF-8 encoding."""
    ctx = make_context(load_registry(), resolve_key(key))
    data = text.encode("utf-8", "surrogatepass")
    yield from scan_text_bytes(data, 0, ctx)
