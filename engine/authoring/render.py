"""Render Python values as YAML source fragments in a manifest's own layout.

Why a small emitter of our own: edits insert a few lines into an existing file, and they must
look like their neighbours (indentation, flow lists of step ids, quoting). A general emitter
re-lays out what it is given; this one writes exactly the shapes manifests use, and every
scalar it writes plain is checked to read back as the same value.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from engine.manifest.loader import load_document

_PLAIN_START = re.compile(r"^[A-Za-z0-9_./(][A-Za-z0-9_ ./:@<>=^~,+()$-]*$")
_PRINTABLE_EXTRA = {"\t", "\n", "\r"}


@attrs.frozen
class Layout:
    """Indentation conventions of one file: nested mapping indent, list dash offset, newline."""

    map_indent: int = 2
    seq_offset: int = 2
    newline: str = "\n"


def yaml_printable(ch: str) -> bool:
    """Whether YAML may hold ``ch`` as it is in a scalar (else it is written as an escape)."""
    code = ord(ch)
    if ch in _PRINTABLE_EXTRA:
        return True
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
        return False
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF, 0x2028, 0x2029, 0xFEFF))


@functools.lru_cache(maxsize=2048)
def _reads_back(text: str) -> Any:
    """What YAML 1.2 makes of a plain scalar (a sentinel if it is not one plain scalar)."""

    loaded = load_document(f"k: {text}\n".encode())
    if not loaded.ok or not isinstance(loaded.data, dict) or list(loaded.data) != ["k"]:
        return _NOT_PLAIN
    return loaded.data["k"]


_NOT_PLAIN = object()


def can_be_plain(text: str, *, in_flow: bool = False) -> bool:
    """True if ``text`` written without quotes reads back as the same string."""
    if not text or text != text.strip() or not _PLAIN_START.match(text):
        return False
    if in_flow and any(c in text for c in ",[]{}"):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\n" in text:
        return False
    back = _reads_back(text)
    return isinstance(back, str) and back == text


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON escapes, plus escapes for what YAML cannot print)."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + "".join(c if yaml_printable(c) else f"\\u{ord(c):04x}" for c in body) + '"'


def single_quoted(text: str) -> str | None:
    if "\n" in text or not all(yaml_printable(c) and c != "\t" for c in text):
        return None
    return "'" + text.replace("'", "''") + "'"


def scalar(value: Any, style: str | None = None, *, in_flow: bool = False) -> str:
    """One scalar; ``style`` (``'"'``, ``"'"``, None for plain) is kept when the value allows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError("not-a-number and infinite values are not allowed in manifests")
        text = repr(value)
        return text if any(c in text for c in ".eE") else text + ".0"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot write a {type(value).__name__} into a manifest")
    if style == "'":
        quoted = single_quoted(value)
        if quoted is not None:
            return quoted
    if style in (None, "|", ">") and can_be_plain(value, in_flow=in_flow):
        return value
    return double_quoted(value)


def key(name: str, *, in_flow: bool = False) -> str:
    return name if can_be_plain(name, in_flow=in_flow) and not name[0].isdigit() else double_quoted(name)


def is_scalar(value: Any) -> bool:
    return not isinstance(value, (Mapping, list, tuple))


def flow(value: Any, *, nested: bool = False) -> str:
    """Inline form: scalars, ``[a, b]`` and ``{k: v}``."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key(str(k), in_flow=True)}: {flow(v, nested=True)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v, nested=True) for v in value) + "]"
    return scalar(value, in_flow=nested)


def inline(value: Any) -> bool:
    """Whether a value is written on its key's line: scalars, lists of scalars, empty collections."""
    if isinstance(value, Mapping):
        return not value
    if isinstance(value, (list, tuple)):
        return all(is_scalar(v) for v in value)
    return True


def entry(name: str, value: Any, col: int, layout: Layout) -> list[str]:
    """Lines of one mapping entry ``name: value`` whose key starts at column ``col``."""
    pad = " " * col
    nl = layout.newline
    if inline(value):
        return [f"{pad}{key(name)}: {flow(value)}{nl}"]
    if isinstance(value, Mapping):
        return [f"{pad}{key(name)}:{nl}", *mapping_body(value, col + layout.map_indent, layout)]
    return [f"{pad}{key(name)}:{nl}", *sequence_body(value, col + layout.seq_offset, layout)]


def mapping_body(value: Mapping[str, Any], col: int, layout: Layout) -> list[str]:
    lines: list[str] = []
    for k, v in value.items():
        lines += entry(str(k), v, col, layout)
    return lines


def sequence_body(items: Sequence[Any], dash_col: int, layout: Layout) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines += item_lines(item, dash_col, layout)
    return lines


def item_lines(item: Any, dash_col: int, layout: Layout, content_offset: int = 2) -> list[str]:
    """Lines of one block-list item whose dash is at ``dash_col``."""
    pad = " " * dash_col
    gap = " " * (content_offset - 1)
    nl = layout.newline
    if isinstance(item, Mapping) and item:
        body = mapping_body(item, dash_col + content_offset, layout)
        return [pad + "-" + gap + body[0].lstrip(" "), *body[1:]]
    if isinstance(item, (list, tuple)) and item and not inline(item):
        body = sequence_body(item, dash_col + content_offset, layout)
        return [pad + "-" + gap + body[0].lstrip(" "), *body[1:]]
    return [f"{pad}-{gap}{flow(item)}{nl}"]
