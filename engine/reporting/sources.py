"""Which manifest line a governance decision came from (``demo.yaml:84  phi_policy: warn``).

Decisions in report.json name a policy and a subject; the manifest's source map knows where the
mode, its steps list, its gates and its approvals are written. The manifest is read again only
when its SHA-256 is the one the run recorded: a changed file would point at the wrong lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.core.display import shown
from engine.manifest import load_manifest

Locator = Callable[[Mapping[str, Any]], str]


def load_recorded_manifest(data: Mapping[str, Any]) -> Any | None:
    """The run's manifest, if it is still where the report says and unchanged; else ``None``."""
    recorded = data.get("manifest")
    if not isinstance(recorded, Mapping) or not isinstance(recorded.get("path"), str):
        return None
    path = Path(recorded["path"])
    try:
        if not path.is_file():
            return None

        manifest = load_manifest(path)
    except Exception:  # any problem: the report is rendered without manifest lines
        return None
    return manifest if manifest.sha256 == recorded.get("sha256") else None


def _path_for(manifest: Any, mode: str, decision: Mapping[str, Any]) -> tuple[str | int, ...]:
    policy, subject = decision.get("policy"), decision.get("subject")
    steps = [s.id for s in manifest.steps]
    inputs = [i.name for i in manifest.inputs]
    modes = manifest.governance.modes
    base: tuple[str | int, ...] = ("governance", "modes", mode)
    if mode not in modes:
        return ("governance", "modes")
    rules = modes[mode]
    if policy == "stage_allowed":
        if rules.allow_stages is not None:
            return (*base, "allow_stages")
        return (*base, "steps", list(rules.steps).index(subject)) if subject in rules.steps else (*base, "steps")
    if policy == "approval":
        if subject in rules.require:
            return (*base, "require", list(rules.require).index(subject))
        return (*base, "require")
    if policy == "gate":
        return (*base, "gates", str(subject))
    if policy == "phi":
        return (*base, "phi_policy")
    if policy == "input" and subject in inputs:
        return ("inputs", inputs.index(subject))
    if subject in steps:
        return ("steps", steps.index(subject))
    return base


def locator(manifest: Any | None, mode: str) -> Locator:
    """A function from a decision to ``file:line  source text`` (empty when unknown)."""
    smap = getattr(manifest, "source_map", None)
    if manifest is None or smap is None:
        return lambda decision: ""
    source = getattr(manifest, "source", None)
    name = Path(str(getattr(source, "name", "") or getattr(manifest, "path", "") or "manifest")).name

    def where(decision: Mapping[str, Any]) -> str:
        try:
            position = smap.locate(_path_for(manifest, mode, decision))
        except Exception:  # a decision the map cannot place is shown without a line
            return ""
        line = position.line
        content = smap.lines[line - 1].strip() if 0 < line <= len(smap.lines) else ""
        return shown(f"{name}:{line}  {content}".rstrip(), 160)

    return where
