"""Whether a candidate match counts: its validators and context, and the leftmost walk over candidates.

One rule for every path that finds candidates: the Python matching loop
(:mod:`engine.phi.matcher`), the native core's candidates walked in Python and the core's own
walk, which asks it about a candidate it cannot decide (:mod:`engine.phi.native_match`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from engine.phi.registry import CompiledPattern


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def accepts(pattern: CompiledPattern, value: str | bytes) -> bool:
    """True when every validator of ``pattern`` accepts ``value``."""
    if not pattern.validators:
        return True
    text = _text(value)
    return all(check(text) for check in pattern.validators)


def context_ok(pattern: CompiledPattern, data: str | bytes, end: int, start: int = 0, value_start: int = 0) -> bool:
    """False when one of the pattern's exclusion words follows the match ending at ``end``, or when
    the label of a labelled match ``data[start:value_start]`` is a word in another sense."""
    if pattern.senses is not None and pattern.senses.other_sense(data, start, value_start):
        return False
    if pattern.reject_after is None:
        return True
    if isinstance(data, bytes):
        assert pattern.reject_after_bytes is not None
        return pattern.reject_after_bytes.match(data, end) is None
    return pattern.reject_after.match(data, end) is None


Spans = tuple[int, int, int]
"""A candidate's value start, value end and match end."""


def leftmost_accepted(
    patterns: Sequence[CompiledPattern], candidates: Iterable[tuple[int, int, Spans | None]], data: bytes,
    resolve: Callable[[CompiledPattern, bytes, int], Spans | None],
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """The combined-regex semantics over exact candidates: leftmost first, registry order at a tie.

    ``candidates`` are ``(start, pattern index, spans)`` in start order, registry order at one
    start; ``spans`` None asks ``resolve`` (run only for a candidate not already covered). A
    candidate its validators or context refuse gives way to the next one at its start or beyond.
    The one definition for every walk over the native core's candidates.
    """
    pos = 0
    for start, index, spans in candidates:
        if start < pos:
            continue
        pat = patterns[index]
        spans = decide(pat, data, start, spans, resolve)
        if spans is None:
            continue  # the next candidate at this position, or further right
        vs, ve, mend = spans
        yield pat, start, vs, ve, mend
        pos = mend if mend > start else start + 1


def decide(
    pat: CompiledPattern, data: bytes, start: int, spans: Spans | None,
    resolve: Callable[[CompiledPattern, bytes, int], Spans | None],
) -> Spans | None:
    """The spans of ``pat``'s match at ``start`` when its validators and context accept it, else None.

    ``spans`` None asks ``resolve`` for them. The one rule for the Python walk and the questions
    the native core's walk asks (a candidate it cannot decide by itself).
    """
    if spans is None:
        spans = resolve(pat, data, start)
        if spans is None:
            return None
    vs, ve, mend = spans
    if pat.validators and not accepts(pat, data[vs:ve]):
        return None
    if (pat.reject_after is not None or pat.senses is not None) and not context_ok(pat, data, mend, start, vs):
        return None
    return spans


def match_spans(pat: CompiledPattern, data: bytes, start: int) -> Spans | None:
    """``pat`` matched at ``start``: its spans, or None."""
    m = pat.bytes_re.match(data, start)
    if m is None:
        return None
    vs, ve = m.span("value") if pat.has_value else m.span()
    return vs, ve, m.end()
