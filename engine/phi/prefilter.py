"""Prefix conditions of registry patterns, in a lookaround-free syntax the native core compiles.

A pattern the core cannot run exactly (labelled values, cue windows: lookarounds the ``regex``
crate has not) is sent to it as a prefix condition (:mod:`engine.phi.native_match`): the core
reports every start where the condition matches, and Python confirms each with the exact ``re``
pattern. That is exact as long as the condition is a **prefix condition**: whenever the exact
pattern matches at ``s``, the condition matches some non-empty ``text[s:e]``, so every true start
is among the reported ones.

A prefix condition is built from Python's own parse of the pattern (``re._parser``), so there is
no second regex grammar to keep in step:

- lookbehinds, negative lookaheads and anchors are dropped (dropping a condition only widens the
  language);
- a trailing positive lookahead is consumed (what it requires does follow the match);
- trailing optional items are dropped and a trailing repeat is cut to its minimum count, so the
  condition is decided soon after a candidate start instead of at every possible end (a URL's
  start, not each of its characters);
- possessive repeats and atomic groups become plain ones, and bounded repeats of ``BIG`` or more
  become unbounded (a smaller automaton; the exact pattern bounds them when it confirms);
- case-insensitive parts are spelled as explicit ``[Aa]`` classes.

Each step keeps or widens the set of matched strings, never narrows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

BIG = 16
"""Bounded repeats with at least this upper bound are widened to unbounded ones."""

_CATEGORY_CLASS = {
    C.CATEGORY_DIGIT: "0-9",
    C.CATEGORY_SPACE: " \\t\\n\\r\\f\\v",
    C.CATEGORY_WORD: "A-Za-z0-9_",
}


class Unsupported(ValueError):
    """The pattern uses a construct with no prefix condition here (e.g. a back-reference)."""


def byte_escape(c: int) -> str:
    """The regex escape of one byte value; a character above U+00FF has none (Unsupported)."""
    if c > 0xFF:
        raise Unsupported(f"non-byte character U+{c:04X}")
    return f"\\x{c:02x}"


def other_case(c: int) -> int | None:
    """The other ASCII case of a letter byte, None for any other byte."""
    return c ^ 0x20 if 65 <= c <= 90 or 97 <= c <= 122 else None


def _class(items: Sequence[tuple[Any, Any]], ignore: bool) -> str:
    negate = False
    out: list[str] = []
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            out.append(byte_escape(av))
            other = other_case(av) if ignore else None
            if other is not None:
                out.append(byte_escape(other))
        elif op is C.RANGE:
            lo, hi = av
            out.append(f"{byte_escape(lo)}-{byte_escape(hi)}")
            if ignore:
                for first, last, shift in ((65, 90, 32), (97, 122, -32)):
                    a, b = max(lo, first), min(hi, last)
                    if a <= b:
                        out.append(f"{byte_escape(a + shift)}-{byte_escape(b + shift)}")
        elif op is C.CATEGORY and av in _CATEGORY_CLASS:
            out.append(_CATEGORY_CLASS[av])
        else:
            raise Unsupported(f"character class item {op}")
    return "[" + ("^" if negate else "") + "".join(out) + "]"


def _emit(seq: Sequence[tuple[Any, Any]], flags: int) -> str:
    """Condition source of a parsed sequence, with every lookaround and anchor dropped."""
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    parts: list[str] = []
    for op, av in seq:
        if op is C.LITERAL:
            other = other_case(av) if ignore else None
            parts.append(byte_escape(av) if other is None else f"[{byte_escape(av)}{byte_escape(other)}]")
        elif op is C.NOT_LITERAL:
            parts.append(f"[^{byte_escape(av)}]")
        elif op is C.ANY:
            parts.append("[\\x00-\\xff]" if flags & C.SRE_FLAG_DOTALL else "[^\\n]")
        elif op is C.IN:
            parts.append(_class(av, ignore))
        elif op is C.CATEGORY:
            parts.append(_class([(op, av)], ignore))
        elif op is C.BRANCH:
            parts.append("(?:" + "|".join(_emit(alt, flags) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            _group, add, delete, sub = av
            parts.append("(?:" + _emit(sub, (flags | add) & ~delete) + ")")
        elif op is C.ATOMIC_GROUP:
            parts.append("(?:" + _emit(av, flags) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, sub = av
            upper = "" if hi is C.MAXREPEAT or hi >= BIG else str(hi)
            parts.append(f"(?:{_emit(sub, flags)}){{{lo},{upper}}}")
        elif op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            continue
        else:
            raise Unsupported(f"regex construct {op}")
    return "".join(parts)


def _shortest(items: list[tuple[Any, Any]]) -> list[tuple[Any, Any]] | None:
    """A prefix condition of a sequence (None when the sequence can match the empty string)."""
    items = [(op, av) for op, av in items if op not in (C.ASSERT_NOT, C.AT) and not (op is C.ASSERT and av[0] < 0)]
    while items:
        op, av = items[-1]
        # a trailing lookahead: what it needs follows the match, so it is kept as consumed text
        tail = _shortest(list(av[1])) if op is C.ASSERT else _shortest_item(op, av)
        if tail is None:
            items.pop()
            continue
        return items[:-1] + tail
    return None


def _shortest_item(op: Any, av: Any) -> list[tuple[Any, Any]] | None:
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, _hi, sub = av
        if lo == 0:
            return None
        last = _shortest(list(sub))
        if last is None:
            return None
        return ([(C.MAX_REPEAT, (lo - 1, lo - 1, sub))] if lo > 1 else []) + last
    if op is C.SUBPATTERN:
        _group, add, delete, sub = av
        inner = _shortest(list(sub))
        return None if inner is None else [(C.SUBPATTERN, (None, add, delete, inner))]
    if op is C.ATOMIC_GROUP:
        return _shortest(list(av))
    if op is C.BRANCH:
        alts = []
        for alt in av[1]:
            short = _shortest(list(alt))
            if short is None:
                return None
            alts.append(short)
        return [(C.BRANCH, (None, alts))]
    if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
        return None
    return [(op, av)]


def prefix_condition(source: str) -> str:
    """A lookaround-free pattern that matches a non-empty prefix wherever ``source`` matches.

    Raises :class:`Unsupported` when no condition can be built.
    """
    return prefix_condition_of(P.parse(source, re.ASCII))


def prefix_condition_of(parsed: Any) -> str:
    """:func:`prefix_condition` of a pattern already parsed by ``re._parser`` (ASCII flag)."""
    short = _shortest(list(parsed))
    if short is None:
        raise Unsupported("the pattern can match the empty string")
    return _emit(short, parsed.state.flags)
