"""Data dictionaries: the expected columns of a study export, their types and their quality rules.

A dictionary is a YAML file, bundled (``bundled:demo_dictionary.yaml``) or on disk::

    name: demo_study
    version: "1.0.0"
    missing_values: ["", "NA", "N/A", "NULL"]
    columns:
      age: {type: integer, required: true, min: 18, max: 120, phi: AGE}
      sex: {type: string, allowed: [F, M, U]}
    rules:
      - {name: visit_after_enrollment, kind: date_order, columns: [enrollment_date, visit_date]}

``schema_check`` uses the columns' type/required/allowed/pattern; ``validate`` uses the columns'
min/max/max_missing/code and the ``rules`` list. Problems in the file are reported by path
(``columns.age.type``), never by quoting values.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from engine import (
    ConfigFileError,
    PatternError,
    UserPattern,
    compile_pattern,
    display_name,
    read_config_bytes,
    safe_excerpt,
)
from engine.phi.validators import luhn
from stages._common import StageConfigError, is_bundled, resolve_path

if TYPE_CHECKING:
    from engine import StageContext

TYPES = ("string", "integer", "number", "date", "datetime", "boolean")
PHI_KINDS = (
    "NAME", "SSN", "MRN", "PHONE", "EMAIL", "ADDRESS", "DATE_OF_BIRTH", "ZIP", "DATE", "AGE",
    "SUBJECT_ID", "FREE_TEXT", "IDENTIFIER", "none",
)
RULE_KINDS = ("range", "missing", "unique", "date_order", "allowed", "pattern", "code")
CODE_SYSTEMS = ("icd10", "loinc")
MAX_DICTIONARY_BYTES = 2 * 1024 * 1024
MAX_DICTIONARY_NODES = 1_000_000
"""YAML nodes in one dictionary: room for a 20,000-column export, a bound on alias expansion."""
DEFAULT_MISSING = ("", "NA", "N/A", "NULL", "null", "NaN")

# The cell types' shapes, shared with the columnar checks (stages.columnar), which run the same patterns.
INT_RE = re.compile(r"^[+-]?[0-9]+$")
"""An ``integer`` cell, stripped."""
NUM_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
"""A ``number`` cell, stripped (ASCII digits only)."""
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
"""The shape of a ``date`` cell with no ``date_format`` (``YYYY-MM-DD``; the calendar is checked after)."""
BOOLS = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}
"""A ``boolean`` cell, stripped and lower-cased."""
_ICD10_RE = re.compile(r"^[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?$")
_LOINC_RE = re.compile(r"^[0-9]{1,7}-[0-9]$")


# -- cell checks -----------------------------------------------------------------------------------


def parse_number(text: str) -> float | None:
    """A float for an ASCII decimal number, else None (``\\d`` would accept non-ASCII digits)."""
    text = text.strip()
    if not NUM_RE.match(text):
        return None
    return float(text)


def parse_date(text: str, fmt: str | None = None) -> datetime.date | None:
    """A calendar-valid date (ISO ``YYYY-MM-DD`` unless ``fmt`` is a strptime format), else None."""
    text = text.strip()
    try:
        if fmt:
            return datetime.datetime.strptime(text, fmt).date()
        if not DATE_RE.match(text):
            return None
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def parse_datetime(text: str) -> datetime.datetime | None:
    text = text.strip()
    if len(text) < 10 or not text[:4].isascii() or not text[:4].isdigit():
        return None
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def type_ok(kind: str, text: str, date_format: str | None = None) -> bool:
    """Whether a non-missing cell parses as the dictionary type ``kind``."""
    if kind == "string":
        return True
    if kind == "integer":
        return bool(INT_RE.match(text.strip()))
    if kind == "number":
        return parse_number(text) is not None
    if kind == "date":
        return parse_date(text, date_format) is not None
    if kind == "datetime":
        return parse_datetime(text) is not None
    if kind == "boolean":
        return text.strip().lower() in BOOLS
    return False


def code_ok(system: str, text: str) -> bool:
    """ICD-10(-CM) shape, or a LOINC code with its mod-10 check digit."""
    text = text.strip()
    if system == "icd10":
        return bool(_ICD10_RE.match(text.upper()))
    if system == "loinc":
        return bool(_LOINC_RE.match(text)) and luhn(text)  # LOINC's check digit is mod 10
    return False


# -- model -----------------------------------------------------------------------------------------


@attrs.frozen
class ColumnSpec:
    name: str
    type: str = "string"
    required: bool = False
    allowed: tuple[str, ...] | None = None
    pattern: UserPattern | None = None
    date_format: str | None = None
    min: float | None = None
    max: float | None = None
    max_missing: float | None = None
    code: str | None = None
    unique: bool = False
    phi: str | None = None
    description: str = ""


@attrs.frozen
class RuleSpec:
    """One quality rule, from a dictionary's ``rules`` (or a column's min/max/...) or a stage config."""

    name: str
    kind: str
    columns: tuple[str, ...]
    severity: Literal["error", "warning"] = "error"
    min: float | None = None
    max: float | None = None
    max_fraction: float | None = None
    values: tuple[str, ...] = ()
    pattern: UserPattern | None = None
    system: str | None = None
    allow_equal: bool = True


@attrs.frozen
class Dictionary:
    source: str
    """``bundled:NAME`` or the file name (never a full path: reports carry it)."""
    sha256: str
    name: str
    version: str
    columns: dict[str, ColumnSpec]
    rules: tuple[RuleSpec, ...]
    missing_values: frozenset[str]

    def is_missing(self, text: str) -> bool:
        return text.strip() in self.missing_values

    def quality_rules(self) -> list[RuleSpec]:
        """Rules derived from column specs (min/max, max_missing, code, unique) then ``rules``."""
        derived: list[RuleSpec] = []
        for col in self.columns.values():
            if col.min is not None or col.max is not None:
                derived.append(RuleSpec(f"{col.name}.range", "range", (col.name,), "error", min=col.min, max=col.max))
            if col.max_missing is not None:
                derived.append(
                    RuleSpec(f"{col.name}.missing", "missing", (col.name,), "warning", max_fraction=col.max_missing)
                )
            if col.code is not None:
                derived.append(RuleSpec(f"{col.name}.code", "code", (col.name,), "error", system=col.code))
            if col.unique:
                derived.append(RuleSpec(f"{col.name}.unique", "unique", (col.name,), "error"))
        return derived + list(self.rules)


# -- loading ---------------------------------------------------------------------------------------


class DictionaryError(StageConfigError):
    """A problem inside a dictionary file; ``path`` (and ``offset`` inside a pattern) locate it."""

    def __init__(self, where: str, what: str, offset: int | None = None) -> None:
        super().__init__(f"data dictionary: {where}: {what}")
        self.where = where
        self.what = what
        self.path = _path_of(where)
        self.offset = offset
        self.line = 0
        self.col = 0
        """1-based position in the file, set by :func:`load_dictionary` (0: not known)."""


def _path_of(where: str) -> tuple[str | int, ...]:
    """``columns.age.pattern`` / ``rules[0].pattern`` as a document path (for positions)."""
    if where == "top level":
        return ()
    return tuple(int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"\[[0-9]+\]|[^.\[\]]+", where))


def _fail(where: str, what: str, offset: int | None = None) -> DictionaryError:
    return DictionaryError(where, what, offset)


def _opt_float(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, "must be a number")
    return float(value)


def _regex(value: Any, where: str) -> UserPattern | None:
    """A user pattern, compiled by the one module that compiles them (RE2 dialect, linear time)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(where, "must be a regular expression string")
    try:
        return compile_pattern(value)
    except PatternError as exc:
        raise _fail(where, f"is not a valid regular expression in RE2 syntax: {exc}", exc.offset) from None


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                              for v in value):
        raise _fail(where, "must be a list of strings")
    return tuple(str(v) for v in value)


