"""Migrations to the current manifest format: legacy job configs, and older ``apiVersion``s.

**Manifest versions.** Only ``rflow/v1`` exists, so a current manifest needs no migration and any
other ``apiVersion`` has no path; the v1 -> v2 step (a function over a
:class:`~engine.authoring.text.TextDoc` that edits the text in place, so comments, blank
lines and quoting survive) lands with v2.

**Legacy job configs** (JSON or YAML, from before manifests), the payload the engine used to run
with a numeric loop over stage ids::

    {"job_id": "study-42", "stages": [1, 4, 5], "governance_mode": "DEMO",
     "config": {"4": {"on_findings": "fail"}, "validate": {"on_errors": "report"}}}

* ``stages`` (required): stage ids or keys, run in that order; a stage listed twice gets two steps
  (``key``, ``key_2``).
* ``config``: keyed by stage key or by stage id as a string; exactly like the legacy loop, the key
  wins when both are given (the id-keyed entry is dropped with a warning), a stage listed twice gets
  the same config each time, and config for a stage the job does not run is dropped with a warning.
* ``governance_mode`` (default ``DEMO``): becomes the one mode, the default. The legacy loop had no
  PHI gate: ``DEMO`` gets ``phi_policy: warn`` (what it did), any other mode ``block`` (the safe
  default; a warning says so).
* ``job_id``: a run identity, not part of a pipeline: it names the pipeline when no name is given
  (if it is a valid name) and is otherwise only mentioned in the header comment (pass
  ``rflow run --job-id`` to keep it in reports).
* ``stop_on_failure``, ``timeout_s`` -> ``defaults``; ``description`` -> ``metadata.description``;
  ``input`` (a path) -> the default of the ``dataset`` input (otherwise runs pass
  ``--input dataset=PATH``).
* Any other field is refused (nothing is silently lost), unless ``drop_unknown`` is set, which drops
  it with a warning.

The result is validated; a legacy job that would not make a valid manifest (an unknown stage, a
config the stage rejects, a step whose inputs no earlier step writes) is refused with diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from engine.authoring import render
from engine.authoring.render import Layout
from engine.authoring.templates import schema_reference
from engine.authoring.text import SpliceError, TextDoc
from engine.core.errors import RflowError, safe_excerpt
from engine.manifest.api import validate_manifest
from engine.manifest.diagnostics import Diagnostic, has_errors
from engine.manifest.legacy import is_legacy_job
from engine.manifest.loader import LoadError, load_document, read_source
from engine.manifest.schema import CURRENT_API_VERSION, show
from engine.plugins import registry_or_default

LEGACY_TARGET = "rflow/v1"
"""The manifest version a legacy job config becomes (then chained to the current one)."""
LEGACY_FIELDS = ("job_id", "stages", "governance_mode", "config", "stop_on_failure", "timeout_s", "input",
                 "description")
MAX_LEGACY_STAGES = 100
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_MODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
_COMMENT_COL = 44


class MigrationError(RflowError):
    """A source that cannot be migrated; ``diagnostics`` say why when there are positions."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = (), *, usage: bool = False) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        self.usage = usage


def _check_path(source: str, target: str) -> None:
    """Only ``rflow/v1`` exists, so a manifest of any other version has no path to ``target``.

    Older versions get one-version steps (functions over a ``TextDoc``) when ``rflow/v2`` lands.
    """
    if source != target:
        raise MigrationError(f"no migration path from apiVersion {show(source)} to {show(target)}", usage=True)


@attrs.frozen
class MigrationResult:
    text: str
    source: str
    """``legacy job config`` or the apiVersion migrated from."""
    target: str
    steps: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    """Validation warnings of the result (errors make migration fail)."""

    @property
    def changed(self) -> bool:
        return bool(self.steps)


@attrs.frozen
class LegacyOptions:
    name: str | None = None
    version: str = "1.0.0"
    drop_unknown: bool = False


