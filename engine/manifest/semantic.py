"""Semantic checks: what a schema cannot see (stages, versions, modes, data flow, gates).

They run on a schema-valid manifest so that every failure here is a real pipeline mistake, and
each one is reported at the manifest line that causes it. The data-flow check is the point of
the entity-component design: a step's ``reads`` must be written by an earlier step *in that
mode's order* or provided by a declared input, before anything runs.
"""

from __future__ import annotations

import difflib
from pathlib import Path as PathLib
from typing import Any

from engine.core.components import component_name
from engine.core.configfile import within
from engine.core.contract import mode_refusals
from engine.core.errors import safe_excerpt
from engine.core.stage_config import files_named
from engine.core.versions import check_spec, satisfies
from engine.manifest.diagnostics import Diagnostic
from engine.manifest.model import Manifest, Step
from engine.manifest.positions import Path, SourceMap
from engine.manifest.schema import show, validate_fragment
from engine.plugins.cards import StageCard, card_of

ALWAYS_PROVIDED = ("run_info",)
"""Components the engine adds to every run before the first step (see engine.core.engine_components)."""
INPUT_COMPONENT = "input_dataset"


class DataFlow:
    """A mode's steps walked in order: what each step reads that nothing before it provides.

    The one data-flow rule behind ``rflow validate`` (RF310) and ``rflow manifest remove-step``.
    """

    def __init__(self, has_inputs: bool) -> None:
        self.available = set(ALWAYS_PROVIDED) | ({INPUT_COMPONENT} if has_inputs else set())

    def step(self, stage: Any) -> list[str]:
        """The components ``stage`` (a class or its card) reads that are not available yet; then
        what it writes is."""
        missing = [name for name in _component_names(stage.reads) if name not in self.available]
        self.available.update(_component_names(stage.writes))
        return missing


def _component_names(types: Any) -> list[str]:
    """Component names of a stage class's reads/writes, or of its card's (already names)."""

    return [t if isinstance(t, str) else component_name(t) for t in types]


