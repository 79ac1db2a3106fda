"""Read a PHI registry file and check it: the YAML document, its schema and the rules a schema cannot say.

:mod:`engine.phi.registry` compiles a checked document into matchers; this module only reads and judges
one. Every problem names a path in the document and the rule it breaks, never the offending value;
:func:`line_of` adds the file line a problem's path starts on.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from engine.phi.dialect import dialect_problem, is_class, short_alternatives
from engine.phi.errors import PhiRegistryError
from engine.phi.fastform import class_covers_alnum

SCHEMA_FILE = "phi-registry.v1.schema.json"
# Escapes that match non-ASCII text in str patterns; the registry must spell classes explicitly.
_FORBIDDEN_ESCAPES = re.compile(r"(?<!\\)(?:\\\\)*\\[dDwWsS]")


def _load_schema() -> dict[str, Any]:
    try:
        text = resources.files("engine.schemas").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        text = (Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_bytes(path: Path) -> bytes:
    """The registry file's bytes, or a PhiRegistryError naming the file and the OS error's type."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PhiRegistryError(f"cannot read PHI registry {path.name}: {type(exc).__name__}") from None


def read_document(path: Path, data: bytes | None = None) -> Any:
    """The YAML document of ``path`` (or of its bytes ``data``); invalid YAML is a PhiRegistryError with its line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    # The C parser (ruamel.yaml.clib) where it is installed, else the pure one: the same document
    # (tests/phi/test_startup_load.py), about 7x faster on registry.yaml.
    yaml = YAML(typ="safe")
    try:
        return yaml.load((read_bytes(path) if data is None else data).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PhiRegistryError(f"cannot read PHI registry {path.name}: {type(exc).__name__}") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise PhiRegistryError(f"PHI registry {path.name} is not valid YAML{where}") from None


def validate_document(doc: Any) -> list[str]:
    """Schema and semantic problems of a registry document (empty list: valid).

    Messages name the path and the failed keyword, never the offending value.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(_load_schema())
    problems = [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: fails '{err.validator}'"
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        return problems
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    lb = doc["label_boundary"]
    regexes: list[tuple[str, str]] = [
        ("label_separator", doc["label_separator"]),
        ("prefilter", doc["prefilter"]),
        ("label_boundary/right", lb["right"]),
    ]
    problems.extend(_boundary_problems("label_boundary", lb["left"], lb["right"]))
    if not is_class(lb["after_label"]):
        problems.append("label_boundary/after_label: must be one character class")
    regexes.append(("label_boundary/glued", lb["glued"]))
    lw = doc["label_window"]
    if "word" in lw:
        regexes.append(("label_window/word", lw["word"]))
    if "punctuation" in lw and not is_class(lw["punctuation"]):
        problems.append("label_window/punctuation: must be one character class")
    if "gap" in doc.get("label_value_not_followed_by", {}):
        regexes.append(("label_value_not_followed_by/gap", doc["label_value_not_followed_by"]["gap"]))
    for ci, cat in enumerate(doc["categories"]):
        where = f"categories/{ci}"
        if cat["name"] in seen_names:
            problems.append(f"{where}/name: duplicate category name {cat['name']}")
        seen_names.add(cat["name"])
        if cat["token"] != f"[PHI:{cat['name']}]":
            problems.append(f"{where}/token: must be [PHI:{cat['name']}]")
        if "value" in cat:
            regexes.append((f"{where}/value/regex", cat["value"]["regex"]))
        context = cat.get("context", {})
        if not cat["patterns"] and "value" not in cat and not context.get("whole_cell"):
            problems.append(f"{where}: has neither patterns nor a labelled value")
        if context.get("labels") and "value" not in cat:
            problems.append(f"{where}/context/labels: text labels need a value regex")
        if context.get("columns") and "value" not in cat and not context.get("whole_cell"):
            problems.append(f"{where}/context/columns: columns need a value regex or whole_cell")
        for pi, pat in enumerate(cat["patterns"]):
            if pat["id"] in seen_ids:
                problems.append(f"{where}/patterns/{pi}/id: duplicate pattern id {pat['id']}")
            seen_ids.add(pat["id"])
            pwhere = f"{where}/patterns/{pi}"
            regexes.append((f"{pwhere}/regex", pat["regex"]))
            bound = pat["boundary"]
            problems.extend(_boundary_problems(f"{pwhere}/boundary", bound["left"], bound.get("right")))
            if "right" in bound:
                regexes.append((f"{pwhere}/boundary/right", bound["right"]))
            if "followed_by" in pat:
                regexes.append((f"{pwhere}/followed_by", pat["followed_by"]))
            if "gap" in pat.get("not_followed_by", {}):
                regexes.append((f"{pwhere}/not_followed_by/gap", pat["not_followed_by"]["gap"]))
    for where, source in regexes:
        if _FORBIDDEN_ESCAPES.search(source):
            problems.append(f"{where}: uses \\d, \\w or \\s; spell the ASCII class instead")
            continue
        dialect = dialect_problem(source)
        if dialect:
            problems.append(f"{where}: {dialect}")
            continue
        compiled = re.compile(source, re.ASCII)
        if set(compiled.groupindex) - {"value"}:
            problems.append(f"{where}: the only named group allowed is (?P<value>...)")
        if compiled.groups != len(compiled.groupindex):
            problems.append(f"{where}: use (?:...) instead of unnamed capturing groups")
        if where.endswith("/regex") and "/patterns/" in where and compiled.match("") is not None:
            problems.append(f"{where}: matches the empty string")
            continue
        if where != "label_separator" and "/gap" not in where and compiled.match("") is not None:
            problems.append(f"{where}: matches the empty string")
    return problems


def _boundary_problems(where: str, left: str, right: str | None) -> list[str]:
    out = []
    if not is_class(left):
        out.append(f"{where}/left: must be one character class")
    elif not class_covers_alnum(left):
        out.append(f"{where}/left: must exclude at least [A-Za-z0-9] (PHI never starts inside a word)")
    if right is not None and not short_alternatives(right):
        out.append(f"{where}/right: must be an alternation of one- or two-character class sequences")
    return out


def line_of(data: bytes, problem: str) -> str:
    """``problem`` (``path/in/document: what``) with the file line its path starts on, when found."""
    from ruamel.yaml import YAML

    where, _, what = problem.partition(": ")
    try:
        node: Any = YAML(typ="rt").load(data.decode("utf-8"))
        line: int | None = None
        for step in [] if where == "<root>" else where.split("/"):
            key: Any = int(step) if isinstance(node, list) else step
            lc = node.lc.item(key) if hasattr(node, "lc") else None
            line = lc[0] + 1 if lc else line
            node = node[key]
    except Exception:  # a path the round-trip document does not hold: the problem without a line
        return problem
    return f"line {line}: {where}: {what}" if line else problem