def migrate_text(text: str, *, name: str = "<string>", target: str = CURRENT_API_VERSION, registry: Any = None,
                 options: LegacyOptions | None = None, output: Path | None = None) -> MigrationResult:
    """Migrate a legacy job config or an older manifest to ``target``; the result validates."""

    loaded = load_document(text.encode("utf-8"), name=name)
    if not loaded.ok:
        raise MigrationError(f"{safe_excerpt(name, 200)}: not readable as YAML or JSON", loaded.diagnostics)
    data = loaded.data
    warnings: list[str] = []
    applied: list[str] = []
    if is_legacy_job(data):
        source = "legacy job config"
        text = legacy_to_manifest(data, source_name=name, registry=registry, options=options or LegacyOptions(),
                                  output=output, warnings=warnings)
        applied.append(f"legacy job config -> {LEGACY_TARGET}")
        version = LEGACY_TARGET
    elif isinstance(data, Mapping) and isinstance(data.get("apiVersion"), str):
        source = version = str(data["apiVersion"])
    else:
        raise MigrationError(f"{safe_excerpt(name, 200)}: neither a manifest (no apiVersion) nor a legacy job config "
                             "(no stages list)", usage=True)
    _check_path(version, target)
    try:
        doc = TextDoc(text, name)
    except SpliceError as exc:
        raise MigrationError(f"migration failed: {exc}", exc.diagnostics) from None
    found: list[Diagnostic] = []
    if target == CURRENT_API_VERSION:
        shown = str(output) if output is not None else f"{name} (migrated)"
        found = validate_manifest(doc.text, registry=registry, name=shown)
        if has_errors(found):
            raise MigrationError("the migrated manifest would not be valid; nothing was written", found)
    return MigrationResult(doc.text, source, target, tuple(applied), tuple(warnings),
                           tuple(d for d in found if not d.is_error))


def migrate_file(path: str | Path, **kwargs: Any) -> MigrationResult:
    try:
        display, _, raw = read_source(Path(path), name=str(path))
    except LoadError as exc:
        raise MigrationError(f"{safe_excerpt(path, 200)}: {exc.diagnostic.message}", usage=True) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MigrationError(f"{safe_excerpt(display, 200)}: not UTF-8 text") from None
    return migrate_text(text.removeprefix("\ufeff"), name=display, **kwargs)


# -- legacy job configs ----------------------------------------------------------------------------
@attrs.frozen
class LegacyStep:
    step_id: str
    stage_key: str
    stage_id: int
    config: Mapping[str, Any]


def legacy_steps(data: Mapping[str, Any], registry: Any = None, warnings: list[str] | None = None) -> list[LegacyStep]:
    """The steps a legacy job ran, in order, with the config the legacy loop gave each."""

    reg: Any = registry_or_default(registry)
    notes = warnings if warnings is not None else []
    stages = data.get("stages")
    if not isinstance(stages, list) or not stages:
        raise MigrationError("legacy job: 'stages' must be a non-empty list of stage ids or keys")
    if len(stages) > MAX_LEGACY_STAGES:
        raise MigrationError(f"legacy job: more than {MAX_LEGACY_STAGES} stages")
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise MigrationError("legacy job: 'config' must be a mapping of stage key or id -> options")
    resolved = []
    for index, ref in enumerate(stages):
        stage = reg.find(ref) if isinstance(ref, (int, str)) and not isinstance(ref, bool) else None
        if stage is None:
            close = reg.suggestions(ref) if isinstance(ref, (int, str)) and not isinstance(ref, bool) else []
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise MigrationError(f"legacy job: stages[{index}] is not a registered stage ({show(ref)}){hint}")
        resolved.append(stage)
    used: set[str] = set()
    steps: list[LegacyStep] = []
    counts: dict[str, int] = {}
    for stage in resolved:
        key, sid = str(stage.key), int(stage.stage_id)
        counts[key] = counts.get(key, 0) + 1
        step_id = key if counts[key] == 1 else f"{key}_{counts[key]}"
        if key in config and str(sid) in config and str(sid) not in used:
            notes.append(f"config '{sid}' ignored: config '{key}' is for the same stage and wins, as in legacy runs")
        raw = config.get(key, config.get(str(sid), {}))
        used.update({key, str(sid)})
        if not isinstance(raw, Mapping):
            raise MigrationError(f"legacy job: the config of stage {show(key)} must be a mapping")
        steps.append(LegacyStep(step_id, key, sid, dict(raw)))
    for extra in config:
        if str(extra) not in used:
            notes.append(f"config {show(str(extra))} ignored: the job does not run that stage")
    return steps


def _line(text: str, comment: str = "") -> str:
    if not comment:
        return text + "\n"
    return text.ljust(_COMMENT_COL - 1) + " # " + comment + "\n"


def _name_for(data: Mapping[str, Any], source_name: str, options: LegacyOptions) -> str:
    if options.name is not None:
        if not _NAME.match(options.name):
            raise MigrationError("a pipeline name is 1-64 of a-z 0-9 . _ -, starting with a letter or digit",
                                 usage=True)
        return options.name
    candidates = [str(data.get("job_id") or ""), Path(source_name).stem]
    for candidate in candidates:
        slug = re.sub(r"[^a-z0-9_.-]+", "-", candidate.lower()).strip("-._")[:64]
        if slug and _NAME.match(slug):
            return slug
    return "legacy-job"


