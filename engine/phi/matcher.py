"""The one matching loop shared by the sanitizer and the scanner.

A combined alternation gives the leftmost match of the first alternative; when that candidate
fails its validators, the later alternatives are tried at the same position before moving on, so a
rejected pattern never hides a valid one. A pattern's declared exclusion words (``not_followed_by``
in the registry) are checked here, in code, like a validator. A large byte buffer takes the Hyperscan path
(:mod:`engine.phi.accel`) when it is installed: the same matches, found without entering the
alternation at every word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, AnyStr

from engine.phi import accel, cues, native_match
from engine.phi.registry import CompiledPattern, CompiledTier


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


def iter_matches(
    tier: CompiledTier, data: AnyStr, pos: int = 0, endpos: int | None = None
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """Validated matches as ``(pattern, match_start, value_start, value_end, match_end)``, left to right.

    The registry's pattern matches merged with the name and place cue rules (:mod:`engine.phi.cues`);
    where they overlap, the one that starts first wins.
    """
    found = _pattern_matches(tier, data, pos, endpos)
    extra = cues.matches(data if pos == 0 and endpos is None else data[:endpos])
    if not extra:
        yield from found
        return
    k = 0
    last = pos
    for m in found:
        while k < len(extra) and extra[k][1] < m[1]:
            if extra[k][1] >= last:
                yield extra[k]
                last = extra[k][4]
            k += 1
        if m[1] >= last:
            yield m
            last = m[4]
    for e in extra[k:]:
        if e[1] >= last:
            yield e
            last = e[4]


def _pattern_matches(
    tier: CompiledTier, data: AnyStr, pos: int = 0, endpos: int | None = None
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """The registry patterns' validated matches, left to right."""
    if (
        pos == 0
        and endpos is None
        and (len(data) >= accel.MIN_BYTES or native_match.is_built(tier) or native_match.core_loaded())
        and (isinstance(data, bytes) or data.isascii())
    ):
        # A short text (a log line, a message) never pays the core's compile; once it is built or
        # loaded (a file scan in this process), every text of that tier uses it.
        core_matcher = native_match.matcher_for(tier)
        if core_matcher is not None:
            # ASCII text: the bytes patterns match it exactly as the str patterns do, same offsets
            buf = data if isinstance(data, bytes) else data.encode("ascii")
            yield from native_match.native_matches(tier, core_matcher, buf)
            return
    if isinstance(data, bytes) and pos == 0 and endpos is None and len(data) >= accel.MIN_BYTES:
        acc = accel.accelerator_for(tier)
        if acc is not None:
            yield from _accelerated(tier, acc, data)
            return
    rx = tier.bytes_re if isinstance(data, bytes) else tier.str_re
    search = rx.search
    by_group = tier.by_group
    patterns = tier.patterns
    end = len(data) if endpos is None else endpos
    while pos < end:
        m = search(data, pos, end)
        if m is None:
            return
        pat = by_group[m.lastindex or 0]
        assert pat is not None
        start, mend = m.span(pat.group)
        vg = pat.value_group
        vs, ve = m.span(vg) if vg else (start, mend)
        checks = pat.validators
        if checks:
            raw = data[vs:ve]
            text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            ok = True
            for check in checks:
                if not check(text):
                    ok = False
                    break
        else:
            ok = True
        if ok and (pat.reject_after is not None or pat.senses is not None):
            ok = context_ok(pat, data, mend, start, vs)
        if ok:
            yield pat, start, vs, ve, mend
            pos = mend if mend > start else start + 1
            continue
        pos = start + 1
        for other in patterns[tier.position[pat.id] + 1 :]:
            single = other.bytes_re if isinstance(data, bytes) else other.str_re
            m2 = single.match(data, start, end)
            if m2 is None:
                continue
            vs, ve = m2.span("value") if "value" in single.groupindex else m2.span()
            if accepts(other, data[vs:ve]) and context_ok(other, data, m2.end(), start, vs):
                yield other, start, vs, ve, m2.end()
                pos = max(m2.end(), start + 1)
                break


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
    The one definition for the accelerator and the native core.
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


def _accelerated(
    tier: CompiledTier, acc: accel.Accelerator, data: bytes
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """:func:`leftmost_accepted` over the accelerator's exact matches."""
    patterns = tier.patterns

    def spans(index: int, m: Any) -> Spans:
        vs, ve = m.span("value") if patterns[index].has_value else m.span()
        return vs, ve, m.end()

    candidates = ((start, index, spans(index, m)) for start, index, m in acc.candidates(data))
    return leftmost_accepted(patterns, candidates, data, match_spans)
