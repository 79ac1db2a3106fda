"""A plan: the ordered steps a mode would run, resolved and checked, with the policies that apply.

``Plan.steps`` are :class:`engine.execution.step_runner.PlannedStep` objects, exactly what the runner executes;
``Plan.entries`` carry what a person or a report wants to see about each (stage identity,
reads/writes, gate, timeout). Building a plan never runs anything.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from engine.core.contract import PlannedStep
from engine.core.stage_config import structure_config
from engine.manifest.model import Manifest
from engine.plugins.cards import StageCard, card_of


@attrs.frozen
class PlanEntry:
    """One step of the plan: the step, its stage as validation sees it (its card), its config."""

    index: int
    planned: PlannedStep
    stage: StageCard
    config: dict[str, Any]
    description: str = ""

    @property
    def step_id(self) -> str:
        return self.planned.step_id

    @property
    def reads(self) -> tuple[str, ...]:
        """The components the step reads; an optional one marked ``?``."""
        return self.stage.reads + tuple(f"{name}?" for name in self.stage.optional_reads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.step_id,
            "description": self.description,
            "stage": {"id": self.stage.stage_id, "key": self.stage.key, "name": self.stage.stage_name,
                      "version": self.stage.version},
            "reads": list(self.reads),
            "writes": list(self.stage.writes),
            "timeout_s": self.planned.timeout_s,
            "gate": self.planned.gate,
            "config": self.config,
        }


@attrs.frozen
class Plan:
    manifest: Manifest = attrs.field(repr=False)
    mode: str
    entries: tuple[PlanEntry, ...]
    phi_policy: str
    require: tuple[str, ...]
    allow_stages: tuple[str, ...] | None
    stop_on_failure: bool

    @property
    def steps(self) -> tuple[PlannedStep, ...]:
        """What :func:`engine.execution.step_runner.execute_plan` takes."""
        return tuple(e.planned for e in self.entries)

    @property
    def excluded(self) -> tuple[str, ...]:
        """Step ids of the manifest that do not run in this mode."""
        chosen = {e.step_id for e in self.entries}
        return tuple(s.id for s in self.manifest.steps if s.id not in chosen)

    def policies(self) -> dict[str, Any]:
        return {
            "phi_policy": self.phi_policy,
            "require": list(self.require),
            "allow_stages": None if self.allow_stages is None else list(self.allow_stages),
            "stop_on_failure": self.stop_on_failure,
            "gates": {e.step_id: e.planned.gate for e in self.entries if e.planned.gate},
        }

    def to_dict(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "pipeline": {"name": m.metadata.name, "version": m.metadata.version, "api_version": m.api_version,
                         "path": None if m.path is None else str(m.path), "sha256": m.sha256},
            "mode": self.mode,
            "mode_description": m.governance.modes[self.mode].description,
            "policies": self.policies(),
            "inputs": [{"name": i.name, "format": i.format, "default": i.default} for i in m.inputs],
            "steps": [e.to_dict() for e in self.entries],
            "not_in_mode": list(self.excluded),
        }

    def render_text(self) -> str:
        m = self.manifest
        p = self.policies()
        lines = [
            f"plan: {m.metadata.name} {m.metadata.version}, mode {self.mode}"
            + (f" (sha256 {m.sha256[:12]})" if m.sha256 else ""),
            f"policies: phi_policy={p['phi_policy']}  require={','.join(p['require']) or '-'}  "
            f"allow_stages={','.join(p['allow_stages']) if p['allow_stages'] is not None else 'any'}  "
            f"stop_on_failure={'true' if self.stop_on_failure else 'false'}",
            f"inputs: {', '.join(f'{i.name} ({i.format})' for i in m.inputs) or '-'}",
            "",
        ]
        width = max((len(e.step_id) for e in self.entries), default=4)
        for e in self.entries:
            timeout = f"  timeout {e.planned.timeout_s:g}s" if e.planned.timeout_s else ""
            lines.append(f"{e.index:>3}. {e.step_id.ljust(width)}  stage {e.stage.key} (#{e.stage.stage_id}) "
                         f"v{e.stage.version}{timeout}")
            lines.append(f"     reads: {', '.join(e.reads) or '-'}   writes: {', '.join(e.stage.writes) or '-'}")
            if e.planned.gate:
                lines.append(f"     gate: {e.planned.gate}")
        if self.excluded:
            lines.append(f"not in this mode: {', '.join(self.excluded)}")
        lines.append("nothing was run (plan only).")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str) + "\n"


def build_plan(manifest: Manifest, mode_name: str, registry: Any) -> Plan:
    """Resolve the mode's steps (the manifest is assumed to have passed semantic checks)."""

    mode = manifest.governance.modes[mode_name]
    entries = []
    for index, step_id in enumerate(mode.steps, start=1):
        step = manifest.step(step_id)
        stage: Any = registry.get(step.stage_ref)
        timeout = step.timeout_s if step.timeout_s is not None else manifest.defaults.timeout_s
        config = dict(step.config)
        planned = PlannedStep(step.id, stage, structure_config(stage.Config, config), timeout,
                              mode.gates.get(step.id))
        entries.append(PlanEntry(index=index, planned=planned, stage=card_of(stage), config=config,
                                 description=step.description))
    return Plan(
        manifest=manifest, mode=mode_name, entries=tuple(entries), phi_policy=mode.phi_policy,
        require=tuple(mode.require), allow_stages=mode.allow_stages,
        stop_on_failure=manifest.defaults.stop_on_failure,
    )
