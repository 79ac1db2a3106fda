"""The manifest JSON Schema: loading (from ``engine.schemas``, shipped as package data), validation with
positioned, PHI-safe diagnostics, and the bundled export with per-stage config schemas.

Why messages are rebuilt here: jsonschema's ``ValidationError.message`` quotes the offending value,
and a manifest value may hold PHI. Every message below is made from the keyword that failed, its
schema value (ours, safe) and the document path.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import attrs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match

from engine.core.stage_config import schema_for_config
from engine.core.userpattern import PatternError, compile_pattern
from engine.manifest.diagnostics import Diagnostic, sort_key
from engine.manifest.positions import Path, SourceMap
from engine.plugins import registry_or_default

SCHEMA_FILES = {"rflow/v1": "pipeline-manifest.v1.schema.json"}
"""Supported ``apiVersion`` values and their schema files (in ``engine.schemas``)."""
CURRENT_API_VERSION = "rflow/v1"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]{0,39}(?:@[0-9<>=!^~., ]{1,20})?$")
_DIGIT = re.compile(r"[0-9]")


def _showable(value: str) -> bool:
    """Short identifiers only; anything with many digits (ids, dates, phone numbers) stays hidden."""
    return bool(_IDENT.match(value)) and len(_DIGIT.findall(value)) < 4


@functools.cache
def load_schema(api_version: str = CURRENT_API_VERSION) -> dict[str, Any]:
    """The schema for ``api_version``, read from the installed package (works outside the repo)."""

    text = resources.files("engine.schemas").joinpath(SCHEMA_FILES[api_version]).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator(api_version: str) -> Any:
    return Draft202012Validator(load_schema(api_version))


def config_validator(schema_json: str) -> Any:
    """A (cached) validator for a stage config schema, keyed by its JSON text."""
    return _config_validator(schema_json)


@functools.lru_cache(maxsize=256)
def _config_validator(schema_json: str) -> Any:
    return Draft202012Validator(json.loads(schema_json), format_checker=_format_checker())


@functools.cache
def _format_checker() -> Any:
    """Formats rflow checks in stage configs: ``re2``, a user pattern in the RE2 dialect.

    A stage marks a field with ``metadata={"schema": {"format": "re2"}}``; a pattern outside the
    dialect is then refused by ``rflow validate`` at its column, not at run time.
    """


    checker = FormatChecker(formats=())
    checker.checks("re2", raises=PatternError)(lambda value: not isinstance(value, str) or bool(
        compile_pattern(value)))
    return checker


# -- messages --------------------------------------------------------------------------------------
def show(value: object) -> str:
    """A manifest key or value for a message: only short identifiers are shown."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if 0 <= value < 10000 else "(value not shown)"
    if isinstance(value, str) and _showable(value):
        return repr(value)
    return "(value not shown)"


def where(path: Path) -> str:
    """``steps[2].config.max_bytes``; non-identifier keys are elided."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _showable(part) else "…"
            out += f".{name}" if out else name
    return out or "the manifest"


_JSON_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (type(None), "null"),
    (bool, "boolean"),  # before int: a bool is an int
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (Mapping, "mapping"),
    (list, "list"),
    ((_dt.date, _dt.datetime), "date"),
)


def json_type(value: Any) -> str:
    """The schema's name for a value's type (first match wins), else the Python type's name."""
    for kind, name in _JSON_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "text", "integer": "an integer",
               "number": "a number", "boolean": "true or false", "null": "null"}


def _expected_types(value: Any) -> str:
    types = [value] if isinstance(value, str) else list(value)
    return " or ".join(_TYPE_WORDS.get(t, t) for t in types)


def _list(values: Iterable[Any], limit: int = 12) -> str:
    items = [show(v) if not isinstance(v, str) else repr(v) for v in values]
    return ", ".join(items[:limit]) + (", …" if len(items) > limit else "")


# -- validation ------------------------------------------------------------------------------------
def check_api_version(data: Any, smap: SourceMap, name: str) -> Diagnostic | None:
    """RF200 unless ``apiVersion`` names a supported format."""
    supported = ", ".join(sorted(SCHEMA_FILES))
    if not isinstance(data, Mapping):
        return None  # the schema reports the wrong root type
    if "apiVersion" not in data:
        return Diagnostic(name, 1, 1, "RF200", "missing apiVersion",
                          hint=f"add 'apiVersion: {CURRENT_API_VERSION}' (supported: {supported})")
    value = data["apiVersion"]
    if isinstance(value, str) and value in SCHEMA_FILES:
        return None
    pos = smap.locate(("apiVersion",))
    hint = f"supported: {supported}"
    return Diagnostic(name, pos.line, pos.col, "RF200", f"unsupported apiVersion {show(value)}", hint=hint,
                      end_line=pos.end_line, end_col=pos.end_col, path=("apiVersion",))


