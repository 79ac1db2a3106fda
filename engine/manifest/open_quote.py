"""Where a YAML string left open really starts.

Why: the YAML parser reports an open quote where it gives up — the end of the file, or the line
where the next quote closes the string and the text after it makes no sense — while the mistake
is on the line where the string opens. These helpers find that line from the parser's error and
the file's tokens, so the diagnostic points at it.
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


def open_string_start(text: str, exc: Any) -> tuple[int, int, int] | None:
    """``(line, col, error_line)`` (1-based) of the quoted string an error comes from, else ``None``.

    Two shapes: the file ends inside a quoted string (the scanner's own context mark is its
    start), or a quoted string spans lines and the parse fails on the line where it closes.
    """
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark
    if "quoted scalar" in context and "end of stream" in problem and exc.context_mark is not None:
        start = exc.context_mark
        return start.line + 1, start.column + 1, (mark.line + 1 if mark is not None else start.line + 1)
    if mark is None:
        return None
    token = _last_multiline_string(text, mark)
    if token is None or token.end_mark.line != mark.line:
        return None
    return token.start_mark.line + 1, token.start_mark.column + 1, mark.line + 1


def _last_multiline_string(text: str, mark: Any) -> Any:
    """The last quoted scalar token that spans lines and ends at or before ``mark``."""

    found = None
    try:
        for token in YAML(typ="rt").scan(text):
            if token.start_mark.index > mark.index:
                break
            if (type(token).__name__ == "ScalarToken" and token.style in ("'", '"')
                    and token.end_mark.line > token.start_mark.line and token.end_mark.index <= mark.index):
                found = token
    except (YAMLError, RecursionError):
        pass  # the scan stops where the text stops being YAML; what it saw before still counts
    return found
