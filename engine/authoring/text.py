"""Surgical edits of YAML text, addressed by document path, each verified by reading it back.

Why splice text instead of dumping a ruamel document: a dump re-indents the whole file to the
emitter's settings and moves comments that ruamel attached to a neighbouring node (a comment
above a step belongs, for ruamel, to the previous step's last key). Splicing the source at the
exact node positions the loader records keeps every byte outside the edited node as it was,
whatever the file's layout. Every primitive re-reads its result and checks that the data changed
exactly as intended, so a splice can never silently change something else.

Comment ownership in block collections (what moves or disappears with an item):
* full-line comments directly above an item (no blank line between), indented like the item;
* its end-of-line comments;
* full-line comments directly below it, indented deeper than the item (commented-out options).
Blank lines and other comments between items are separators and stay where they are.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.authoring import render
from engine.authoring.render import Layout
from engine.core.errors import RflowError
from engine.manifest.diagnostics import Diagnostic
from engine.manifest.loader import load_document
from engine.manifest.positions import NodeInfo

DocPath = tuple[str | int, ...]
_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029]")
_EOL_COMMENT = re.compile(r"^( +)(#.*)$")


class SpliceError(RflowError):
    """An edit that cannot be made on this text (with loader diagnostics, if any)."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


def _split_lines(text: str) -> list[str]:
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _is_comment(line: str) -> bool:
    return line.lstrip(" ").startswith("#")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _literal_ok(value: Any) -> bool:
    return (isinstance(value, str) and "\n" in value.rstrip("\n") and not value.endswith("\n\n")
            and not value.startswith((" ", "\n")) and all(render.yaml_printable(c) for c in value)
            and all(line == line.rstrip() for line in value.split("\n")))


def plain_copy(value: Any) -> Any:
    """Deep copy with tuples as lists and mappings as dicts (the shape the loader returns)."""
    if isinstance(value, Mapping):
        return {str(k): plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_copy(v) for v in value]
    return copy.copy(value)