def legacy_to_manifest(data: Mapping[str, Any], *, source_name: str = "<string>", registry: Any = None,
                       options: LegacyOptions | None = None, output: Path | None = None,
                       warnings: list[str] | None = None) -> str:
    """The v1 manifest text of a legacy job config (see the module docstring for the rules)."""

    options = options or LegacyOptions()
    notes = warnings if warnings is not None else []
    unknown = [str(k) for k in data if k not in LEGACY_FIELDS]
    if unknown and not options.drop_unknown:
        raise MigrationError("legacy job: unknown field(s) " + ", ".join(show(k) for k in unknown[:10])
                             + "; nothing is dropped silently (use --drop-unknown to drop them)", usage=True)
    for key in unknown:
        notes.append(f"field {show(key)} dropped (not part of a legacy job config)")
    steps = legacy_steps(data, registry, notes)
    mode = data.get("governance_mode", "DEMO")
    if not isinstance(mode, str) or not _MODE.match(mode):
        raise MigrationError("legacy job: governance_mode must be a mode name (letters, digits, _ and -)")
    if "governance_mode" not in data:
        notes.append("no governance_mode: the mode is DEMO")
    for field, kinds in (("stop_on_failure", (bool,)), ("timeout_s", (int, float)), ("input", (str,)),
                         ("description", (str,)), ("job_id", (str, int))):
        value = data.get(field)
        if value is not None and (not isinstance(value, kinds) or (field != "stop_on_failure" and value is True)):
            raise MigrationError(f"legacy job: {field} has the wrong type")
    name = _name_for(data, source_name, options)
    layout = Layout()
    job_id = data.get("job_id")
    source = Path(source_name).name
    out: list[str] = [
        f"# yaml-language-server: $schema={schema_reference(output)}\n",
        "#\n",
        "# Migrated by `rflow manifest migrate` from the legacy job config"
        + (f" {source}" if show(source) != "(value not shown)" else "") + ".\n",
        f"# The legacy job ran stages {', '.join(str(s.stage_id) for s in steps)} in that order in mode "
        f"{mode}; this manifest runs the same\n",
        "# steps, in the same order, with the same configs.\n",
    ]
    if job_id is not None and show(str(job_id)) != "(value not shown)":
        out.append(f"# Its job_id ({job_id}) identifies a run, not a pipeline: to keep it in run reports, pass\n"
                   f"#   rflow run --job-id {job_id}\n")
    out += [f"apiVersion: {LEGACY_TARGET}\n", "kind: Pipeline\n", "metadata:\n",
            *render.entry("name", name, 2, layout), f'  version: "{options.version}"\n',
            *render.entry("description", data.get("description") or "Migrated from a legacy job config.", 2,
                          layout),
            "\n", "inputs:\n", "  - name: dataset\n", "    format: auto\n"]
    if data.get("input"):
        out += render.entry("default", str(data["input"]), 4, layout)
        out.append("    description: The dataset of the legacy job.\n")
    else:
        out.append(_line("    description: The dataset to process.", "pass --input dataset=PATH to rflow run"))
    stop = data.get("stop_on_failure", True)
    out += ["\n", "defaults:\n", _line(f"  stop_on_failure: {render.scalar(stop)}",
                                       "as in the legacy job: a failed step " + ("stops" if stop else "does not stop")
                                       + " the run")]
    if data.get("timeout_s") is not None:
        out += render.entry("timeout_s", data["timeout_s"], 2, layout)
    out += ["\n", "steps:\n"]
    for index, step in enumerate(steps):
        if index:
            out.append("\n")
        out += render.item_lines({"id": step.step_id}, 2, layout)
        out.append(_line(f"    stage: {step.stage_key}", f"legacy stage {step.stage_id}"))
        if step.config:
            out += render.entry("config", dict(step.config), 4, layout)
    policy = "warn" if mode == "DEMO" else "block"
    if policy == "block":
        notes.append(f"mode {mode}: phi_policy is block (legacy runs had no PHI gate); check it before use")
    out += ["\n", "governance:\n", f"  default_mode: {render.scalar(mode)}\n", "  modes:\n",
            f"    {render.key(mode)}:\n",
            f"      description: The legacy governance mode {mode}.\n",
            *render.entry("steps", [s.step_id for s in steps], 6, layout),
            _line(f"      phi_policy: {policy}", "legacy runs never stopped on PHI findings" if policy == "warn"
                  else "safe default; legacy runs had no PHI gate"),
            _line("      require: []", "approvals needed before a run, e.g. [irb_approval]")]
    return "".join(out)
