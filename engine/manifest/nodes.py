"""From composed YAML nodes to plain data: positions, key and value checks, bounded in work.

:mod:`engine.manifest.loader` reads and composes a manifest; :class:`NodeWalker` walks the node tree
once, recording each value's position in the document's :class:`~engine.manifest.positions.SourceMap`
and refusing what no later phase may see (non-text keys, duplicate keys, values no step can use
safely: :func:`unsafe_value`). Problems are diagnostics; :class:`LoadError` stops loading at one.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from engine.manifest.diagnostics import Diagnostic
from engine.manifest.positions import Span
from engine.manifest.schema import show

if TYPE_CHECKING:
    from engine.manifest.loader import LoadedDocument

MAX_NODES = 50_000
"""Nodes visited while expanding aliases; bounds the work an alias-heavy file can cause."""
MAX_INT = 2**53
"""Largest integer magnitude a manifest may hold: exact as a JSON number, and ample for any size."""

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class LoadError(Exception):
    """Internal: stops loading with one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def diag(name: str, line: int, col: int, code: str, message: str, hint: str = "", **kw: Any) -> Diagnostic:
    """A loader diagnostic of file ``name`` at ``line``:``col``."""
    return Diagnostic(file=name, line=line, col=col, code=code, message=message, hint=hint, **kw)


def _span(node: Any) -> Span:
    s, e = node.start_mark, node.end_mark or node.start_mark
    return Span(s.line, s.column, e.line, e.column)


def _style(node: Any) -> str | None:
    if isinstance(node, MappingNode):
        return "map"
    if isinstance(node, SequenceNode):
        return "seq"
    return node.style or None


class NodeWalker:
    """One pass over the composed nodes: positions, key checks, and plain data, bounded in work."""

    def __init__(self, loaded: LoadedDocument, constructor: Any, max_nodes: int = MAX_NODES) -> None:
        self.loaded = loaded
        self.constructor = constructor
        self.count = 0
        self.max_nodes = max_nodes

    def walk(self, node: Any, path: tuple[str | int, ...], key: Any) -> Any:
        loaded = self.loaded
        self.count += 1
        if self.count > self.max_nodes:
            raise LoadError(diag(loaded.name, node.start_mark.line + 1, node.start_mark.column + 1, "RF107",
                                  "aliases expand to too many nodes", "write the values out instead of aliasing"))
        span = _span(node)
        if key is not None and isinstance(node, ScalarNode) and node.value == "" and not node.style:
            # An empty value (implicit null) has no text of its own: point just after the key's colon.
            k = key.end_mark
            span = Span(k.line, k.column + 1, k.line, k.column + 1)
        loaded.source_map.add(path, span, None if key is None else _span(key), _style(node))
        if isinstance(node, SequenceNode):
            return [self.walk(item, (*path, index), None) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        return self.scalar(node)

    def mapping(self, node: Any, path: tuple[str | int, ...]) -> dict[str, Any]:
        loaded = self.loaded
        out: dict[str, Any] = {}
        seen: dict[str, Any] = {}
        merged: list[tuple[Any, Any]] = []
        for knode, vnode in node.value:
            if str(knode.tag) == _MERGE:
                sources = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
                merged.extend(pair for src in sources if isinstance(src, MappingNode) for pair in src.value)
                continue
            if str(knode.tag) != _STR or not isinstance(knode.value, str):
                loaded.diagnostics.append(
                    diag(loaded.name, knode.start_mark.line + 1, knode.start_mark.column + 1, "RF108",
                          "mapping keys must be text",
                          "quote the key (e.g. '1': or 'true':) or rename it", path=path)
                )
                continue
            key_problem = unsafe_value(knode.value)
            if key_problem is not None:
                self.problem(knode, *key_problem)
                continue
            if knode.value in seen:
                first = seen[knode.value]
                loaded.diagnostics.append(
                    diag(loaded.name, knode.start_mark.line + 1, knode.start_mark.column + 1, "RF106",
                          f"duplicate key {_short(knode.value)}",
                          f"the key is already defined on line {first.start_mark.line + 1}; keep only one",
                          path=(*path, knode.value),
                          end_line=knode.end_mark.line + 1, end_col=knode.end_mark.column + 1)
                )
                continue
            seen[knode.value] = knode
            out[knode.value] = self.walk(vnode, (*path, knode.value), knode)
        for knode, vnode in merged:  # explicit keys win over merged ones, as in YAML merge semantics
            if isinstance(knode.value, str) and knode.value not in seen:
                seen[knode.value] = knode
                out[knode.value] = self.walk(vnode, (*path, knode.value), knode)
        return out

    def scalar(self, node: Any) -> Any:
        build = self.constructor.yaml_constructors.get(str(node.tag))
        if build is None:  # an explicit tag, already reported as RF111
            return None
        try:
            value = build(self.constructor, node)
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            if str(node.tag).endswith(":timestamp"):
                self.problem(node, "RF104", "invalid date: the day does not exist in that month or year",
                             "write an existing date as YYYY-MM-DD, or quote the value if it is text")
            else:
                self.problem(node, "RF104", f"invalid YAML value ({type(exc).__name__})",
                             "quote the value if it is meant as text")
            return None
        problem = unsafe_value(value)
        if problem is not None:
            self.problem(node, *problem)
            return None
        return value

    def problem(self, node: Any, code: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.loaded.diagnostics.append(diag(self.loaded.name, mark.line + 1, mark.column + 1, code, message, hint))


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unsafe_value(value: Any) -> tuple[str, str, str] | None:
    """``(code, message, hint)`` for a value no step can use safely, else None.

    Why here: every later phase (schema, run, report, terminal) may assume finite numbers of JSON
    size and text that encodes as UTF-8 and prints as itself. YAML can write ``.nan``, ``1e400``
    (infinity), 400-digit integers, and, in double quotes, control characters and lone
    surrogates; all of them validated clean and then crashed a run or the terminal.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return ("RF113", "number is not finite (.nan, .inf, or too large for a float)",
                "write a finite number such as 900 or 0.5")
    if isinstance(value, int) and abs(value) > MAX_INT:
        return ("RF113", f"integer is out of range (more than {MAX_INT} in magnitude)",
                "write a smaller number; sizes can be written like '2GiB'")
    if isinstance(value, str):
        bad = _CONTROL.search(value)
        if bad is not None:
            what = "a lone surrogate (not valid Unicode)" if bad.group() >= "\ud800" else "a control character"
            return ("RF114", f"text holds {what} at character {bad.start() + 1}",
                    "remove it: manifest text must be printable (tabs and line breaks are fine)")
    return None


def _short(value: str) -> str:
    """A key for a message: shown only when it is a short identifier (values may hold PHI)."""

    return show(value)
