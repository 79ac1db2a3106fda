"""One type for every manifest problem, with stable codes and three renderers.

Why stable codes: CI logs, editor integrations and docs refer to a problem by its code, so a code
never changes meaning; new problems get new codes. Messages are built from structure (paths, kinds,
schema keywords), never from raw manifest values, because a manifest value may hold PHI.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from engine.core.display import shown, shown_path


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


# code -> (default severity, short title). The table in docs/manifest.md mirrors this one.
CODES: dict[str, tuple[Severity, str]] = {
    # RF1xx: reading and YAML
    "RF100": (Severity.ERROR, "file cannot be read"),
    "RF101": (Severity.ERROR, "file exceeds the size cap"),
    "RF102": (Severity.ERROR, "file is not valid UTF-8"),
    "RF103": (Severity.ERROR, "tab character in indentation"),
    "RF104": (Severity.ERROR, "invalid YAML syntax"),
    "RF105": (Severity.ERROR, "more than one YAML document"),
    "RF106": (Severity.ERROR, "duplicate key"),
    "RF107": (Severity.ERROR, "too many anchors/aliases (alias bomb guard)"),
    "RF108": (Severity.ERROR, "mapping key is not a string"),
    "RF109": (Severity.ERROR, "empty manifest"),
    "RF110": (Severity.ERROR, "unquoted value was typed by YAML (number, date, boolean) where text is expected"),
    "RF111": (Severity.ERROR, "explicit YAML tag"),
    "RF112": (Severity.ERROR, "nesting too deep"),
    "RF113": (Severity.ERROR, "number is not finite or out of range"),
    "RF114": (Severity.ERROR, "text holds a control character or a lone surrogate"),
    "RF115": (Severity.ERROR, "YAML directive (%YAML, %TAG)"),
    "RF119": (Severity.ERROR, "the file could not be checked"),
    # RF2xx: JSON Schema
    "RF200": (Severity.ERROR, "missing or unsupported apiVersion"),
    "RF201": (Severity.ERROR, "unexpected key"),
    "RF202": (Severity.ERROR, "missing required key"),
    "RF203": (Severity.ERROR, "wrong type"),
    "RF204": (Severity.ERROR, "value not allowed"),
    "RF205": (Severity.ERROR, "text does not match the expected form"),
    "RF206": (Severity.ERROR, "value out of range or wrong size"),
    "RF207": (Severity.ERROR, "duplicate list items"),
    "RF208": (Severity.ERROR, "schema violation"),
    # RF3xx: semantics (stages, modes, data flow)
    "RF301": (Severity.ERROR, "unknown stage"),
    "RF302": (Severity.ERROR, "installed stage version does not satisfy the pin"),
    "RF303": (Severity.ERROR, "invalid version pin"),
    "RF304": (Severity.ERROR, "duplicate step id"),
    "RF305": (Severity.ERROR, "mode names an unknown step"),
    "RF306": (Severity.ERROR, "step listed twice in a mode"),
    "RF307": (Severity.ERROR, "stage is not safe for this mode"),
    "RF308": (Severity.ERROR, "stage not in the mode's allow_stages"),
    "RF309": (Severity.ERROR, "step config fails the stage's config schema"),
    "RF310": (Severity.ERROR, "step reads a component nothing earlier provides"),
    "RF311": (Severity.WARNING, "step is not used by any mode"),
    "RF312": (Severity.ERROR, "default_mode is not defined"),
    "RF313": (Severity.ERROR, "invalid gate expression"),
    "RF314": (Severity.ERROR, "gate for a step that does not run in this mode"),
    "RF315": (Severity.ERROR, "duplicate input name"),
    "RF316": (Severity.WARNING, "input default file not found"),
    "RF317": (Severity.ERROR, "allow_stages names an unknown stage"),
    "RF318": (Severity.WARNING, "a stage plugin failed to load"),
    "RF320": (Severity.ERROR, "a file the step config names is invalid (or, as a warning, unreadable)"),
    "RF321": (Severity.ERROR, "step settings that break a rule of the stage (a de-identification profile)"),
    "RF323": (Severity.ERROR, "an allowed root is not a folder (or, as a warning, does not exist here)"),
    "RF324": (Severity.ERROR, "a file the step config names is outside governance.allowed_roots"),
}


def default_severity(code: str) -> Severity:
    return CODES.get(code, (Severity.ERROR, ""))[0]


@attrs.frozen
class Diagnostic:
    """A problem at a place in a manifest. Lines and columns are 1-based (0 = unknown)."""

    file: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = attrs.field(
        default=attrs.Factory(lambda self: default_severity(self.code), takes_self=True), converter=Severity
    )
    hint: str = ""
    end_line: int = 0
    end_col: int = 0
    path: tuple[str | int, ...] = ()
    """Where in the document (keys and list indices); empty for file-level problems."""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": shown_path(self.file),
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "path": "/".join(shown(str(p), limit=200) for p in self.path),
        }


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    """True if any error (or, with ``strict``, any warning too)."""
    return any(d.is_error or strict for d in diagnostics)


def sort_key(d: Diagnostic) -> tuple[int, int, int, int, str]:
    """Errors before warnings, then shallower paths (more relevant) first, then file order."""
    return (0 if d.is_error else 1, len(d.path), d.line, d.col, d.code)


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    """Compiler-style lines: ``path:line:col: error RF201 message`` plus an indented hint."""
    out: list[str] = []
    for d in diagnostics:
        out.append(f"{shown_path(d.file)}:{d.line}:{d.col}: {d.severity.value} {d.code} {shown(d.message, 2000)}")
        if d.hint:
            out.append(f"    hint: {shown(d.hint, 2000)}")
    return "\n".join(out) + ("\n" if out else "")


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2) + "\n"


def _gh_escape(text: str, *, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands (``::error file=...,line=...::message``)."""
    out = []
    for d in diagnostics:
        level = "error" if d.is_error else "warning"
        props = [f"file={_gh_escape(shown_path(d.file), prop=True)}"]
        if d.line:
            props.append(f"line={d.line}")
        if d.col:
            props.append(f"col={d.col}")
        if d.end_line:
            props.append(f"endLine={d.end_line}")
        if d.end_col and d.end_line == d.line:
            props.append(f"endColumn={d.end_col}")
        props.append(f"title={_gh_escape(d.code, prop=True)}")
        message = shown(d.message, 2000) + (f" (hint: {shown(d.hint, 2000)})" if d.hint else "")
        out.append(f"::{level} {','.join(props)}::{_gh_escape(d.code + ' ' + message)}")
    return "\n".join(out) + ("\n" if out else "")


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return f"{files} manifest(s) checked: {errors} error(s), {warnings} warning(s)"
