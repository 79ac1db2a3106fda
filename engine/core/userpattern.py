"""User regular expressions: one dialect (RE2 syntax) on one linear-time engine (google-re2).

Why not ``re``: Python's backtracking engine takes exponential time on patterns such as
``(a|a?)+$`` and holds the GIL while it does, so neither a step timeout nor Ctrl-C can stop it.
RE2 matches in time linear in the input, whatever the pattern, and bounds the memory a compiled
pattern may use. Every pattern a user writes (validate ``pattern`` rules, dictionary column
patterns) is compiled here and nowhere else, so ``rflow validate`` and a run accept exactly the
same patterns; what RE2 does not support (lookaround, backreferences, possessive quantifiers) is
refused with the column where it starts.

Error messages never quote the pattern: it is user-typed text and may hold PHI.
"""

from __future__ import annotations

import functools
from typing import Any

import attrs

from engine.core.errors import RflowError

MAX_PATTERN_CHARS = 1000
MAX_PATTERN_MEMORY = 8 << 20
"""Bytes RE2 may use for one compiled pattern (its default); bigger programs are refused."""
DIALECT = "RE2"
_HINT = ("user patterns use RE2 syntax (https://github.com/google/re2/wiki/Syntax): no lookaround "
         "(?= (?! (?<= (?<!, no backreferences \\1, no possessive quantifiers; write \\z, not \\Z")
# RE2's error text is "<kind>: <the fragment of the pattern at fault>"; the kind is safe to show.
_KINDS = (
    "invalid perl operator", "invalid escape sequence", "invalid repetition size", "missing )",
    "unexpected )", "missing ]", "invalid character class range", "invalid character class",
    "invalid named capture group", "duplicate capture group name", "bad repetition operator",
    "missing argument to repetition operator", "trailing \\", "invalid UTF-8", "pattern too large",
    "invalid named class", "invalid nested repetition operator", "no argument for repetition operator",
)


class PatternError(RflowError, ValueError):
    """A user pattern outside the RE2 dialect; ``offset`` is the 0-based column where it goes wrong."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"{reason} (at character {offset + 1} of the pattern)")
        self.offset = offset
        self.reason = reason
        self.hint = _HINT


@attrs.frozen
class UserPattern:
    """A compiled user pattern; ``fullmatch``/``search`` run in time linear in the text."""

    source: str = attrs.field(repr=False)
    _compiled: Any = attrs.field(repr=False, eq=False)

    def fullmatch(self, text: str) -> bool:
        return self._compiled.fullmatch(text) is not None

    def search(self, text: str) -> bool:
        return self._compiled.search(text) is not None


def _offset(pattern: str, detail: str) -> int:
    """Where RE2's quoted fragment starts in ``pattern`` (0 when it cannot be placed)."""
    if detail:
        found = pattern.find(detail)
        if found >= 0:
            return found
        found = pattern.find(detail[:3])
        if found >= 0:
            return found
    return 0


def _reason(message: str) -> tuple[str, str]:
    kind, _, detail = message.partition(": ")
    for known in _KINDS:
        if kind.startswith(known):
            return known, detail
    return "not a valid RE2 pattern", detail


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> UserPattern:
    """Compile ``pattern`` (RE2 syntax); raises :class:`PatternError` with the failing column."""
    if not isinstance(pattern, str):
        raise PatternError(0, "a pattern must be text")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(MAX_PATTERN_CHARS, f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    bad = next((i for i, ch in enumerate(pattern) if 0xD800 <= ord(ch) <= 0xDFFF), None)
    if bad is not None:
        raise PatternError(bad, "pattern holds a character that is not valid Unicode (a lone surrogate)")
    # Imported here, not at module level: `rflow validate` imports this module for every manifest,
    # and most manifests have no pattern; the extension module is loaded only when one is checked.
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would otherwise log the pattern text to stderr
    options.max_mem = MAX_PATTERN_MEMORY
    try:
        compiled = re2.compile(pattern, options=options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else b""
        message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        reason, detail = _reason(message)
        raise PatternError(_offset(pattern, detail), reason) from None
    return UserPattern(pattern, compiled)


def check_pattern(pattern: str) -> PatternError | None:
    """The problem with ``pattern``, or None when it is a valid RE2 pattern."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return exc
    return None