def same(a: Any, b: Any) -> bool:
    """Deep equality that also compares key order and scalar types (1, 1.0 and true differ)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def get_in(data: Any, path: DocPath) -> Any:
    for part in path:
        data = data[part]
    return data


class TextDoc:
    """One state of a document: its text, plain data, node positions, and edit primitives."""

    def __init__(self, text: str, name: str = "<string>", layout: Layout | None = None) -> None:
        if _ODD_BREAKS.search(text.replace("\r\n", "\n")):
            raise SpliceError("the file uses line breaks other than \\n or \\r\\n; normalize them first")
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.name = name
        unix = text.replace("\r\n", "\n")
        loaded = load_document(unix.encode("utf-8"), name=name)
        if not loaded.ok:
            raise SpliceError("the document is not valid YAML", loaded.diagnostics)
        self.text = text
        self.data = loaded.data
        self.smap = loaded.source_map
        self.lines = _split_lines(text)
        self.layout = layout or self._detect_layout()

    # -- reading ---------------------------------------------------------------------------------
    def _detect_layout(self) -> Layout:
        map_indent, seq_offset = 2, 2
        for path, info in self.smap.nodes.items():
            if (info.style == "map" and len(path) == 1 and info.key is not None and not self.is_flow(path)
                    and info.value.line > info.key.line):
                map_indent = max(1, info.value.col - info.key.col)
                break
        for path, info in self.smap.nodes.items():
            if info.style == "seq" and info.key is not None and not self.is_flow(path) and self.get(path):
                dash = self.start((*path, 0))
                seq_offset = max(0, dash[1] - info.key.col)
                break
        return Layout(map_indent, seq_offset, self.newline)

    def node(self, path: DocPath) -> NodeInfo:
        info = self.smap.get(tuple(path))
        if info is None:
            raise SpliceError(f"no node at {'.'.join(map(str, path)) or 'the root'}")
        return info

    def has(self, path: DocPath) -> bool:
        return tuple(path) in self.smap

    def get(self, path: DocPath) -> Any:
        return get_in(self.data, path)

    def children(self, path: DocPath) -> list[str | int]:
        value = self.get(path)
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, list):
            return list(range(len(value)))
        return []

    def char(self, line: int, col: int) -> str:
        text = self.lines[line] if line < len(self.lines) else ""
        return text[col] if col < len(text) else ""

    def is_flow(self, path: DocPath) -> bool:
        info = self.node(path)
        return info.style in ("map", "seq") and self.char(info.value.line, info.value.col) in "[{"

    def is_block(self, path: DocPath) -> bool:
        info = self.node(path)
        return info.style in ("map", "seq") and not self.is_flow(path)

    def content_end(self, path: DocPath) -> tuple[int, int]:
        """(line, col) just after the last character of the node's content (0-based)."""
        info = self.node(path)
        if self.is_block(path):
            kids = self.children(path)
            if kids:
                return self.content_end((*path, kids[-1]))
        span = info.value
        if info.style in ("|", ">"):
            line = span.end_line - (1 if span.end_col == 0 else 0)
            while line > span.line and _is_blank(self.lines[line]):
                line -= 1
            return line, len(self.lines[line].rstrip("\r\n"))
        if span.end_col == 0 and span.end_line > span.line:
            line = span.end_line - 1
            return line, len(self.lines[line].rstrip("\r\n"))
        return span.end_line, span.end_col

    def start(self, path: DocPath) -> tuple[int, int]:
        """Where an entry begins: its key for a mapping entry, its dash for a block-list item."""
        path = tuple(path)
        if not path:
            return 0, 0
        info = self.node(path)
        if info.key is not None:
            return info.key.line, info.key.col
        parent = path[:-1]
        if isinstance(path[-1], int) and not self.is_flow(parent):
            line, col = info.value.line, info.value.col
            while True:
                col -= 1
                while col < 0:
                    line -= 1
                    if line < 0:
                        raise SpliceError("list item without a dash")
                    col = len(self.lines[line].rstrip("\r\n")) - 1
                ch = self.lines[line][col]
                if ch == "-":
                    return line, col
                if ch not in " ":
                    raise SpliceError("list item layout not understood")
        return info.value.line, info.value.col

    def extent(self, path: DocPath) -> tuple[int, int]:
        """First and last line (inclusive) of a block entry with the comments it owns."""
        first, col = self.start(path)
        last = self.content_end(path)[0]
        while first > 0 and _is_comment(self.lines[first - 1]) and _indent(self.lines[first - 1]) == col:
            first -= 1
        while last + 1 < len(self.lines) and _is_comment(self.lines[last + 1]) and _indent(self.lines[last + 1]) > col:
            last += 1
        return first, last

    def offset(self, line: int, col: int) -> int:
        return sum(len(x) for x in self.lines[:line]) + col

    def source(self, path: DocPath) -> str:
        """The exact source text of a node (flow items, keys)."""
        span = self.node(path).value
        return self.text[self.offset(span.line, span.col) : self.offset(span.end_line, span.end_col)]

    def check_local(self, path: DocPath) -> None:
        """Refuse to edit a node that an alias or merge key (``*base``, ``<<: *base``) brings in.

        Such a node is written once, at its anchor, and shared: editing it there would change
        every place that uses the anchor.
        """
        path = tuple(path)
        for depth in range(1, len(path) + 1):
            inner, outer = self.node(path[:depth]).value, self.node(path[: depth - 1]).value
            if (inner.line, inner.col) < (outer.line, outer.col) or (
                    (inner.end_line, inner.end_col) > (outer.end_line, outer.end_col)):
                raise SpliceError("this value comes from a YAML anchor shared by several places; "
                                  "write it out where you want to change it, or edit the anchor by hand")

    # -- verified edits --------------------------------------------------------------------------
    def _result(self, text: str, expected: Any) -> TextDoc:
        try:
            doc = TextDoc(text, self.name, self.layout)
        except SpliceError as exc:
            raise SpliceError("internal: the edit produced text that does not parse; nothing was changed",
                              exc.diagnostics) from None
        if not same(doc.data, expected):
            raise SpliceError("internal: the edit could not be applied exactly; nothing was changed")
        return doc

    def _expect(self, change: Callable[[Any], None]) -> Any:
        data = plain_copy(self.data)
        change(data)
        return data

    def replace(self, path: DocPath, value: Any) -> TextDoc:
        """Set the value of an existing node (its key, comments and quoting style stay)."""
        path = tuple(path)
        if not path:
            raise SpliceError("cannot replace the whole document")
        self.check_local(path)
        value = plain_copy(value)

        def change(data: Any) -> None:
            get_in(data, path[:-1])[path[-1]] = value

        return self._result(self._replace_text(path, value), self._expect(change))

    def _insertion(self, path: DocPath, value: Any, kind: type, not_kind: str) -> tuple[tuple[Any, ...], Any, Any]:
        """What every insertion checks first: a local path to an existing ``kind``; the value as plain data."""
        path = tuple(path)
        self.check_local(path)
        value = plain_copy(value)
        current = self.get(path)
        if not isinstance(current, kind):
            raise SpliceError(not_kind)
        return path, value, current

    def insert_entry(self, path: DocPath, index: int, name: str, value: Any) -> TextDoc:
        """Add ``name: value`` to the mapping at ``path`` so that it becomes entry ``index``."""
        path, value, current = self._insertion(path, value, dict, "not a mapping")
        if name in current:
            raise SpliceError("the key exists already")

        def change(data: Any) -> None:
            target = get_in(data, path)
            items = list(target.items())
            items.insert(index, (name, value))
            target.clear()
            target.update(items)

        if self.is_flow(path):
            parts = [self._pair_text((*path, k)) for k in current]
            parts.insert(index, f"{render.key(name, in_flow=True)}: {render.flow(value, nested=True)}")
            text = self._flow_text(path, parts)
        else:
            kids = self.children(path)
            col = self.start((*path, kids[0]))[1]
            text = self._insert_block(path, index, render.entry(name, value, col, self.layout))
        return self._result(text, self._expect(change))

    def insert_item(self, path: DocPath, index: int, value: Any) -> TextDoc:
        """Insert ``value`` into the list at ``path`` at position ``index``."""
        path, value, current = self._insertion(path, value, list, "not a list")

        def change(data: Any) -> None:
            get_in(data, path).insert(index, value)

        if self.is_flow(path):
            parts = [self.source((*path, i)) for i in range(len(current))]
            parts.insert(index, render.flow(value, nested=True))
            text = self._flow_text(path, parts)
        else:
            dash, offset = self._dash_layout(path)
            text = self._insert_block(path, index, render.item_lines(value, dash, self.layout, offset))
        return self._result(text, self._expect(change))

    def delete(self, path: DocPath) -> TextDoc:
        """Remove a mapping entry or list item, with the comments it owns."""
        path = tuple(path)
        if not path:
            raise SpliceError("cannot delete the whole document")
        self.check_local(path)
        parent, child = path[:-1], path[-1]

        def change(data: Any) -> None:
            del get_in(data, parent)[child]

        kids = self.children(parent)
        if self.is_flow(parent):
            if isinstance(child, int):
                parts = [self.source((*parent, i)) for i in kids if i != child]
            else:
                parts = [self._pair_text((*parent, k)) for k in kids if k != child]
            text = self._flow_text(parent, parts)
        else:
            text = self._delete_block(parent, kids.index(child))
        return self._result(text, self._expect(change))

    def rename(self, path: DocPath, new_key: str) -> TextDoc:
        """Rename a mapping key in place (its value, comments and position stay)."""
        path = tuple(path)
        self.check_local(path)
        info = self.node(path)
        parent, old_key = path[:-1], path[-1]
        if info.key is None or not isinstance(old_key, str):
            raise SpliceError("only mapping keys can be renamed")
        if new_key in self.get(parent):
            raise SpliceError("the new key exists already")

        def change(data: Any) -> None:
            target = get_in(data, parent)
            items = [(new_key if k == old_key else k, v) for k, v in target.items()]
            target.clear()
            target.update(items)

        span = info.key
        start, end = self.offset(span.line, span.col), self.offset(span.end_line, span.end_col)
        new = render.key(new_key, in_flow=self.is_flow(parent))
        if self.text[end : end + 1] == ":":  # so that a comment after "key:" keeps its column
            end, new = end + 1, new + ":"
        text = self._splice_inline(span.line, start, end, new)
        return self._result(text, self._expect(change))

    def move_item(self, path: DocPath, old: int, new: int) -> TextDoc:
        """Move list item ``old`` so that it ends up at position ``new``, comments included."""
        path = tuple(path)
        self.check_local(path)
        items = self.get(path)

        def change(data: Any) -> None:
            seq = get_in(data, path)
            seq.insert(new, seq.pop(old))

        expected = self._expect(change)
        if old == new:
            return self
        if self.is_flow(path):
            parts = [self.source((*path, i)) for i in range(len(items))]
            parts.insert(new, parts.pop(old))
            return self._result(self._flow_text(path, parts), expected)
        first, last = self.extent((*path, old))
        block = self.lines[first : last + 1]
        if block and not block[-1].endswith("\n"):
            block[-1] += self.newline
        removed = TextDoc(self._delete_block(path, old), self.name, self.layout)
        return self._result(removed._insert_block(path, new, block), expected)

    # -- text building ---------------------------------------------------------------------------
    def _dash_layout(self, path: DocPath) -> tuple[int, int]:
        """Dash column and content offset of a block list's items."""
        dash_line, dash_col = self.start((*path, 0))
        first = self.node((*path, 0)).value
        offset = first.col - dash_col if first.line == dash_line else 2
        return dash_col, max(2, offset)

    def _pair_text(self, path: DocPath) -> str:
        info = self.node(path)
        assert info.key is not None
        start = self.offset(info.key.line, info.key.col)
        end = self.offset(info.value.end_line, info.value.end_col)
        return self.text[start:end].rstrip()

    def _flow_text(self, path: DocPath, parts: list[str]) -> str:
        """The text with the flow collection at ``path`` rewritten from ``parts``, on one line."""
        info = self.node(path)
        span = info.value
        start, end = self.offset(span.line, span.col), self.offset(span.end_line, span.end_col)
        old = self.text[start:end]
        open_, close = old[0], old[-1]
        pad = " " if len(old) > 2 and old[1] == " " and old[-2] == " " else ""
        new = f"{open_}{pad}{', '.join(parts)}{pad}{close}" if parts else open_ + close
        return self._splice_inline(span.line, start, end, new)

    def _splice_inline(self, line: int, start: int, end: int, new: str) -> str:
        """Replace text[start:end] and keep a following end-of-line comment at its column."""
        text = self.text
        line_start = self.offset(line, 0)
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        rest = text[end:line_end]
        eol = "\r" if rest.endswith("\r") else ""
        match = _EOL_COMMENT.match(rest[: len(rest) - len(eol)])
        if match and "\n" not in text[start:end]:
            target = (end - line_start) + len(match.group(1))
            col = (start - line_start) + len(new)
            rest = " " * max(min(len(match.group(1)), 2), target - col) + match.group(2) + eol
        return text[:start] + new + rest + text[line_end:]

    def _replace_text(self, path: DocPath, value: Any) -> str:
        info = self.node(path)
        in_flow = self.is_flow(path[:-1])
        if self.is_block(path) or (not in_flow and not render.inline(value)):
            return self._replace_block_entry(path, value)
        span = info.value
        start, end = self.offset(span.line, span.col), self.offset(span.end_line, span.end_col)
        if render.is_scalar(value):
            style = info.style if info.style in ("'", '"') else None
            if info.style in ("|", ">") and _literal_ok(value):
                return self._replace_literal(path, str(value))
            new = render.scalar(value, style, in_flow=in_flow)
        else:
            new = render.flow(value, nested=in_flow)
        if start == end and not in_flow:  # an empty value: the position right after the colon
            new = " " + new if not self.text[start - 1 : start].isspace() else new
        if info.style in ("|", ">"):
            line, col = self.content_end(path)
            end = self.offset(line, col)
        return self._splice_inline(span.line, start, end, new)

    def _replace_literal(self, path: DocPath, value: str) -> str:
        """A multi-line text replacing a block scalar stays a literal block, indented like the old one."""
        col = self.start(path)[1]
        last = self.content_end(path)[0]
        info = self.node(path)
        head = self.lines[info.value.line][: info.value.col]
        old_body = self.lines[info.value.line + 1] if info.value.line + 1 <= last else ""
        indent = _indent(old_body) if old_body.strip() else col + self.layout.map_indent
        body = [(" " * indent + line if line else "") + self.newline for line in value.rstrip("\n").split("\n")]
        chomp = "" if value.endswith("\n") else "-"
        lines = [*self.lines[: info.value.line], f"{head}|{chomp}{self.newline}", *body, *self.lines[last + 1 :]]
        return "".join(lines)

    def _replace_block_entry(self, path: DocPath, value: Any) -> str:
        """Rewrite an entry whose old or new value is a block collection, keeping its key-line comment."""
        first, col = self.start(path)
        last = self.content_end(path)[0]
        child = path[-1]
        info = self.node(path)
        if isinstance(child, int):
            offset = info.value.col - col if info.value.line == first else 2
            new = render.item_lines(value, col, self.layout, max(2, offset))
            return "".join([*self.lines[:first], *new, *self.lines[last + 1 :]])
        new = render.entry(str(child), value, col, self.layout)
        assert info.key is not None
        key_line = self.lines[first].rstrip("\r\n")
        if self.is_block(path) or info.value.line != first:
            after = key_line[key_line.find(":", info.key.end_col) + 1 :]
        else:
            after = key_line[info.value.end_col :] if info.value.end_line == first else ""
        comment = _EOL_COMMENT.match(after)
        if comment:
            new[0] = new[0].rstrip("\r\n") + comment.group(1) + comment.group(2) + self.newline
        return "".join([*self.lines[:first], *new, *self.lines[last + 1 :]])

    def _gap(self, exts: list[tuple[int, int]], a: int, b: int) -> list[str]:
        return self.lines[exts[a][1] + 1 : exts[b][0]]

    def _insert_block(self, path: DocPath, index: int, new: list[str]) -> str:
        kids = self.children(path)
        exts = [self.extent((*path, k)) for k in kids]
        n = len(exts)
        sep: list[str] = []
        if n >= 2:
            a = index - 1 if 0 < index < n else (0 if index == 0 else n - 2)
            gap = self._gap(exts, a, a + 1)
            blanks = 0
            while blanks < len(gap) and _is_blank(gap[blanks]):
                blanks += 1
            sep = [self.newline] * blanks
        lines = list(self.lines)
        if index < n:
            at = exts[index][0]
            lines[at:at] = [*new, *sep]
        else:
            at = exts[-1][1] + 1
            if at == len(lines) and lines and not lines[-1].endswith("\n"):
                lines[-1] += self.newline
            lines[at:at] = [*sep, *new]
        return "".join(lines)

    def _delete_block(self, path: DocPath, index: int) -> str:
        kids = self.children(path)
        exts = [self.extent((*path, k)) for k in kids]
        n = len(exts)
        first, last = exts[index]
        lines = list(self.lines)
        if n == 1:
            return self._empty_collection(path, first, last)
        after = self._gap(exts, index, index + 1) if index < n - 1 else []
        before = self._gap(exts, index - 1, index) if index > 0 else []
        if after and all(_is_blank(x) for x in after):
            last += len(after)
        elif before and all(_is_blank(x) for x in before):
            first -= len(before)
        del lines[first : last + 1]
        return "".join(lines)

    def _empty_collection(self, path: DocPath, first: int, last: int) -> str:
        """Remove the only entry of a block collection: the key gets ``[]`` or ``{}``."""
        info = self.node(path)
        if not path or info.key is None:
            raise SpliceError("cannot remove the only item of this collection")
        lines = list(self.lines)
        del lines[first : last + 1]
        key_line = lines[info.key.line]
        colon = key_line.find(":", info.key.end_col)
        empty = "[]" if info.style == "seq" else "{}"
        lines[info.key.line] = key_line[: colon + 1] + " " + empty + key_line[colon + 1 :]
        return "".join(lines)