_COLUMN_KEYS = {
    "type", "required", "allowed", "pattern", "date_format", "min", "max", "max_missing", "code", "unique",
    "phi", "description",
}
_RULE_KEYS = {
    "name", "kind", "column", "columns", "severity", "min", "max", "max_fraction", "values", "pattern",
    "system", "allow_equal", "description",
}


def _unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        shown = ", ".join(safe_excerpt(e, 30) for e in extra[:5])
        raise _fail(where, f"unknown key(s) {shown}; allowed: {', '.join(sorted(allowed))}")


def _column(name: str, data: Any) -> ColumnSpec:
    where = f"columns.{name}"
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise _fail(where, "must be a mapping (type, required, allowed, ...)")
    _unknown(data, _COLUMN_KEYS, where)
    kind = data.get("type", "string")
    if kind not in TYPES:
        raise _fail(f"{where}.type", f"must be one of {', '.join(TYPES)}")
    code = data.get("code")
    if code is not None and code not in CODE_SYSTEMS:
        raise _fail(f"{where}.code", f"must be one of {', '.join(CODE_SYSTEMS)}")
    phi = data.get("phi")
    if phi is not None and phi not in PHI_KINDS:
        raise _fail(f"{where}.phi", f"must be one of {', '.join(PHI_KINDS)}")
    max_missing = _opt_float(data.get("max_missing"), f"{where}.max_missing")
    if max_missing is not None and not 0 <= max_missing <= 1:
        raise _fail(f"{where}.max_missing", "must be a fraction between 0 and 1")
    for flag in ("required", "unique"):
        if not isinstance(data.get(flag, False), bool):
            raise _fail(f"{where}.{flag}", "must be true or false")
    date_format = data.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        raise _fail(f"{where}.date_format", "must be a strptime format string such as %m/%d/%Y")
    return ColumnSpec(
        name=name,
        type=kind,
        required=data.get("required", False),
        allowed=None if data.get("allowed") is None else _str_list(data["allowed"], f"{where}.allowed"),
        pattern=_regex(data.get("pattern"), f"{where}.pattern"),
        date_format=date_format,
        min=_opt_float(data.get("min"), f"{where}.min"),
        max=_opt_float(data.get("max"), f"{where}.max"),
        max_missing=max_missing,
        code=code,
        unique=data.get("unique", False),
        phi=phi,
        description=str(data.get("description", "")),
    )


