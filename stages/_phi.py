"""PHI spans inside one cell, for the stages that must replace them (``deidentify``, ``phi_scan``).

A thin adapter over :mod:`engine.phi.spans`: the same compiled registry, column context, column
classification and validators the scanner uses, so there is one definition of PHI. What is
stage-specific lives here: the ``broad`` switch (guard tier for free text) and how a span is
replaced during de-identification (tokens, ``90+`` for ages, three-digit ZIPs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from engine.phi import load_registry
from engine.phi.envpin import pinned as settings_pinned
from engine.phi.registry import ColumnMatcher, PhiRegistry
from engine.phi.spans import Span
from engine.phi.spans import column_matcher as _column_matcher
from engine.phi.spans import find_spans as _find_spans
from engine.phi.spans import replace_spans as _replace

__all__ = [
    "NAME_TOKEN",
    "Span",
    "column_matcher",
    "find_spans",
    "registry",
    "replace_spans",
    "replace_spans_with",
    "replacement",
    "settings_pinned",
    "token_for",
    "zip3",
]

NAME_TOKEN = "[PHI:NAME]"
AGE_REPLACEMENT = "90+"


def registry() -> PhiRegistry:
    """The canonical registry (``load_registry`` caches it: no second cache here)."""
    return load_registry()


def column_matcher(column: str | None) -> ColumnMatcher | None:
    """The category a column's name labels (``ssn``, ``zip_code``, ``patient_name``...), cached."""
    return _column_matcher(column)


def find_spans(
    text: str, *, column: str | None = None, broad: bool = False, names: bool = True, category: str | None = None
) -> list[Span]:
    """Non-overlapping PHI spans of ``text``, left to right (see :func:`engine.phi.find_spans`).

    ``broad`` uses the guard tier (over-redacts; right for free text); ``category`` is the
    column's classified category; ``names=False`` leaves NAME spans out.
    """
    spans = _find_spans(text, column=column, tier="guard" if broad else "scan", category=category)
    return spans if names else [s for s in spans if s.category != "NAME"]


@functools.lru_cache(maxsize=1)
def _restricted_zip3() -> frozenset[str]:
    return frozenset(registry().category("ZIP").params.get("restricted_zip3", ()))


def zip3(value: str) -> str:
    """The Safe Harbor three-digit ZIP of a ZIP code (``000`` for sparsely populated prefixes)."""
    digits = "".join(c for c in value if c.isascii() and c.isdigit())
    if len(digits) < 5:
        return ""
    prefix = digits[:3]
    return "000" if prefix in _restricted_zip3() else prefix


def replacement(span: Span, value: str) -> str:
    """What de-identification writes for a span in text: ``90+`` for ages, ZIP3 for ZIPs, else the token."""
    if span.category == "AGE_OVER_89":
        return AGE_REPLACEMENT
    if span.category == "ZIP":
        return zip3(value) or span.token
    return span.token


def replace_spans(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced (see :func:`replacement`)."""
    return _replace(text, list(spans), replacement)


def replace_spans_with(text: str, spans: Iterable[Span], replace: Callable[[Span, str], str]) -> str:
    """``text`` with each span replaced by ``replace(span, value)``."""
    return _replace(text, list(spans), replace)


def token_for(category: str) -> str:
    """The registry token of ``category`` (``[PHI:<NAME>]`` for an unknown one)."""
    try:
        return registry().category(category).token
    except KeyError:
        return f"[PHI:{category}]"
