"""The native core's regex dialect, written from Python's own parse of a pattern (``re._parser``).

Exact translations of lookaround-free parsed sequences for the ``regex`` engine (bytes mode, no
Unicode): character classes as byte ranges, ASCII case folding spelt out, and the complement of
a declared right boundary, consumed after a match instead of looked ahead at. Used by
:mod:`engine.phi.native_match` (the registry's patterns) and :mod:`engine.phi.native_labels`
(the parts of a labelled pattern).
"""

from __future__ import annotations

from collections.abc import Sequence
from re import _constants as C  # type: ignore[attr-defined]
from typing import Any

from engine.phi.prefilter import Unsupported, byte_escape, other_case

ALL = frozenset(range(256))


def class_set(items: Sequence[tuple[Any, Any]], ignore: bool) -> frozenset[int]:
    """The bytes a parsed character class (``IN`` items) matches."""
    negate = False
    out: set[int] = set()
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            out.add(av)
        elif op is C.RANGE:
            out.update(range(av[0], av[1] + 1))
        else:
            raise Unsupported(f"character class item {op}")
    if ignore:
        out |= {s for c in out if (s := other_case(c)) is not None}
    return ALL - out if negate else frozenset(out)


def set_source(chars: frozenset[int]) -> str:
    """A byte class matching exactly ``chars`` (non-empty), as ranges."""
    ordered = sorted(chars)
    out: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(byte_escape(ordered[i]) + (f"-{byte_escape(ordered[j])}" if j > i else ""))
        i = j + 1
    return "[" + "".join(out) + "]"


def item_set(op: Any, av: Any, ignore: bool) -> frozenset[int]:
    if op is C.LITERAL:
        other = other_case(av) if ignore else None
        return frozenset({av} if other is None else {av, other})
    if op is C.NOT_LITERAL:
        other = other_case(av) if ignore else None
        return ALL - ({av} if other is None else {av, other})
    if op is C.IN:
        return class_set(av, ignore)
    raise Unsupported(f"regex construct {op} in a boundary")


def emit(seq: Sequence[tuple[Any, Any]], flags: int, names: dict[int, str], dollar: str | None = None) -> str:
    """Exact ``regex``-crate source of a lookaround-free parsed sequence (capture groups kept).

    ``dollar``: how to spell ``$`` (only where the caller knows it closes the pattern).
    """
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    parts: list[str] = []
    for op, av in seq:
        if op is C.AT and av is C.AT_END and dollar is not None:
            parts.append(dollar)
        elif op in (C.LITERAL, C.NOT_LITERAL, C.IN):
            chars = item_set(op, av, ignore)
            parts.append(set_source(chars) if len(chars) != 1 else byte_escape(next(iter(chars))))
        elif op is C.ANY:
            parts.append("[\\x00-\\xff]" if flags & C.SRE_FLAG_DOTALL else "[^\\n]")
        elif op is C.BRANCH:
            parts.append("(?:" + "|".join(emit(alt, flags, names, dollar) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            group, add, delete, sub = av
            inner = emit(sub, (flags | add) & ~delete, names, dollar)
            if group is None:
                parts.append(f"(?:{inner})")
            elif group in names:
                parts.append(f"(?P<{names[group]}>{inner})")
            else:
                raise Unsupported("an unnamed capturing group")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            upper = "" if hi is C.MAXREPEAT else str(hi)
            lazy = "?" if op is C.MIN_REPEAT else ""
            parts.append(f"(?:{emit(sub, flags, names, dollar)}){{{lo},{upper}}}{lazy}")
        else:
            raise Unsupported(f"regex construct {op}")
    return "".join(parts)


def complement(alts: list[list[frozenset[int]]]) -> str:
    """What may follow a match so that none of ``alts`` (1-2 byte-class sequences) starts there."""
    single: frozenset[int] = frozenset().union(*(a[0] for a in alts if len(a) == 1))
    by_follow: dict[frozenset[int], set[int]] = {}
    for x in ALL - single:
        follow = frozenset().union(*(a[1] for a in alts if len(a) == 2 and x in a[0]))
        by_follow.setdefault(follow, set()).add(x)
    out = ["\\z"]
    for follow, xs in sorted(by_follow.items(), key=lambda kv: min(kv[1])):
        head = set_source(frozenset(xs))
        if not follow:
            out.append(head)
        elif follow == ALL:
            out.append(head + "\\z")
        else:
            out.append(f"{head}(?:{set_source(ALL - follow)}|\\z)")
    return "(?:" + "|".join(out) + ")"


def boundary_alts(seq: Sequence[tuple[Any, Any]], flags: int) -> list[list[frozenset[int]]]:
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    items = list(seq)
    alts = [list(a) for a in items[0][1][1]] if len(items) == 1 and items[0][0] is C.BRANCH else [items]
    out = []
    for alt in alts:
        if not 1 <= len(alt) <= 2:
            raise Unsupported("a right boundary longer than two characters")
        out.append([item_set(op, av, ignore) for op, av in alt])
    return out


def has_lookaround(seq: Any) -> bool:
    for op, av in seq:
        if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            return True
        if op is C.BRANCH and any(has_lookaround(alt) for alt in av[1]):
            return True
        if op is C.SUBPATTERN and has_lookaround(av[3]):
            return True
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and has_lookaround(av[2]):
            return True
    return False
