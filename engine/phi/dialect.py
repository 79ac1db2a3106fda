"""The registry's regex dialect: what both Python's ``re`` and RE2 / Rust's ``regex`` crate accept.

Why: one registry drives every engine. A pattern that only a backtracking engine understands
(lookaround, back-references, possessive or atomic groups) cannot be run by a linear-time engine,
so the registry refuses it at load time. Left and right boundaries and word exclusions are
declared fields instead (see ``registry.yaml``); each engine applies them in its own way.

Checked here, on Python's own parse of each regex (no second grammar):

- no lookahead or lookbehind, no back-reference or conditional, no atomic group or possessive
  repeat, no word boundary (``\\b`` means Unicode words in the ``regex`` crate, ASCII in ``re``);
- ``^`` and ``\\A`` are refused; ``$`` is allowed (it is only used before "or end of text", where
  the engines agree);
- repeat bounds at most 1000 (RE2's limit).

When the ``re2`` module (google-re2) is installed, each regex must also compile there.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

MAX_REPEAT = 1000

_REFUSED = {
    C.ASSERT: "a lookaround",
    C.ASSERT_NOT: "a lookaround",
    C.GROUPREF: "a back-reference",
    C.GROUPREF_EXISTS: "a conditional group",
    C.ATOMIC_GROUP: "an atomic group",
    C.POSSESSIVE_REPEAT: "a possessive repeat",
}


def _walk(seq: Any) -> str | None:
    for op, av in seq:
        if op in _REFUSED:
            return _REFUSED[op]
        if op is C.AT:
            if av is C.AT_END:
                continue
            return "an anchor or word boundary (declare a boundary instead)"
        if op is C.BRANCH:
            for alt in av[1]:
                problem = _walk(alt)
                if problem:
                    return problem
        elif op is C.SUBPATTERN:
            problem = _walk(av[3])
            if problem:
                return problem
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            if lo > MAX_REPEAT or (hi is not C.MAXREPEAT and hi > MAX_REPEAT):
                return f"a repeat bound over {MAX_REPEAT}"
            problem = _walk(sub)
            if problem:
                return problem
    return None


def dialect_problem(source: str) -> str | None:
    """Why ``source`` is outside the shared dialect (None: it is inside)."""
    try:
        parsed = P.parse(source, re.ASCII)
    except re.error as exc:
        return f"does not compile ({exc.msg} at position {exc.pos})"
    problem = _walk(parsed)
    if problem:
        return f"uses {problem}, which RE2 and the regex crate do not have"
    return _re2_problem(source)


def _re2_problem(source: str) -> str | None:
    try:
        import re2
    except ImportError:
        return None
    try:
        re2.compile(source)
    except Exception as exc:
        return f"does not compile under RE2 ({type(exc).__name__})"
    return None


def is_class(source: str) -> bool:
    """True when ``source`` is exactly one character class or literal (one character wide)."""
    try:
        parsed = list(P.parse(source, re.ASCII))
    except re.error:
        return False
    return len(parsed) == 1 and parsed[0][0] in (C.IN, C.LITERAL)


def short_alternatives(source: str) -> bool:
    """True when ``source`` is an alternation of one- or two-character class sequences.

    That shape has a computable complement, so an engine without lookahead can still apply the
    right boundary exactly (consume one or two more characters that are *not* the boundary).
    """
    try:
        parsed = list(P.parse(source, re.ASCII))
    except re.error:
        return False
    alts: list[Any] = [parsed]
    if len(parsed) == 1 and parsed[0][0] is C.BRANCH:
        alts = list(parsed[0][1][1])
    elif len(parsed) == 1 and parsed[0][0] is C.IN:
        return True
    return all(1 <= len(alt) <= 2 and all(op in (C.IN, C.LITERAL) for op, _ in alt) for alt in alts)
