"""A user pattern (RE2 syntax) spelled for Rust's ``regex`` crate, where both provably match alike.

Why: the data plane evaluates a column's pattern in Polars, whose ``str.contains`` runs Rust's
``regex`` (linear time, like RE2) over every cell without a Python call per distinct value. The two
dialects share most of their syntax but not all of its meaning: in Rust ``\\d``, ``\\w``, ``\\s`` and
``\\b`` are Unicode-aware (in RE2 ASCII), ``\\<`` is a word boundary, ``&&``/``--``/``~~`` inside a
class are set operations, and some escapes and flags differ. So the translation accepts only a
small, fully understood subset and spells every part of it explicitly:

- literals: ASCII letters and digits as they are, every other character as ``\\x{HEX}``;
- ``\\d \\D \\w \\W \\s \\S`` as their ASCII classes (RE2's ``\\s`` is ``[\\t\\n\\f\\r ]``, no ``\\v``),
  ``\\n \\t \\r \\f \\v`` and escaped punctuation as literals, ``.`` as ``[^\\n]``;
- classes of literals and ranges (negated or not, ``\\d \\w \\s`` inside);
- groups (capturing, named or ``(?:``), alternation, ``* + ?`` (greedy or lazy) and
  ``{n}``/``{n,}``/``{n,m}`` repetitions; ``^``/``\\A`` and ``$``/``\\z`` as text anchors.

Anything else (flags, ``\\b``, ``\\p{..}``, ``\\x..``, octal, ``\\Q..\\E``, POSIX classes, a second
quantifier in a row, a brace that is not a repetition) gives None, and the caller keeps RE2. The
differential tests (tests/dataplane/test_pattern_twin.py) compare both engines on generated patterns
and values, Unicode included.
"""

from __future__ import annotations

import functools
import re

_REPEAT = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": r"\x{9}\x{A}\x{C}\x{D}\x{20}"}
_CONTROL = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}
_QUANTIFIERS = "*+?"
_SINGLE = {"|": ("|", False), "^": ("\\A", False), "$": ("\\z", False), ".": ("[^\\x{A}]", True)}
"""One-character operators outside a class: their Rust spelling, and whether a quantifier may follow."""


class _Unsupported(Exception):
    pass


def _literal(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):X}}}"


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, bool, int]:
    """The escape at ``pattern[i]`` (the backslash): ``(spelling, is_literal, next index)``."""
    if i + 1 >= len(pattern):
        raise _Unsupported
    ch = pattern[i + 1]
    if ch in _CONTROL:
        return _literal(_CONTROL[ch]), True, i + 2
    if ch.lower() in _CLASSES:
        if ch.islower():
            body = _CLASSES[ch]
            return (body if in_class else f"[{body}]"), False, i + 2
        if in_class:
            raise _Unsupported
        return f"[^{_CLASSES[ch.lower()]}]", False, i + 2
    if not in_class and ch in "Az":
        return "\\" + ch, False, i + 2
    if ch.isascii() and not ch.isalnum() and ch.isprintable() and ch != " ":
        return _literal(ch), True, i + 2
    raise _Unsupported


def _class(pattern: str, i: int) -> tuple[str, int]:
    """The class opening at ``pattern[i]`` (``[``): ``(spelling, index after its ``]``)``."""
    i += 1
    negate = pattern.startswith("^", i)
    if negate:
        i += 1
    items: list[str] = []
    first = True
    while True:
        if i >= len(pattern):
            raise _Unsupported
        ch = pattern[i]
        if ch == "]" and not first:
            break
        if ch == "[":
            raise _Unsupported  # POSIX classes, and Rust's nested classes
        if ch == "\\":
            low, literal, i = _escape(pattern, i, in_class=True)
        else:
            low, literal, i = _literal(ch), True, i + 1
        first = False
        if not literal and pattern.startswith("-", i) and i + 1 < len(pattern) and pattern[i + 1] != "]":
            raise _Unsupported  # a range from a class escape
        if literal and pattern.startswith("-", i) and i + 1 < len(pattern) and pattern[i + 1] != "]":
            i += 1
            if pattern[i] == "\\":
                high, high_literal, i = _escape(pattern, i, in_class=True)
                if not high_literal:
                    raise _Unsupported
            elif pattern[i] == "[":
                raise _Unsupported
            else:
                high, i = _literal(pattern[i]), i + 1
            items.append(f"{low}-{high}")
        else:
            items.append(low)
    return ("[^" if negate else "[") + "".join(items) + "]", i + 1


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    quantifiable = False  # the last item can take a quantifier (an atom, not an anchor or another quantifier)
    depth = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in _QUANTIFIERS or ch == "{":
            if ch == "{":
                m = _REPEAT.match(pattern, i)
                if m is None:
                    raise _Unsupported  # RE2 reads such a brace as a literal; keep RE2
                low, comma, high = m.group(1), m.group(2), m.group(3)
                spelled = "{" + str(int(low)) + ("," + (str(int(high)) if high else "") if comma else "") + "}"
                i = m.end()
            else:
                spelled, i = ch, i + 1
            if not quantifiable:
                raise _Unsupported
            if pattern.startswith("?", i):
                spelled, i = spelled + "?", i + 1
            out.append(spelled)
            quantifiable = False
            continue
        if ch == "\\":
            spelled, _, i = _escape(pattern, i, in_class=False)
            out.append(spelled)
            quantifiable = spelled not in ("\\A", "\\z")
        elif ch == "[":
            spelled, i = _class(pattern, i)
            out.append(spelled)
            quantifiable = True
        elif ch == "(":
            if pattern.startswith("(?:", i):
                i += 3
            elif pattern.startswith("(?P<", i) or (pattern.startswith("(?<", i) and not pattern.startswith("(?<=", i)
                                                    and not pattern.startswith("(?<!", i)):
                end = pattern.find(">", i)
                if end < 0:
                    raise _Unsupported
                i = end + 1
            elif pattern.startswith("(?", i):
                raise _Unsupported  # flags
            else:
                i += 1
            out.append("(?:")
            depth += 1
            quantifiable = False
        elif ch == ")":
            if not depth:
                raise _Unsupported
            depth -= 1
            out.append(")")
            i += 1
            quantifiable = True
        else:  # one character: an operator of _SINGLE, else a literal (a lone ``]`` or ``}`` too)
            spelled, quantifiable = _SINGLE.get(ch) or (_literal(ch), True)
            out.append(spelled)
            i += 1
    if depth:
        raise _Unsupported
    return "".join(out)


@functools.lru_cache(maxsize=512)
def rust_fullmatch(pattern: str) -> str | None:
    """The Rust ``regex`` pattern that matches a whole text exactly when RE2 full-matches ``pattern``; or None.

    ``pattern`` is one :func:`engine.core.userpattern.compile_pattern` accepted.
    """
    try:
        body = _translate(pattern)
    except _Unsupported:
        return None
    return "\\A(?:" + body + ")\\z"
