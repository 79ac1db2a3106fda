"""``fmt``: one canonical layout for a manifest, so that diffs show changes, not styles.

Canonical means: keys in the order of :data:`engine.authoring.paths.KEY_ORDER` (free-form
mappings such as configs keep their order), mappings indented by 2, list dashes indented by 2
under their key (the layout of the shipped manifests), ``metadata.version`` double-quoted, no
trailing spaces, one newline at the end. Comments, blank lines, quoting and flow/block style stay
(a blank line or comment that ended a reordered mapping stays at its end). ``fmt`` is idempotent,
and a manifest already in this layout comes out byte for byte the same.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from engine.authoring import paths
from engine.authoring.text import DocPath, SpliceError, TextDoc, plain_copy, same
from engine.manifest.loader import make_yaml, round_trip_load


def format_text(text: str) -> str:
    """The canonical form of ``text`` (raises :class:`SpliceError` if it cannot be formatted)."""


    newline = "\r\n" if "\r\n" in text else "\n"
    before = TextDoc(text)
    try:
        doc = round_trip_load(text.replace("\r\n", "\n"))
    except Exception as exc:  # the loader accepted it, so this is unexpected; never crash
        raise SpliceError(f"cannot format this file ({type(exc).__name__})") from None
    _reorder(doc, ())
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("version"), str):
        metadata["version"] = DoubleQuotedScalarString(str(metadata["version"]))
    out = io.StringIO()
    make_yaml().dump(doc, out)
    lines = [line.rstrip(" ") for line in out.getvalue().split("\n")]
    result = "\n".join(lines).rstrip("\n") + "\n"
    if newline != "\n":
        result = result.replace("\n", newline)
    expected = canonical(plain_copy(before.data), ())
    after = TextDoc(result)
    if not same(after.data, expected):
        raise SpliceError("internal: formatting would change the manifest's data; nothing was changed")
    return result


def canonical(data: Any, path: DocPath) -> Any:
    """Plain data in canonical key order (what the formatted text must read back as)."""
    if isinstance(data, dict):
        kind = paths.mapping_kind(path)
        keys = sorted(data, key=lambda k: paths.rank(kind, k)) if kind else list(data)
        return {k: canonical(data[k], (*path, k)) for k in keys}
    if isinstance(data, list):
        return [canonical(v, (*path, i)) for i, v in enumerate(data)]
    return data


def _tail_slot(node: Any) -> tuple[dict[Any, Any], Any, int] | None:
    """Where ruamel keeps the comment lines that follow a block collection: its deepest last entry."""

    if isinstance(node, CommentedMap) and node:
        last = list(node)[-1]
        value = node[last]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _tail_slot(value)
        return node.ca.items, last, 2
    if isinstance(node, CommentedSeq) and node:
        value = node[len(node) - 1]
        if isinstance(value, (CommentedMap, CommentedSeq)) and value and not value.fa.flow_style():
            return _tail_slot(value)
        return node.ca.items, len(node) - 1, 0
    return None


def _split_tail(node: Any) -> str:
    """Detach and return the lines after the end-of-line comment of a collection's last entry."""
    slot = _tail_slot(node)
    if slot is None:
        return ""
    items, key, index = slot
    entry = items.get(key)
    token = entry[index] if entry and len(entry) > index else None
    if token is None or "\n" not in token.value:
        return ""
    head, _, tail = token.value.partition("\n")
    token.value = head + "\n"
    return tail


def _attach_tail(node: Any, tail: str) -> None:
    if not tail:
        return
    slot = _tail_slot(node)
    if slot is None:
        return
    items, key, index = slot
    entry = items.setdefault(key, [None, None, None, None])
    while len(entry) <= index:
        entry.append(None)
    token = entry[index]
    if token is None:
        entry[index] = CommentToken("\n" + tail, CommentMark(0), None)
    else:
        token.value = token.value + tail


def _reorder(node: Any, path: DocPath) -> None:
    if isinstance(node, CommentedMap):
        kind = paths.mapping_kind(path)
        keys = list(node)
        wanted = sorted(keys, key=lambda k: paths.rank(kind, k)) if kind else keys
        if wanted != keys and not node.fa.flow_style():
            tail = _split_tail(node)
            for key in wanted:
                node.move_to_end(key)
            _attach_tail(node, tail)
        elif wanted != keys:
            for key in wanted:
                node.move_to_end(key)
        for key in list(node):
            _reorder(node[key], (*path, key))
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            _reorder(item, (*path, index))