def build_rule(data: Mapping[str, Any], where: str) -> RuleSpec:
    """A :class:`RuleSpec` from a mapping (dictionary ``rules`` entry or stage config rule)."""
    if not isinstance(data, Mapping):
        raise _fail(where, "must be a mapping with at least 'kind' and 'column'/'columns'")
    _unknown(data, _RULE_KEYS, where)
    kind = data.get("kind")
    if kind not in RULE_KINDS:
        raise _fail(f"{where}.kind", f"must be one of {', '.join(RULE_KINDS)}")
    columns: tuple[str, ...] = ()
    if data.get("column") is not None:
        columns = (str(data["column"]),)
    if data.get("columns"):
        columns = columns + _str_list(data["columns"], f"{where}.columns")
    if not columns:
        raise _fail(where, "needs 'column' or 'columns'")
    wanted = {"date_order": 2}
    if kind in wanted and len(columns) != wanted[kind]:
        raise _fail(f"{where}.columns", "date_order needs exactly two columns: [earlier, later]")
    if kind in ("range", "missing", "allowed", "pattern", "code") and len(columns) != 1:
        raise _fail(f"{where}.columns", f"a {kind} rule applies to exactly one column")
    severity = data.get("severity", "error")
    if severity not in ("error", "warning"):
        raise _fail(f"{where}.severity", "must be error or warning")
    rule = RuleSpec(
        name=str(data.get("name") or f"{'+'.join(columns)}.{kind}")[:64],
        kind=kind,
        columns=columns,
        severity=severity,
        min=_opt_float(data.get("min"), f"{where}.min"),
        max=_opt_float(data.get("max"), f"{where}.max"),
        max_fraction=_opt_float(data.get("max_fraction"), f"{where}.max_fraction"),
        values=_str_list(data["values"], f"{where}.values") if data.get("values") is not None else (),
        pattern=_regex(data.get("pattern"), f"{where}.pattern"),
        system=data.get("system"),
        allow_equal=bool(data.get("allow_equal", True)),
    )
    if kind == "range" and rule.min is None and rule.max is None:
        raise _fail(where, "a range rule needs 'min' and/or 'max'")
    if kind == "missing" and (rule.max_fraction is None or not 0 <= rule.max_fraction <= 1):
        raise _fail(f"{where}.max_fraction", "a missing rule needs max_fraction between 0 and 1")
    if kind == "allowed" and not rule.values:
        raise _fail(f"{where}.values", "an allowed rule needs a non-empty list of values")
    if kind == "pattern" and rule.pattern is None:
        raise _fail(f"{where}.pattern", "a pattern rule needs a regular expression")
    if kind == "code" and rule.system not in CODE_SYSTEMS:
        raise _fail(f"{where}.system", f"must be one of {', '.join(CODE_SYSTEMS)}")
    return rule


def parse_dictionary(data: Any, *, source: str, sha256: str) -> Dictionary:
    if not isinstance(data, Mapping):
        raise _fail("top level", "must be a mapping with 'columns'")
    _unknown(data, {"name", "version", "description", "missing_values", "columns", "rules"}, "top level")
    cols = data.get("columns")
    if not isinstance(cols, Mapping) or not cols:
        raise _fail("columns", "must be a non-empty mapping of column name -> spec")
    columns = {str(name): _column(str(name), spec) for name, spec in cols.items()}
    rules_raw = data.get("rules") or []
    if not isinstance(rules_raw, list):
        raise _fail("rules", "must be a list")
    rules = tuple(build_rule(r, f"rules[{i}]") for i, r in enumerate(rules_raw))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise _fail("rules", "rule names must be unique")
    missing = data.get("missing_values")
    missing_values = frozenset(DEFAULT_MISSING if missing is None else _str_list(missing, "missing_values"))
    return Dictionary(
        source=source,
        sha256=sha256,
        name=str(data.get("name", "")),
        version=str(data.get("version", "")),
        columns=columns,
        rules=rules,
        missing_values=missing_values | {""},
    )


