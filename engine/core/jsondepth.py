"""One depth limit for every JSON Lines record rflow reads (``upload``, the stages, ``rflow phi scan``).

Why a limit of its own: Python's decoder fails on deep nesting with ``RecursionError`` at a depth
that depends on how deep the caller's stack already is, so the same record parsed in one place and
failed in another; and code that walks a parsed record recurses too. A record nested deeper than
:data:`MAX_JSON_DEPTH` is refused everywhere alike, before it is parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

MAX_JSON_DEPTH = 200
"""Deepest nesting of lists and objects accepted in one record (clinical exports use a handful)."""

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class JsonTooDeep(ValueError):
    """A record nested deeper than :data:`MAX_JSON_DEPTH`."""


def too_deep(line: str | bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True if ``line`` opens more than ``limit`` lists/objects inside each other (strings skipped)."""
    text = line.decode("latin-1") if isinstance(line, bytes) else line
    if text.count("[") + text.count("{") <= limit:  # the common case, in C
        return False
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m.group(0)
        if token in "[{":
            depth += 1
            if depth > limit:
                return True
        elif token in "]}":
            depth -= 1
    return False


def loads_record(line: str | bytes) -> Any:
    """``json.loads(line)``; :class:`JsonTooDeep` past the depth limit, ``ValueError`` if not JSON."""
    if too_deep(line):
        raise JsonTooDeep(f"nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(line)
    except RecursionError:  # cannot happen under the limit; kept so it can never escape as a crash
        raise JsonTooDeep(f"nested more than {MAX_JSON_DEPTH} levels deep") from None


def load_record(line: str | bytes, where: str, error: Callable[[str], Exception], *, deep: str = "") -> Any:
    """One JSON record, or ``error`` with one line that names ``where`` and never quotes the record.

    The one reading of a JSON Lines record for the scanner and the table reader; ``deep`` words
    the too-deep reason for the caller's message (``"JSON "``: "data row 3 is JSON nested ...").
    """
    try:
        return loads_record(line)
    except JsonTooDeep as exc:
        raise error(f"{where} is {deep}{exc}") from None
    except ValueError:
        raise error(f"{where} is not valid JSON") from None