def validate_schema(data: Any, smap: SourceMap, name: str, api_version: str = CURRENT_API_VERSION) -> list[Diagnostic]:
    """Every schema problem of ``data``, positioned, most relevant first."""
    errors = _validator(api_version).iter_errors(data)
    return sorted(convert_errors(errors, data, smap, name), key=sort_key)


def validate_fragment(
    schema_json: str, data: Any, smap: SourceMap, name: str, base: Path, code: str | None = None
) -> list[Diagnostic]:
    """Validate ``data`` (found at ``base`` in the document) against a sub-schema (e.g. a stage config)."""
    errors = config_validator(schema_json).iter_errors(data)
    found = convert_errors(errors, data, smap, name, base=base)
    if code:
        found = [d if d.code in ("RF110",) else _recode(d, code) for d in found]
    return sorted(found, key=sort_key)


def _recode(d: Diagnostic, code: str) -> Diagnostic:
    return attrs.evolve(d, code=code)


def convert_errors(
    errors: Iterable[Any], root: Any, smap: SourceMap, name: str, *, base: Path = ()
) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple[Any, ...]] = set()
    for error in errors:
        for d in _convert(error, root, smap, name, base):
            key = (d.line, d.col, d.code, d.message)
            if key not in seen:
                seen.add(key)
                out.append(d)
    return out


def _at(
    smap: SourceMap, name: str, path: Path, code: str, message: str, hint: str = "", *, key: bool = False
) -> Diagnostic:
    pos = smap.locate(path, at="key" if key else "value")
    return Diagnostic(name, pos.line, pos.col, code, message, hint=hint,
                      end_line=pos.end_line, end_col=pos.end_col, path=tuple(path))


def _collapse(error: Any) -> Any:
    """For anyOf/oneOf: the one sub-error that matters (no cascades), or the error itself."""

    if error.validator in ("anyOf", "oneOf") and error.context:
        # All alternatives failing on type at the same place: one "expected X or Y" message.
        if all(e.validator == "type" and not e.relative_path for e in error.context):
            return error
        deeper = [e for e in error.context if e.relative_path or e.validator != "type"]
        return _collapse(best_match(deeper or error.context))
    return error