class _Checker:
    def __init__(self, manifest: Manifest, smap: SourceMap, name: str, registry: Any) -> None:
        self.m = manifest
        self.smap = smap
        self.name = name
        self.registry = registry
        self.out: list[Diagnostic] = []
        self.stages: dict[str, Any] = {}
        """step id -> resolved stage class (only steps whose stage resolved)."""

    def add(self, path: Path, code: str, message: str, hint: str = "", *, key: bool = False,
            severity: str | None = None) -> None:
        pos = self.smap.locate(path, at="key" if key else "value")
        extra = {"severity": severity} if severity else {}
        self.out.append(Diagnostic(self.name, pos.line, pos.col, code, message, hint=hint,
                                   end_line=pos.end_line, end_col=pos.end_col, path=tuple(path), **extra))

    # -- steps ------------------------------------------------------------------------------------
    def check_steps(self) -> None:
        first_index: dict[str, int] = {}
        any_unknown = False
        for index, step in enumerate(self.m.steps):
            if step.id in first_index:
                self.add(("steps", index, "id"), "RF304", f"duplicate step id {show(step.id)}",
                         f"step ids must be unique; the first is steps[{first_index[step.id]}]")
                continue
            first_index[step.id] = index
            stage = self.resolve(index, step)
            if stage is None:
                any_unknown = True
                continue
            self.stages[step.id] = stage
            self.check_config(index, step, stage)
        if any_unknown:
            for err in getattr(self.registry, "plugin_errors", [])[:5]:
                self.add((), "RF318", "a stage plugin failed to load", safe_excerpt(err, 300))

    def resolve(self, index: int, step: Step) -> Any:
        ref = step.stage_ref
        path = ("steps", index, "stage")
        stage = _describe(self.registry, ref)
        if stage is None:
            close = self.registry.suggestions(ref)
            if close:
                hint = "did you mean " + ", ".join(close) + "?"
            else:
                known = self.registry.keys()
                hint = ("registered stages: " + ", ".join(known)) if known else "no stages are registered"
            self.add(path, "RF301", f"unknown stage {show(ref)}", hint + " (see `rflow stages list`)")
            return None
        spec = step.version_spec
        if spec is not None:
            try:
                check_spec(spec)
            except ValueError:
                self.add(path, "RF303", f"invalid version pin on stage {show(stage.key)}",
                         "write a version (1, 1.2, 1.2.3) or comparisons joined by commas: '>=1.2,<2'")
                return stage
            if not satisfies(stage.version, spec):
                self.add(path, "RF302",
                         f"stage {show(stage.key)} is installed at version {stage.version}, "
                         f"which does not satisfy the pin",
                         f"install a matching version of the stage, or change the pin to '{stage.key}@"
                         f"{stage.version.split('.')[0]}'")
        return stage

    def check_config(self, index: int, step: Step, stage: Any) -> None:
        text = _config_schema_text(stage)
        if text is None:
            return
        base = ("steps", index, "config")
        found = validate_fragment(text, dict(step.config), self.smap, self.name, base, code="RF309")
        self.out.extend(found)
        if not found:
            self.check_config_rules(base, step, stage)
            if self.check_config_roots(base, step, stage):
                self.check_config_files(base, step, stage)

    def check_config_rules(self, base: Path, step: Step, stage: Any) -> None:
        """Settings that are each valid but together break a rule the stage states (RF321).

        Through the stage's optional ``config_problems(config)`` hook, ``(keys, message, hint)``
        each: the engine does not import the built-in stages, and only the stage knows its rules
        (a deidentify step's profile). Reported at the setting that breaks the rule.
        """
        hook = _hook(stage, "config_problems")
        if hook is None:
            return
        try:
            problems = list(hook(dict(step.config)))
        except Exception as exc:  # a stage's hook must not break validation of the manifest
            self.add(base, "RF321", f"step {show(step.id)}: its settings could not be checked ({type(exc).__name__})")
            return
        for keys, message, hint in problems[:20]:
            self.add((*base, *keys), "RF321", f"step {show(step.id)}: {safe_excerpt(message, 200)}",
                     safe_excerpt(hint, 300))

    def check_config_roots(self, base: Path, step: Step, stage: Any) -> bool:
        """Every file the step's config names must be under ``governance.allowed_roots``.

        Paths resolve as the step resolves them (relative ones from the working directory). False
        when one is outside: then nothing reads it, not even to check it.
        """

        roots = self.m.governance.roots(self.m.path.parent if self.m.path is not None else None)
        if not roots:
            return True
        inside = True
        for key, ref in files_named(stage.config_files, step.config):
            if ref.startswith("bundled:") or within(PathLib(ref), roots):
                continue
            inside = False
            self.add((*base, key), "RF324",
                     f"step {show(step.id)}: {key} names a file outside governance.allowed_roots",
                     "move the file under an allowed root, or add its folder to governance.allowed_roots "
                     "(symlinks and '..' are resolved first)")
        return inside

    def check_config_files(self, base: Path, step: Step, stage: Any) -> None:
        """Files a step's config names (a data dictionary), through the stage's optional ``config_files``.

        Why a hook: the engine never imports the built-in stages, and only a stage knows which of
        its options are files and what is valid inside them. A problem inside the file is an error
        at that file's line and column; the manifest gets one RF320 at the option that names it.
        """
        hook = _hook(stage, "config_files")
        if hook is None:
            return
        manifest_dir = self.m.path.parent if self.m.path is not None else None
        try:
            problems = list(hook(dict(step.config), manifest_dir))
        except Exception as exc:  # a stage's hook must not break validation of the manifest
            self.add((*base,), "RF320", f"step {show(step.id)}: its config files could not be checked "
                     f"({type(exc).__name__})")
            return
        for key, file, line, col, message, is_error in problems[:20]:
            text = _safe_gate_message(message)
            pos = self.smap.locate((*base, key))
            self.out.append(Diagnostic(
                self.name, pos.line, pos.col, "RF320", f"step {show(step.id)}: {key} names a file with a problem",
                severity="error" if is_error else "warning", hint=f"{file}:{line}:{col}: {text}",
                end_line=pos.end_line, end_col=pos.end_col, path=(*base, key)))
            if is_error:
                self.out.append(Diagnostic(file, line, col, "RF320", text))

    # -- inputs -----------------------------------------------------------------------------------
    def check_inputs(self) -> None:
        seen: set[str] = set()
        base = self.m.path.parent if self.m.path is not None else None
        for index, item in enumerate(self.m.inputs):
            if item.name in seen:
                self.add(("inputs", index, "name"), "RF315", f"duplicate input name {show(item.name)}",
                         "input names must be unique")
            seen.add(item.name)
            if item.default is None or (base is None and not item.default.startswith("bundled:")):
                continue
            try:
                target = item.default_path(base)
                exists = target is not None and target.is_file()
            except (OSError, ValueError):
                exists = False
            if not exists:
                where = "in engine/data/" if item.default.startswith("bundled:") else "relative to the manifest"
                self.add(("inputs", index, "default"), "RF316",
                         f"default of input {show(item.name)} does not name an existing file",
                         f"the file is looked up {where}; runs must pass --input {item.name}=PATH")

    # -- governance -------------------------------------------------------------------------------
    def check_roots(self) -> None:
        """Each allowed root must be a folder: an error if it is something else, a warning if it is
        missing here (CI may validate without the data folders)."""
        base = self.m.path.parent if self.m.path is not None else None
        for k, folder in enumerate(self.m.governance.roots(base)):
            try:
                is_dir, exists = folder.is_dir(), folder.exists()
            except OSError:
                is_dir, exists = False, False
            if exists and not is_dir:
                self.add(("governance", "allowed_roots", k), "RF323", f"allowed root {k + 1} is not a folder",
                         "name a folder; relative folders are relative to the manifest's folder")
            elif not exists:
                self.add(("governance", "allowed_roots", k), "RF323", f"allowed root {k + 1} does not exist here",
                         "relative folders are relative to the manifest's folder", severity="warning")

    def check_governance(self) -> None:
        modes = self.m.governance.modes
        default = self.m.governance.default_mode
        if default not in modes:
            close = difflib.get_close_matches(default, list(modes), n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"defined modes: {', '.join(modes)}"
            self.add(("governance", "default_mode"), "RF312", f"default_mode {show(default)} is not a defined mode",
                     hint)
        step_ids = [s.id for s in self.m.steps]
        used: set[str] = set()
        for mode_name, mode in modes.items():
            mpath: Path = ("governance", "modes", mode_name)
            used.update(mode.steps)
            if mode.allow_stages is not None:
                for k, key in enumerate(mode.allow_stages):
                    if self.registry.find(key) is None:
                        close = self.registry.suggestions(key)
                        self.add((*mpath, "allow_stages", k), "RF317", f"allow_stages names unknown stage {show(key)}",
                                 ("did you mean " + ", ".join(close) + "?") if close else "")
            self.check_mode_steps(mode_name, mode, mpath, step_ids)
        for index, step in enumerate(self.m.steps):
            if step.id not in used:
                self.add(("steps", index), "RF311", f"step {show(step.id)} is not used by any mode",
                         "add it to a mode's steps, or remove it")

    def check_mode_steps(self, mode_name: str, mode: Any, mpath: Path, step_ids: list[str]) -> None:
        flow = DataFlow(bool(self.m.inputs))
        seen: list[str] = []
        unknown = False
        for j, step_id in enumerate(mode.steps):
            spath = (*mpath, "steps", j)
            if step_id in seen:
                self.add(spath, "RF306", f"step {show(step_id)} is listed twice in mode {show(mode_name)}",
                         "a step runs at most once per mode")
                continue
            if step_id not in step_ids:
                close = difflib.get_close_matches(step_id, step_ids, n=1, cutoff=0.6)
                self.add(spath, "RF305", f"mode {show(mode_name)} names unknown step {show(step_id)}",
                         f"did you mean {close[0]!r}?" if close else f"steps: {', '.join(step_ids)}")
                unknown = True
                continue
            seen.append(step_id)
            stage = self.stages.get(step_id)
            if stage is None:
                continue
            refusals = mode_refusals(stage, mode_name, mode.allow_stages)
            if "modes" in refusals:
                self.add(spath, "RF307", f"stage {show(stage.key)} (step {show(step_id)}) is not safe for mode "
                         f"{show(mode_name)}", f"the stage declares modes: {', '.join(stage.modes)}")
            if "allow_stages" in refusals:
                self.add(spath, "RF308", f"stage {show(stage.key)} (step {show(step_id)}) is not in "
                         f"allow_stages of mode {show(mode_name)}", "add the stage key to allow_stages, "
                         "or remove the step from this mode")
            for comp in flow.step(stage):
                self.add(spath, "RF310", f"step {show(step_id)} reads {comp!r}, which no earlier step in mode "
                         f"{show(mode_name)} writes and no declared input provides",
                         self._provider_hint(comp, step_id))
        self.check_gates(mode_name, mode, mpath, seen, unknown)

    def _provider_hint(self, comp: str, step_id: str) -> str:
        if comp == INPUT_COMPONENT:
            return "declare the dataset under inputs:"
        writers = [sid for sid, st in self.stages.items() if sid != step_id and comp in _component_names(st.writes)]
        if writers:
            return "run it after step " + " or ".join(repr(w) for w in writers[:3]) + ", which writes it"
        return "no step in this manifest writes it; add a stage that does"

    def check_gates(self, mode_name: str, mode: Any, mpath: Path, order: list[str], unknown: bool) -> None:
        """Gate problems; a gate on a step missing from a mode that names unknown steps is not
        reported again (the misspelt step name already is)."""
        if not mode.gates:
            return
        from engine.manifest.gates import check_gate  # only a manifest with a gate loads the gate checks

        for step_id, expr in mode.gates.items():
            gpath = (*mpath, "gates", step_id)
            if step_id not in order:
                if unknown:
                    continue
                self.add(gpath, "RF314", f"gate for step {show(step_id)}, which does not run in mode "
                         f"{show(mode_name)}", "gate only steps listed in this mode's steps", key=True)
                continue
            earlier = frozenset(order[: order.index(step_id)])
            for offset, message in check_gate(expr, earlier):
                pos = self.smap.offset_position(gpath, offset)
                self.out.append(Diagnostic(self.name, pos.line, pos.col, "RF313", _safe_gate_message(message),
                                           hint="gates compare earlier steps' output fields, e.g. "
                                           "phi_scan.findings_total == 0", path=gpath))


def _describe(registry: Any, ref: Any) -> StageCard | None:
    """The stage's card (:mod:`engine.plugins.cards`): from its plugin's card file when it ships one,
    so validating imports no stage module; from the class otherwise (a registry without cards, an
    embedder's, gives classes)."""
    if hasattr(registry, "card"):
        found: StageCard | None = registry.card(ref)
        return found
    cls = registry.find(ref)
    return None if cls is None else card_of(cls)


def _hook(stage: Any, name: str) -> Any:
    try:
        return stage.hook(name)
    except Exception:  # a hook that cannot be imported is reported like one that fails
        return _broken_hook


def _broken_hook(*_args: Any) -> list[Any]:
    raise RuntimeError("the stage's validation hook could not be loaded")


def _config_schema_text(stage: Any) -> str | None:
    """A stage's config schema as canonical JSON (the validator cache key); None if it has none."""
    text = stage.config_schema
    return text if isinstance(text, str) else None


def _safe_gate_message(message: str) -> str:
    return safe_excerpt(message, 300)


def check(manifest: Manifest, smap: SourceMap, name: str, registry: Any) -> list[Diagnostic]:
    """All semantic problems of a schema-valid manifest."""
    checker = _Checker(manifest, smap, name, registry)
    checker.check_steps()
    checker.check_inputs()
    checker.check_governance()
    checker.check_roots()
    return checker.out
