"""PHI spans inside one cell, for the stages that must replace them (``deidentify``).

Why here and not in ``engine.phi``: the scanner reports findings (location + keyed digest) and
never the value; de-identification needs the spans of a cell it already holds in memory so it can
rewrite them. This adapter is built on the canonical registry (the same compiled patterns, column
context and validators the scanner uses), so there is still one definition of PHI. If
``engine.phi`` grows a per-cell ``find_spans``, this module becomes a thin wrapper around it.

One interim rule lives here until the registry has a NAME category (issue 10): a capitalised name
after a title or a label (``Dr. Okafor``, ``Patient: Luis Ortega``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import attrs

from engine.phi import load_registry
from engine.phi.matcher import accepts, iter_matches
from engine.phi.registry import ColumnMatcher, CompiledTier, PhiRegistry

NAME_TOKEN = "[PHI:NAME]"
_NAME_WORD = r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?"
_TITLED_NAME = re.compile(
    r"(?<![A-Za-z])(?:(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof)\.?[ \t]+|(?:Patient|Pt|Subject|Mother|Father|Spouse|Signed by|cc)"
    r"[ \t]*:?[ \t]+)(?P<value>" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r")?)",
    re.ASCII,
)
# Words that follow "Patient"/"Subject" and are not names.
_NOT_NAMES = frozenset({
    "Reports", "Agrees", "Denies", "States", "Seen", "Called", "Declined", "Was", "Is", "Has", "Had", "Will",
    "Returned", "Tolerating", "Presents", "Notes", "Education", "Information", "Id", "Identifier", "Number",
    "Portal", "Consent", "Visit",
})


@attrs.frozen
class Span:
    start: int
    end: int
    category: str
    token: str
    normalizer: Callable[[str], str] | None = attrs.field(default=None, eq=False, repr=False)


@functools.lru_cache(maxsize=1)
def _registry() -> PhiRegistry:
    return load_registry()


def registry() -> PhiRegistry:
    return _registry()


@functools.lru_cache(maxsize=4096)
def column_matcher(column: str | None) -> ColumnMatcher | None:
    """The category a column's name labels (``ssn``, ``zip_code``, ``dob``...), if any (cached: hot path)."""
    return _registry().column_category(column)


def _tier(broad: bool) -> CompiledTier:
    reg = _registry()
    return reg.guard if broad else reg.scan


def cell_is_labelled_phi(matcher: ColumnMatcher | None, text: str) -> bool:
    """A whole cell that is a value of its column's labelled category (e.g. ``19520314`` in ``dob``)."""
    if matcher is None:
        return False
    value = text.strip()
    return bool(value) and matcher.str_re.fullmatch(value) is not None and all(v(value) for v in matcher.validators)


def find_spans(text: str, *, column: str | None = None, broad: bool = False, names: bool = True) -> list[Span]:
    """Non-overlapping PHI spans of ``text``, left to right.

    ``broad`` uses the guard tier (over-redacts; right for free text), ``column`` adds the column's
    labelled category for a whole-cell value, ``names`` the interim titled-name rule.
    """
    if not text:
        return []
    reg = _registry()
    spans: list[Span] = []
    matcher = column_matcher(column) if column else None
    if cell_is_labelled_phi(matcher, text):
        assert matcher is not None
        return [Span(0, len(text), matcher.category.name, matcher.category.token, matcher.normalizer)]
    if reg.prefilter.search(text):
        for match in iter_matches(_tier(broad), text):
            # (pattern, [match_start,] value_start, value_end, match_end): take the value span.
            pat, vs, ve = match[0], match[-3], match[-2]
            spans.append(Span(vs, ve, pat.category.name, pat.category.token, pat.normalizer))
    if names and len(text) > 4 and not text.isdigit():
        for m in _TITLED_NAME.finditer(text):
            first = m.group("value").split()[0]
            if first in _NOT_NAMES:
                continue
            spans.append(Span(m.start("value"), m.end("value"), "NAME", NAME_TOKEN))
    return _merge(spans)


def _merge(spans: list[Span]) -> list[Span]:
    """Sort and drop spans overlapping an earlier (longer-first at a tie) span."""
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    out: list[Span] = []
    for span in spans:
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


def replace_spans(text: str, spans: Iterable[Span]) -> str:
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(span.token)
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def token_for(category: str) -> str:
    try:
        return _registry().category(category).token
    except KeyError:
        return f"[PHI:{category}]"


def pattern_accepts(category: str, value: str) -> bool:
    """Whether any scan pattern of ``category`` accepts ``value`` (used by tests and the rescan)."""
    for pat in _registry().scan.patterns:
        if pat.category.name == category and pat.str_re.fullmatch(value) and accepts(pat, value):
            return True
    return False