def _convert(error: Any, root: Any, smap: SourceMap, name: str, base: Path) -> list[Diagnostic]:
    error = _collapse(error)
    path: Path = (*base, *error.absolute_path)
    kw, value, instance, schema = error.validator, error.validator_value, error.instance, error.schema
    place = where(path)
    if kw == "additionalProperties" and isinstance(instance, Mapping):
        props = list(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        out = []
        for k in instance:
            if k in props or any(p.search(k) for p in patterns):
                continue
            if props:
                close = difflib.get_close_matches(k, props, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {_list(props)}"
                message = f"unexpected key {show(k)} in {place}"
            else:
                hint = _describe_pattern(schema)
                shown = show(k)
                message = (f"key {shown} is not a valid name in {place}" if shown != "(value not shown)"
                           else f"a key in {place} is not a valid name")
            out.append(_at(smap, name, (*path, k), "RF201", message, hint, key=True))
        return out
    if kw == "required" and isinstance(instance, Mapping):
        missing = [k for k in value if k not in instance]
        return [
            _at(smap, name, path, "RF202", f"missing required key {show(k)} in {place}",
                _property_hint(schema, k))
            for k in missing
        ]
    if kw == "type":
        return [_type_error(value, instance, smap, name, path, place)]
    if kw in ("enum", "const"):
        allowed = value if kw == "enum" else [value]
        return [_at(smap, name, path, "RF204", f"value not allowed at {place}", f"expected one of: {_list(allowed)}")]
    if kw == "format" and value == "re2":
        return [_pattern_error(error, smap, name, path, place)]
    if kw == "pattern":
        return [_at(smap, name, path, "RF205", f"{place} does not have the expected form",
                    schema.get("description", ""))]
    if kw in ("minItems", "minProperties") and value == 1:
        return [_at(smap, name, path, "RF206", f"{place} must not be empty")]
    if kw in _RANGE:
        return [_at(smap, name, path, "RF206", f"{place} {_RANGE[kw].format(value)}")]
    if kw == "uniqueItems" and isinstance(instance, list):
        dup = _first_duplicate(instance)
        spot = (*path, dup) if dup is not None else path
        return [_at(smap, name, spot, "RF207", f"{place} lists the same item twice", "remove the repeated item")]
    if kw in ("anyOf", "oneOf") and error.context:
        types = [e.validator_value for e in error.context if e.validator == "type"]
        flat = [t for v in types for t in ([v] if isinstance(v, str) else v)]
        return [_type_error(flat, instance, smap, name, path, place)]
    return [_at(smap, name, path, "RF208", f"{place} fails the schema rule {kw!r}")]


def _pattern_error(error: Any, smap: SourceMap, name: str, path: Path, place: str) -> Diagnostic:
    """A user pattern outside the RE2 dialect, at the column inside the pattern where it goes wrong."""
    cause = error.cause
    offset = int(getattr(cause, "offset", 0))
    reason = getattr(cause, "reason", "not a valid RE2 pattern")
    pos = smap.offset_position(path, offset)
    return Diagnostic(name, pos.line, pos.col, "RF205", f"{place} is not an RE2 pattern: {reason}",
                      hint=getattr(cause, "hint", ""), path=tuple(path))


_RANGE = {
    "minimum": "must be at least {}",
    "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}",
    "exclusiveMaximum": "must be less than {}",
    "minLength": "must be at least {} characters long",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} item(s)",
    "maxItems": "must have at most {} item(s)",
    "minProperties": "must have at least {} entries",
    "maxProperties": "must have at most {} entries",
    "multipleOf": "must be a multiple of {}",
}


def _describe_pattern(schema: Mapping[str, Any]) -> str:
    desc = schema.get("description", "")
    return desc if isinstance(desc, str) else ""


def _property_hint(schema: Mapping[str, Any], key: str) -> str:
    prop = schema.get("properties", {}).get(key, {})
    if "$ref" in prop:
        return ""
    desc = prop.get("description") if isinstance(prop, Mapping) else None
    return f"{key}: {desc}" if isinstance(desc, str) else ""


def _first_duplicate(items: list[Any]) -> int | None:
    seen: list[Any] = []
    for index, item in enumerate(items):
        if item in seen:
            return index
        seen.append(item)
    return None


_BOOL_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false", "True", "False", "YES", "NO", "ON", "OFF"}


def _type_error(expected: Any, instance: Any, smap: SourceMap, name: str, path: Path, place: str) -> Diagnostic:
    wanted = _expected_types(expected)
    got = json_type(instance)
    expected_list = [expected] if isinstance(expected, str) else list(expected)
    if "string" in expected_list and got in ("integer", "number", "boolean", "date"):
        source = smap.source_text(path, limit=24)
        example = f'"{source}"' if source and '"' not in source else "the value in quotes"
        kind = {"integer": "a number", "number": "a number", "boolean": "a boolean", "date": "a date"}[got]
        return _at(smap, name, path, "RF110", f"{place}: YAML read this unquoted value as {kind}, expected text",
                   f"quote it: write {example} so it stays text (YAML 1.2 typing)")
    hint = ""
    if "boolean" in expected_list and isinstance(instance, str) and instance in _BOOL_WORDS:
        hint = "in YAML 1.2 only true and false are booleans; write true or false without quotes"
    elif got == "null":
        hint = "the value is empty; write one after the colon, or remove the key"
    got_words = {"mapping": "a mapping", "list": "a list", "date": "a date"}.get(got) or _TYPE_WORDS.get(got, got)
    return _at(smap, name, path, "RF203", f"{place} must be {wanted}, not {got_words}", hint)


# -- bundled export --------------------------------------------------------------------------------
def bundled_schema(registry: Any = None, api_version: str = CURRENT_API_VERSION) -> dict[str, Any]:
    """The manifest schema with each registered stage's config schema attached (if/then on ``stage``).

    For editors (yaml-language-server) and external validators; no oneOf, so errors stay precise.
    """

    reg = registry_or_default(registry)
    schema = copy.deepcopy(load_schema(api_version))
    schema["$id"] = schema["$id"].replace(".schema.json", ".bundled.schema.json")
    schema["description"] += " This bundled variant also checks each step's config against its stage's schema."
    rules = []
    stage: Any
    for stage in reg.list():
        key, sid = stage.key, stage.stage_id
        config = dict(schema_for_config(stage.Config))
        config.setdefault("title", f"Config of stage {key} ({stage.stage_name}) v{stage.version}")
        config.setdefault("description", f"Options of the {key} stage.")
        match = {"anyOf": [{"const": sid},
                           {"type": "string", "pattern": f"^(?:{re.escape(key)}|{sid})(?:@.*)?$"}]}
        rules.append({"if": {"properties": {"stage": match}, "required": ["stage"]},
                      "then": {"properties": {"config": config}}})
    if rules:
        schema["$defs"]["step"]["allOf"] = rules
    return schema
