"""PHI spans inside one cell or string: the public API for code that must rewrite values it holds.

The scanner reports findings (a location and a keyed digest, never the value). De-identification
holds a cell in memory and needs the spans to replace; it gets them here, from the same compiled
registry, column context and validators the scanner uses, so there is one definition of PHI.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Literal

import attrs

from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize, normalize_with_map
from engine.phi.registry import ColumnMatcher, load_registry

Tier = Literal["scan", "guard"]


@attrs.frozen
class Span:
    """``text[start:end]`` is PHI of ``category``; ``token`` is its registry replacement."""

    start: int
    end: int
    category: str
    token: str
    normalizer: Callable[[str], str] | None = attrs.field(default=None, eq=False, repr=False)


@functools.lru_cache(maxsize=1 << 16)
def column_matcher(column: str | None) -> ColumnMatcher | None:
    """The matcher of the category a column's header names (``ssn``, ``zip_code``, ``patient_name``).

    Cached: stages call it for every cell (of up to 65,536 columns before the cache turns over).
    """
    return load_registry().column_category(column) if column else None


def column_category(column: str | None) -> str | None:
    """The category a column's header names, or None (cached; header only, no values)."""
    matcher = column_matcher(column)
    return matcher.category.name if matcher is not None else None


def _matcher_for(category: str | None) -> ColumnMatcher | None:
    return load_registry().column_matchers.get(category) if category else None


def cell_span(text: str, matcher: ColumnMatcher | None) -> Span | None:
    """The whole (stripped) cell as one span when its column's category claims it.

    A whole-cell category (names, addresses, cities) claims any non-empty cell; another labelled
    category (``dob``, ``mrn``) claims a cell whose value fits its value regex and validators.
    """
    if matcher is None:
        return None
    value = text.strip()
    if not value:
        return None
    if not matcher.whole_cell and not value_fits(value, matcher):
        return None
    start = len(text) - len(text.lstrip())
    cat = matcher.category
    return Span(start, start + len(value), cat.name, cat.token, matcher.normalizer)


def value_fits(value: str, matcher: ColumnMatcher) -> bool:
    """``value`` (a stripped cell) has the category's value shape, as written or once normalized.

    Both forms: normalizing undoes obfuscation (fullwidth digits, format characters), but NFKC also
    turns a no-break space or a spacing accent (``\u00a8``, ``\u00b4``, ``\u00af``) into a space, which
    a value regex that stops at blanks (an image file name) then rejects although the cell as written
    has the shape.
    """
    return fitting_form(value, matcher) is not None


def fitting_form(value: str, matcher: ColumnMatcher) -> str | None:
    """The form of ``value`` that has the category's value shape (normalized first, then as
    written), or None: :func:`value_fits`, with the form the validators accepted."""
    norm = normalize(value).strip()
    for form in (norm, value) if norm != value else (norm,):
        if matcher.str_re.fullmatch(form) is not None and all(v(form) for v in matcher.validators):
            return form
    return None


def find_spans(text: str, *, column: str | None = None, tier: Tier = "scan", category: str | None = None) -> list[Span]:
    """Non-overlapping PHI spans of ``text``, left to right.

    ``column`` adds the category its header names; ``category`` (from a column classification
    or a manifest override) replaces that guess. A column category claims the whole cell as one
    span when it applies (see :func:`cell_span`); otherwise the tier's patterns run over the text.
    ``tier="guard"`` over-redacts (right for free text that leaves the system).
    """
    if not text:
        return []
    matcher = _matcher_for(category) if category else column_matcher(column)
    whole = cell_span(text, matcher)
    if whole is not None and (matcher is not None and not matcher.whole_cell):
        return [whole]
    reg = load_registry()
    spans: list[Span] = []
    normalized, omap = normalize_with_map(text)
    if reg.prefilter.search(normalized):
        for pat, _ms, vs, ve, _me in iter_matches(reg.tier(tier), normalized):
            cat = pat.category
            if not omap.identity:
                vs, ve = omap.span(vs, ve)
            spans.append(Span(vs, ve, cat.name, cat.token, pat.normalizer))
    if whole is not None:
        # A whole-cell column: the cell is the span; the patterns only refine its category when
        # one of them covers it entirely (an ADDRESS column cell that is a PO box).
        if len(spans) == 1 and spans[0].start == whole.start and spans[0].end == whole.end:
            return spans
        return [whole]
    return spans


def replace_spans(text: str, spans: list[Span], replace: Callable[[Span, str], str] | None = None) -> str:
    """``text`` with each span replaced by its token (or by ``replace(span, value)``).

    ``value`` is the span's normalized text (fullwidth digits as ASCII, invisible characters
    removed); the whole original span is replaced.
    """
    parts: list[str] = []
    last = 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(span.token if replace is None else replace(span, normalize(text[span.start : span.end])))
        last = span.end
    parts.append(text[last:])
    return "".join(parts)
