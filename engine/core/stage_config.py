"""JSON Schema for a stage's attrs ``Config`` class, and structuring of config mappings.

Why derive it: the config class is the single source of truth for a stage's options; the schema
that ``rflow validate`` and editors use is computed from it, so they cannot drift apart. A stage
may still set ``config_schema`` explicitly when it needs constraints types cannot express (or put
them in a field's ``metadata={"schema": {...}}``).
"""

from __future__ import annotations

import collections.abc as cabc
import enum
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

import attrs
import cattrs

_converter = cattrs.Converter(forbid_extra_keys=True)


def _type_schema(tp: Any) -> dict[str, Any]:
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp is type(None):
        return {"type": "null"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        return schema_for_config(tp)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        options = [_type_schema(a) for a in get_args(tp)]
        return {"anyOf": options}
    if origin in (list, tuple, set, frozenset, cabc.Sequence, cabc.Set):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        schema: dict[str, Any] = {"type": "array"}
        if args:
            schema["items"] = _type_schema(args[0])
        if origin in (set, frozenset):
            schema["uniqueItems"] = True
        return schema
    if origin in (dict, cabc.Mapping):
        key_value = get_args(tp)
        schema = {"type": "object"}
        if len(key_value) == 2:
            schema["additionalProperties"] = _type_schema(key_value[1])
        return schema
    raise TypeError(f"config type {tp!r} has no JSON Schema mapping")


def schema_for_config(config_cls: type) -> dict[str, Any]:
    """JSON Schema (draft 2020-12 fragment) of an attrs config class; unknown keys are errors."""
    explicit = getattr(config_cls, "config_schema", None)
    if isinstance(explicit, Mapping):
        return dict(explicit)
    hints = typing.get_type_hints(config_cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(config_cls):
        prop = _type_schema(hints.get(field.name, field.type))
        prop.update(field.metadata.get("schema", {}))
        if "description" in field.metadata:
            prop["description"] = field.metadata["description"]
        if field.default is attrs.NOTHING:
            required.append(field.name)
        elif not isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            default: Any = field.default
            if isinstance(default, enum.Enum):
                default = default.value
            if isinstance(default, tuple):
                default = list(default)
            if default is None or isinstance(default, (bool, int, float, str, list)):
                prop["default"] = default
        properties[field.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if config_cls.__doc__:
        schema["description"] = " ".join(config_cls.__doc__.split())
    if required:
        schema["required"] = required
    return schema


def structure_config(config_cls: type, data: Mapping[str, Any] | None) -> Any:
    """Build a config instance from a (schema-validated) mapping."""
    return _converter.structure(dict(data or {}), config_cls)


CONFIG_FILE = "config_file"
"""Field metadata key: ``metadata={"config_file": True}`` marks an option whose value names a file.

Why declared: the engine never imports the built-in stages, yet ``governance.allowed_roots`` must
apply to every file any step's config names; a stage declares which options those are.
"""


def config_file_fields(config_cls: Any) -> tuple[str, ...]:
    """Names of the options of ``config_cls`` that name a file (empty for a class without attrs fields)."""
    if not (isinstance(config_cls, type) and attrs.has(config_cls)):
        return ()
    return tuple(f.name for f in attrs.fields(config_cls) if f.metadata.get(CONFIG_FILE))


def files_named(options: tuple[str, ...], config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(option, value)`` for every file ``config`` names under one of the file ``options``."""
    found: list[tuple[str, str]] = []
    for name in options:
        value = config.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        found.extend((name, v) for v in values if isinstance(v, str) and v)
    return found