def load_dictionary(ref: str, *, allowed_roots: Sequence[str | Path] = ()) -> Dictionary:
    """Load ``bundled:NAME`` or a YAML file path.

    The file is read like every config file (engine.core.configfile: regular files only, capped at
    ``MAX_DICTIONARY_BYTES``, inside ``allowed_roots`` when given) and parsed by the manifest
    loader, so a device, a FIFO, a date that does not exist or deep nesting is a named error.
    """
    from engine import load_document

    path = resolve_path(ref)
    source = ref if is_bundled(ref) else display_name(path.name)

    def named() -> str:  # sanitized only for an error: a clean load never loads the PHI registry
        return repr(safe_excerpt(source, 80))

    try:
        raw = read_config_bytes(path, MAX_DICTIONARY_BYTES, allowed_roots=() if is_bundled(ref) else allowed_roots)
    except ConfigFileError as exc:
        if exc.too_large:
            raise StageConfigError(f"data dictionary {named()} is larger than {MAX_DICTIONARY_BYTES} bytes") from None
        raise StageConfigError(f"data dictionary {named()}: cannot read it: {exc.reason}") from None
    loaded = load_document(raw, name=source, max_bytes=MAX_DICTIONARY_BYTES, max_nodes=MAX_DICTIONARY_NODES)
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors:
        d = errors[0]
        if d.code == "RF102":
            raise StageConfigError(f"data dictionary {named()} is not UTF-8")
        raise StageConfigError(f"data dictionary {named()} is not valid YAML at line {d.line}, column {d.col}: "
                               f"{d.message.replace('manifest', 'file')}")
    try:
        return parse_dictionary(loaded.data, source=source, sha256=hashlib.sha256(raw).hexdigest())
    except DictionaryError as exc:
        pos = (loaded.source_map.locate(exc.path) if exc.offset is None
               else loaded.source_map.offset_position(exc.path, exc.offset))
        exc.args = (f"{exc.args[0]} (line {pos.line}, column {pos.col})",)
        exc.line, exc.col = pos.line, pos.col
        raise


def dictionary_problems(ref: str, manifest_dir: Path | None = None) -> list[tuple[str, int, int, str, bool]]:
    """What ``rflow validate`` reports about the dictionary ``ref``: ``(file, line, col, message, is_error)``.

    A dictionary that cannot be read is a warning (CI may validate without the data folder); one
    that is invalid (YAML, keys, an RE2 pattern) is an error at its own line and column, so a bad
    pattern is refused before anything runs. Paths resolve as the step resolves them (relative
    ones from the working directory), so ``manifest_dir`` is not used.
    """
    shown = ref if is_bundled(ref) else display_name(ref)
    try:
        path = resolve_path(ref)
        stamp = path.stat()
    except (OSError, StageConfigError):
        return [(shown, 0, 0, "the data dictionary cannot be read here (checked again when the step runs)", False)]
    return list(_problems(str(path), ref, stamp.st_mtime_ns, stamp.st_size, shown))


@functools.lru_cache(maxsize=64)
def _problems(_path: str, ref: str, _mtime: int, _size: int, shown: str) -> tuple[tuple[str, int, int, str, bool], ...]:
    """Cached by file identity: 200 manifests naming one dictionary parse it once."""
    try:
        load_dictionary(ref)
    except DictionaryError as exc:
        return ((shown, exc.line, exc.col, f"{exc.where}: {exc.what}", True),)
    except StageConfigError as exc:
        return ((shown, 0, 0, str(exc), True),)
    return ()


async def configured_dictionary(context: StageContext, ref: str | None) -> Dictionary | None:
    """The dictionary a step's ``dictionary`` option names, or None when it names none.

    Why one place: schema_check, validate and deidentify each read it the same way, off the event
    loop (a large file parses while timeouts and Ctrl-C stay responsive) and inside the run's
    allowed roots; a bad file raises :class:`StageConfigError`, which each stage reports as config.
    """
    if not ref:
        return None
    return await context.run_blocking(load_dictionary, ref, allowed_roots=context.allowed_roots)


def dictionary_config_files(config: Mapping[str, Any], manifest_dir: Any = None) -> list[
        tuple[str, str, int, int, str, bool]]:
    """The ``config_files`` hook of a step with a ``dictionary`` option, for ``rflow validate``:
    ``(key, file, line, col, message, is_error)`` of each problem in the file it names.

    A module-level function, so a stage card can name it and validation need not import the stage.
    """
    ref = config.get("dictionary")
    if not isinstance(ref, str) or not ref:
        return []
    return [("dictionary", *problem) for problem in dictionary_problems(ref, manifest_dir)]
