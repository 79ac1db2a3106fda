"""``sanitize`` and ``contains_phi``: the output guard applied to every error, log record and output.

They use the broader ``guard`` tier: over-redacting an error message is cheap, leaking is not.
Both are called on many short strings, so the compiled tier is fetched once and cached. Text is
matched in its normalized form (:mod:`engine.phi.normalize`: fullwidth digits, zero-width and
no-break characters) and replaced in the original, invisible characters inside a value included.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from engine.phi.code_words import quoted_code_identifier
from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize_with_map
from engine.phi.registry import CompiledPattern, CompiledTier, load_registry

# A replacement could in principle make a new match appear (text joined around a token); repeating
# until nothing changes makes sanitize idempotent. Real inputs settle after one pass.
_MAX_PASSES = 4


@functools.lru_cache(maxsize=1)
def _guard() -> tuple[CompiledTier, Callable[[str], object]]:
    registry = load_registry()
    return registry.guard, registry.prefilter.search


def _guard_matches(tier: CompiledTier, normalized: str) -> Iterator[tuple[CompiledPattern, int, int]]:
    """The guard tier's matches as ``(pattern, value start, value end)``, but for a NAME match that is a
    code identifier quoted in Python's own exception wording (:mod:`engine.phi.code_words`)."""
    for pat, _ms, vs, ve, _me in iter_matches(tier, normalized):
        if pat.category.name == "NAME" and quoted_code_identifier(normalized, vs, ve):
            continue
        yield pat, vs, ve


def _sanitize_once(text: str, tier: CompiledTier) -> str:
    out: list[str] = []
    last = 0
    normalized, omap = normalize_with_map(text)
    for pat, vs, ve in _guard_matches(tier, normalized):
        if not omap.identity:
            vs, ve = omap.span(vs, ve)
        out.append(text[last:vs])
        out.append(pat.category.token)
        last = ve
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def sanitize(text: str) -> str:
    """``text`` with every guard-tier PHI match replaced by its category token, e.g. ``[PHI:SSN]``."""
    if not isinstance(text, str):
        text = str(text)
    tier, prefilter = _guard()
    if not prefilter(text) and (text.isascii() or not prefilter(normalize_with_map(text)[0])):
        return text
    for _ in range(_MAX_PASSES):
        cleaned = _sanitize_once(text, tier)
        if cleaned == text:
            return cleaned
        text = cleaned
    return text


def contains_phi(text: str) -> bool:
    """True when ``sanitize`` would change ``text`` (the output-guard check)."""
    return phi_category(text) is not None


def phi_category(text: str) -> str | None:
    """The category of the first guard-tier match in ``text`` (what ``sanitize`` would replace first), or None."""
    if not isinstance(text, str):
        text = str(text)
    tier, prefilter = _guard()
    normalized = normalize_with_map(text)[0]
    if not prefilter(normalized):
        return None
    match = next(_guard_matches(tier, normalized), None)
    return None if match is None else match[0].category.name
