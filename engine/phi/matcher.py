"""The one matching loop shared by the sanitizer and the scanner.

A combined alternation gives the leftmost match of the first alternative; when that candidate
fails its validators, the later alternatives are tried at the same position before moving on, so a
rejected pattern never hides a valid one. A pattern's declared exclusion words (``not_followed_by``
in the registry) are checked here, in code, like a validator. Where the native core is built, a
large buffer (and, once a scan loaded the core, every ASCII text) takes the core's matcher
(:mod:`engine.phi.native_match`): the same matches, found without entering the alternation at
every word.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import AnyStr

from engine.phi import cue_matches, native_match
from engine.phi.accept import accepts, context_ok
from engine.phi.registry import CompiledPattern, CompiledTier


def iter_matches(
    tier: CompiledTier, data: AnyStr, pos: int = 0, endpos: int | None = None
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """Validated matches as ``(pattern, match_start, value_start, value_end, match_end)``, left to right.

    The registry's pattern matches merged with the name and place cue rules (:mod:`engine.phi.cue_matches`);
    where they overlap, the one that starts first wins.
    """
    found = pattern_matches(tier, data, pos, endpos)
    extra = cue_matches.matches(data if pos == 0 and endpos is None else data[:endpos])
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


def pattern_matches(
    tier: CompiledTier, data: AnyStr, pos: int = 0, endpos: int | None = None
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """The registry patterns' validated matches, left to right."""
    if (
        pos == 0
        and endpos is None
        and (len(data) >= native_match.MIN_BYTES or native_match.is_built(tier) or native_match.core_loaded())
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

