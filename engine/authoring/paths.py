"""Dotted paths for editing (``steps.phi_scan.config.on_findings``), key order, and schema typing.

Addressing list items: a segment made only of digits is an index (``governance.modes.DEMO.steps.0``);
otherwise, in a list of mappings, it selects the item by its identity key: ``id`` for ``steps``,
``name`` for ``inputs`` (generally ``id`` then ``name``). Mapping keys are matched exactly; a key
that contains a dot cannot be addressed (manifest keys never do).

Typing: a value given as text is read as one YAML 1.2 value, then fitted to the schema at its
path: where the schema expects text and YAML produced a number, date or boolean (``1.10``,
``2024-01-01``), the text is kept as written, so ``set metadata.version 1.10`` means "1.10".
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from engine.core.errors import RflowError
from engine.core.stage_config import schema_for_config
from engine.manifest.loader import load_document
from engine.manifest.model import Step
from engine.manifest.schema import load_schema, show, where

DocPath = tuple[str | int, ...]
MAX_PATH_CHARS = 300
MAX_VALUE_CHARS = 10_000
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

KEY_ORDER: dict[str, tuple[str, ...]] = {
    "root": ("apiVersion", "kind", "metadata", "inputs", "defaults", "steps", "governance", "execution"),
    "metadata": ("name", "version", "description"),
    "input": ("name", "format", "default", "description"),
    "defaults": ("stop_on_failure", "timeout_s"),
    "step": ("id", "stage", "description", "timeout_s", "config"),
    "governance": ("default_mode", "modes"),
    "mode": ("description", "steps", "phi_policy", "require", "allow_stages", "gates"),
    "execution": ("executor", "workers", "address", "partition_bytes"),
}
"""The canonical key order of each kind of mapping (``fmt`` sorts by it; new keys go in their place)."""


class PathError(RflowError):
    """A dotted path or a value that cannot be used (a usage problem, not an invalid manifest)."""


def display(path: DocPath | list[str] | list[str | int]) -> str:
    """A path for messages; parts that are not short identifiers are elided."""

    return where(tuple(path))


def mapping_kind(path: DocPath) -> str | None:
    """Which kind of mapping lives at a document path (None for free-form ones like configs)."""
    path = tuple(path)
    if not path:
        return "root"
    if len(path) == 1 and path[0] in ("metadata", "defaults", "governance", "execution"):
        return str(path[0])
    if len(path) == 2 and path[0] == "inputs" and isinstance(path[1], int):
        return "input"
    if len(path) == 2 and path[0] == "steps" and isinstance(path[1], int):
        return "step"
    if len(path) == 3 and path[:2] == ("governance", "modes"):
        return "mode"
    return None


def rank(kind: str | None, key: str) -> int:
    order = KEY_ORDER.get(kind or "", ())
    return order.index(key) if key in order else len(order)


def insert_index(path: DocPath, keys: list[str], new: str) -> int:
    """Where a new key goes: before the first existing key that sorts after it canonically."""
    kind = mapping_kind(path)
    if kind is None:
        return len(keys)
    mine = rank(kind, new)
    for index, existing in enumerate(keys):
        if rank(kind, existing) > mine:
            return index
    return len(keys)


def split(dotted: str) -> list[str]:
    if not isinstance(dotted, str) or not dotted or len(dotted) > MAX_PATH_CHARS:
        raise PathError("a path is 1 to 300 characters of dot-separated keys, e.g. steps.phi_scan.config.on_findings")
    parts = dotted.split(".")
    for part in parts:
        if not _SEGMENT.match(part):
            raise PathError("each part of a path is a key, a step id, an input name or an index "
                            "(letters, digits, _ and -), separated by dots")
    return parts


def _identity(items: list[Any]) -> str | None:
    for field in ("id", "name"):
        if items and all(isinstance(i, Mapping) and field in i for i in items):
            return field
    return None


def resolve(data: Any, dotted: str) -> tuple[DocPath, list[str]]:
    """(document path of the deepest existing node, the keys below it that do not exist yet)."""
    parts = split(dotted)
    node = data
    found: list[str | int] = []
    for position, part in enumerate(parts):
        if isinstance(node, Mapping):
            if part not in node:
                return tuple(found), parts[position:]
            found.append(part)
            node = node[part]
        elif isinstance(node, list):
            found.append(_item_index(node, part, tuple(found)))
            node = node[found[-1]]  # type: ignore[index]
        else:
            raise PathError(f"{display(found)} is a single value; it has no {part!r} below it")
    return tuple(found), []


def _item_index(items: list[Any], part: str, where: DocPath) -> int:
    if part.isdigit():
        index = int(part)
        if index >= len(items):
            raise PathError(f"{display(where)} has {len(items)} item(s); index {index} is out of range")
        return index
    field = _identity(items)
    if field is None:
        raise PathError(f"address the items of {display(where)} by index (e.g. {display(where)}.0)")
    for index, item in enumerate(items):
        if item.get(field) == part:
            return index

    known = ", ".join(show(i.get(field)) for i in items[:12])
    raise PathError(f"{display(where)} has no item with {field} {show(part)} (there are: {known})")


# -- schema typing ---------------------------------------------------------------------------------
def _deref(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while isinstance(schema, Mapping) and "$ref" in schema and seen < 8:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            return {}
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        schema, seen = node, seen + 1
    return schema if isinstance(schema, Mapping) else {}


def _child(schema: Mapping[str, Any], part: str | int) -> Mapping[str, Any]:
    if isinstance(part, int):
        items = schema.get("items", {})
        return items if isinstance(items, Mapping) else {}
    props = schema.get("properties", {})
    if part in props:
        return props[part]
    for pattern, sub in schema.get("patternProperties", {}).items():
        if re.search(pattern, part):
            return sub
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else {}


def schema_at(data: Any, path: DocPath, registry: Any) -> Mapping[str, Any]:
    """The JSON Schema that applies at ``path`` (a stage's config schema below ``steps.N.config``)."""

    root: Mapping[str, Any] = load_schema()
    node: Mapping[str, Any] = root
    for depth, part in enumerate(path):
        prefix = path[:depth]
        if len(prefix) == 2 and prefix[0] == "steps" and part == "config":
            root = node = _stage_config_schema(data, prefix, registry)
            continue
        node = _child(_deref(node, root), part)
    return _deref(node, root)


def _stage_config_schema(data: Any, step_path: DocPath, registry: Any) -> Mapping[str, Any]:
    try:
        step = data[step_path[0]][step_path[1]]
        ref = Step(id=str(step.get("id")), stage=step.get("stage")).stage_ref
        stage = registry.find(ref)
        return schema_for_config(stage.Config) if stage is not None else {}
    except Exception:  # an unknown or broken stage: no typing, validation reports it
        return {}


def schema_types(schema: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(str(k) for k in kind)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []) or []:
            if isinstance(sub, Mapping):
                found |= schema_types(sub)
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        found.add("string")
    return found


def parse_value(text: str, schema: Mapping[str, Any]) -> Any:
    """One YAML 1.2 value from ``text``, fitted to ``schema`` (see the module docstring)."""

    if len(text) > MAX_VALUE_CHARS:
        raise PathError(f"the value is longer than {MAX_VALUE_CHARS} characters")
    if not text.strip():
        return text
    loaded = load_document((text + "\n").encode("utf-8"), name="<value>")
    if not loaded.ok:
        problem = next((d for d in loaded.diagnostics if d.is_error), None)
        raise PathError("the value is not valid YAML" + (f" ({problem.message})" if problem else "")
                        + "; quote it to give it as text")
    value = loaded.data
    types = schema_types(schema)
    literal = text.strip()
    if isinstance(value, (_dt.date, _dt.datetime)):
        return literal
    if "string" in types and not isinstance(value, (str, Mapping, list)):
        fits = ((value is None and "null" in types) or (isinstance(value, bool) and "boolean" in types)
                or (isinstance(value, int) and not isinstance(value, bool) and types & {"integer", "number"})
                or (isinstance(value, float) and "number" in types))
        if not fits:
            return literal
    return value
