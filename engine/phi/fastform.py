"""Rewrite a tier's combined alternation so that Python's ``re`` can skip most positions in C.

A plain ``(?P<p0>...)|(?P<p1>...)`` makes ``re`` try every alternative (each starting with a
lookbehind) at every position: about 1 MB/s on dense data. The fast form is

    [U](?<![A-Za-z0-9][\\s\\S])(?<=(?:[F0](?<=(?=(?P<p0>...))[\\s\\S])|[F1](?<=...)...))

- ``[U]`` (the union of the characters any pattern can start with) gives ``re`` a charset prefix,
  so it jumps between candidate characters in C;
- the 2-character lookbehind drops positions inside an alphanumeric run (every registry pattern
  has a left boundary that excludes them - checked at load);
- each alternative starts with its own first-character class ``[Fi]``, which ``re`` checks before
  entering it, and then runs the original pattern unchanged inside a lookahead.

The match itself is one character; spans come from the named groups. Semantics (leftmost
position, then first alternative in registry order) are exactly those of the plain form.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from typing import Any

from engine.phi.native_lazy import parse_ascii

_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_LEFT_BOUNDARY = re.compile(r"\(\?<!(\[(?:\\.|[^\]\\])+\])\)")


def _case(chars: set[int], ignore: bool) -> set[int]:
    if not ignore:
        return chars
    out = set(chars)
    for c in chars:
        if 65 <= c <= 90 or 97 <= c <= 122:
            out.add(c ^ 0x20)
    return out


def _first_item(op: Any, av: Any, flags: int) -> tuple[set[int] | None, bool]:
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    if op is C.LITERAL:
        return _case({av}, ignore), False
    if op is C.IN:
        chars: set[int] = set()
        for iop, iav in av:
            if iop is C.LITERAL:
                chars.add(iav)
            elif iop is C.RANGE:
                chars.update(range(iav[0], iav[1] + 1))
            else:  # NEGATE, CATEGORY...: not a small known set
                return None, False
        return _case(chars, ignore), False
    if op is C.BRANCH:
        union: set[int] = set()
        nullable = False
        for alt in av[1]:
            f, n = first_set(alt, flags)
            if f is None:
                return None, False
            union |= f
            nullable = nullable or n
        return union, nullable
    if op is C.SUBPATTERN:
        _group, add, delete, sub = av
        return first_set(sub, (flags | add) & ~delete)
    if op is C.ATOMIC_GROUP:
        return first_set(av, flags)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, _hi, sub = av
        f, n = first_set(sub, flags)
        return f, n or lo == 0
    return None, False


def first_set(seq: Any, flags: int = 0) -> tuple[set[int] | None, bool]:
    """The characters a parsed (sub)pattern can start with (None: unknown) and whether it can be empty."""
    result: set[int] = set()
    for op, av in seq:
        if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            continue  # zero-width: does not consume the first character
        f, nullable = _first_item(op, av, flags)
        if f is None:
            return None, False
        result |= f
        if not nullable:
            return result, False
    return result, True


def first_chars(source: str) -> set[int] | None:
    """First characters of a regex source (ASCII flag), or None when they cannot be bounded."""
    parsed = parse_ascii(source)
    chars, nullable = first_set(parsed, parsed.state.flags)
    if chars is None or nullable or any(c > 127 for c in chars):
        return None
    return chars


def left_boundary(source: str) -> str | None:
    """The character class of the pattern's leading ``(?<![...])``, or None when it has none."""
    m = _LEFT_BOUNDARY.match(source)
    return m.group(1) if m else None


def class_covers_alnum(boundary: str) -> bool:
    """True when the character class ``boundary`` holds every ASCII letter and digit."""
    cls = re.compile(boundary, re.ASCII)
    return all(cls.match(chr(c)) for c in _ALNUM)


def left_boundary_covers_alnum(source: str) -> bool:
    """True when the pattern starts with ``(?<![...])`` whose class holds every ASCII letter and digit."""
    boundary = left_boundary(source)
    return boundary is not None and class_covers_alnum(boundary)


def char_class(chars: set[int]) -> str:
    """A regex character class matching exactly ``chars`` (ASCII), as ranges ``re`` checks in one step."""
    out: list[str] = []
    ordered = sorted(chars)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(f"\\x{ordered[i]:02x}" + (f"-\\x{ordered[j]:02x}" if j > i else ""))
        i = j + 1
    return "[" + "".join(out) + "]"


def fast_form(sources: list[str]) -> str | None:
    """The fast combined form of ``sources`` (group names p{i}/p{i}v kept), or None if not applicable."""
    firsts: list[set[int]] = []
    for src in sources:
        chars = first_chars(src)
        if chars is None or not left_boundary_covers_alnum(src):
            return None
        firsts.append(chars)
    union: set[int] = set().union(*firsts)
    alts = [
        f"{char_class(f)}(?<=(?=(?P<p{i}>{src.replace('(?P<value>', f'(?P<p{i}v>')}))[\\s\\S])"
        for i, (src, f) in enumerate(zip(sources, firsts, strict=True))
    ]
    return f"{char_class(union)}(?<![A-Za-z0-9][\\s\\S])(?<=(?:" + "|".join(alts) + "))"


_IGNORECASE_WORDS = re.compile(r"\(\?i:([a-z' /#]+(?:\|[a-z' /#]+)*)\)")


def _word(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in word)


def case_trie(words: list[str]) -> str:
    """``(?i:w1|w2|...)`` spelled with explicit case classes, grouped by first letter.

    ``re`` can reject an alternative that starts with a class without entering it, but not one
    that starts with a case-insensitive literal. Order within a first letter is kept, and words
    with different first letters cannot match at the same place, so the semantics are unchanged.
    """
    groups: dict[str, list[str]] = {}
    for w in words:
        groups.setdefault(w[:1].lower(), []).append(w.lower())
    parts = []
    for first, ws in groups.items():
        head = _word(first)
        tails = [_word(w[1:]) for w in ws]
        parts.append(head + ("(?:" + "|".join(tails) + ")" if len(tails) > 1 or tails[0] else ""))
    return "(?:" + "|".join(parts) + ")"


def expand_ignorecase_words(source: str) -> str:
    """Rewrite every ``(?i:word|word...)`` group of plain lowercase words with :func:`case_trie`."""
    return _IGNORECASE_WORDS.sub(lambda m: case_trie(m.group(1).split("|")), source)
