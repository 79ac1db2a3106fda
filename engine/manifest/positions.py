"""Source map: document path -> where its key and value are in the file.

Why a separate map rather than ruamel's ``.lc``: ``.lc`` gives only start positions, and plain
scalars carry none; the composer's nodes have start *and* end marks for every node, so the loader
records them here once, keyed by path (``("steps", 2, "config", "max_bytes")``). Everything is
0-based inside; :meth:`SourceMap.locate` returns 1-based positions for printing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

Path = tuple[str | int, ...]


class Span(NamedTuple):
    """0-based start and end (end is exclusive: the character after the node)."""

    line: int
    col: int
    end_line: int
    end_col: int


class NodeInfo(NamedTuple):
    value: Span
    key: Span | None
    """The key's span for a mapping entry; None for the root and list items."""
    style: str | None
    """Scalar style: None (plain), ``'"'``, ``"'"``, ``"|"``, ``">"``; ``"map"``/``"seq"`` for collections."""


class Position(NamedTuple):
    """1-based position for diagnostics (0 means unknown)."""

    line: int
    col: int
    end_line: int = 0
    end_col: int = 0


class SourceMap:
    """Positions of every node of one loaded document, addressed by path."""

    def __init__(self, lines: Sequence[str] = ()) -> None:
        self.nodes: dict[Path, NodeInfo] = {}
        self.lines = list(lines)

    def add(self, path: Path, value: Span, key: Span | None, style: str | None) -> None:
        # An alias may reach the same path twice (merge keys): the first recording wins.
        self.nodes.setdefault(path, NodeInfo(value, key, style))

    def __contains__(self, path: object) -> bool:
        return path in self.nodes

    def get(self, path: Path) -> NodeInfo | None:
        return self.nodes.get(tuple(path))

    def nearest(self, path: Path) -> tuple[Path, NodeInfo | None]:
        """The node at ``path`` or its closest recorded ancestor."""
        path = tuple(path)
        while path and path not in self.nodes:
            path = path[:-1]
        return path, self.nodes.get(path)

    def locate(self, path: Path, *, at: str = "value") -> Position:
        """1-based position of the value (``at="value"``) or key (``at="key"``) at ``path``.

        Falls back to the nearest ancestor's value when ``path`` is not in the document (e.g. a
        missing key is reported at the mapping that lacks it).
        """
        found, info = self.nearest(path)
        if info is None:
            return Position(1, 1)
        span = info.key if (at == "key" and info.key is not None and found == tuple(path)) else info.value
        return Position(span.line + 1, span.col + 1, span.end_line + 1, span.end_col + 1)

    def source_text(self, path: Path, limit: int = 40) -> str | None:
        """The exact source text of a single-line scalar (for hints), if short enough."""
        info = self.get(path)
        if info is None or info.style in ("map", "seq"):
            return None
        span = info.value
        if span.line != span.end_line or span.line >= len(self.lines):
            return None
        text = self.lines[span.line][span.col : span.end_col]
        return text if len(text) <= limit else None

    def offset_position(self, path: Path, offset: int) -> Position:
        """1-based position of character ``offset`` inside the string value at ``path``.

        Exact for plain and quoted single-line scalars without escapes, and for literal block
        scalars; otherwise the scalar's start.
        """
        info = self.get(path)
        if info is None:
            return self.locate(path)
        span = info.value
        start = Position(span.line + 1, span.col + 1)
        if info.style in (None, "'", '"') and span.line == span.end_line and span.line < len(self.lines):
            raw = self.lines[span.line][span.col : span.end_col]
            quoted = info.style is not None
            if quoted and (("\\" in raw and info.style == '"') or ("''" in raw and info.style == "'")):
                return start
            col = span.col + (1 if quoted else 0) + offset
            return Position(span.line + 1, col + 1)
        if info.style == "|":
            return self._literal_position(span, offset) or start
        return start

    def _literal_position(self, span: Span, offset: int) -> Position | None:
        # Content starts on the line after the indicator; indentation = first content line's.
        first = span.line + 1
        if first >= len(self.lines):
            return None
        content = self.lines[first]
        indent = len(content) - len(content.lstrip(" "))
        remaining = offset
        for number in range(first, min(span.end_line + 1, len(self.lines))):
            body = self.lines[number][indent:]
            if remaining <= len(body):
                return Position(number + 1, indent + remaining + 1)
            remaining -= len(body) + 1
        return None
