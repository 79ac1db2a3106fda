"""``--only`` / ``--from``: which steps a selection runs, and the steps it cannot run without.

A selected step never runs without what it reads, nor past a decision it depends on. So the
selection pulls in, transitively and in plan order:

* the producer of every component a selected step ``reads`` (the latest earlier step that
  ``writes`` it; the engine's own ``input_dataset`` and ``run_info`` need none);
* every step a selected step's gate refers to;
* every gatekeeping step (approval, intake, schema) before a selected step that reads raw data:
  a selection is not a way around a gatekeeper.

Each pulled-in step is a ``selection``/``included`` decision with the reason, and the run says so
in one line, as Kedro does for ``--from-nodes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from engine.core.components import component_name
from engine.core.contract import PlannedStep
from engine.core.engine_components import InputDataset, RunInfo
from engine.core.errors import RflowError, safe_excerpt
from engine.governance.policy import PolicyDecision, is_gatekeeping, reads_raw_data
from engine.manifest.gates import gate_steps

ENGINE_PROVIDED: tuple[type, ...] = (InputDataset, RunInfo)
"""Components in the world before any step runs."""


class SelectionError(RflowError):
    """An ``--only``/``--from`` that names no step of the mode (CLI exit 2)."""



def _writes(step: PlannedStep) -> tuple[type, ...]:
    stage: Any = step.stage
    return tuple(stage.writes)

def _requested(steps: Sequence[PlannedStep], only: Iterable[str] | None, from_step: str | None) -> list[str]:
    ids = [s.step_id for s in steps]
    chosen = list(ids)
    if from_step is not None:
        if from_step not in ids:
            raise SelectionError(f"--from {safe_excerpt(from_step, 40)!r} is not a step of this mode: {', '.join(ids)}")
        chosen = chosen[ids.index(from_step):]
    if only:
        wanted = list(only)
        missing = [w for w in wanted if w not in ids]
        if missing:
            shown = safe_excerpt(missing[0], 40)
            raise SelectionError(f"--only {shown!r} is not a step of this mode: {', '.join(ids)}")
        chosen = [i for i in chosen if i in wanted]
    return chosen


def _needs(steps: Sequence[PlannedStep], index: int) -> list[tuple[str, str]]:
    """``(step_id, why)`` of the earlier steps that step ``index`` cannot run without."""
    step = steps[index]
    stage: Any = step.stage
    earlier = steps[:index]
    needs: list[tuple[str, str]] = []
    for component in stage.reads:
        if component in ENGINE_PROVIDED:
            continue
        producers = [s for s in earlier if component in _writes(s)]
        if producers:
            needs.append((producers[-1].step_id, f"it writes {component_name(component)}, "
                                                 f"which '{step.step_id}' reads"))
    known = {s.step_id for s in earlier}
    for ref in gate_steps(step.gate) if step.gate else ():
        if ref in known:
            needs.append((ref, f"the gate of '{step.step_id}' refers to it"))
    if reads_raw_data(stage):
        for gatekeeper in earlier:
            if is_gatekeeping(gatekeeper.stage):
                needs.append((gatekeeper.step_id, f"it is a gatekeeping step before '{step.step_id}', "
                                                  "which reads raw data"))
    return needs


def select_steps(steps: Sequence[PlannedStep], only: Iterable[str] | None, from_step: str | None
                 ) -> tuple[list[PlannedStep], list[PolicyDecision]]:
    """The steps to run, in plan order, and the decisions: ``included`` and ``excluded`` steps.

    Unknown step ids raise :class:`SelectionError`.
    """
    if not only and from_step is None:
        return list(steps), []
    chosen = set(_requested(steps, only, from_step))
    why: dict[str, str] = {}
    position = {s.step_id: i for i, s in enumerate(steps)}
    pending = sorted(chosen, key=position.__getitem__)
    while pending:
        current = pending.pop()
        for needed, reason in _needs(steps, position[current]):
            if needed not in chosen:
                chosen.add(needed)
                why[needed] = reason
                pending.append(needed)
    selected = [s for s in steps if s.step_id in chosen]
    decisions = [PolicyDecision("selection", i, "included", f"also run: {r}") for i, r in why.items()]
    decisions.sort(key=lambda d: position[d.subject])
    decisions += [
        PolicyDecision("selection", s.step_id, "excluded", "not selected by --only/--from")
        for s in steps if s.step_id not in chosen
    ]
    return selected, decisions


def pulled_in_line(decisions: Iterable[Any]) -> str | None:
    """One line naming the steps a selection pulled in (``None``: none)."""
    included = [d for d in decisions if getattr(d, "policy", None) == "selection"
                and getattr(d, "outcome", None) == "included"]
    if not included:
        return None
    names = ", ".join(d.subject for d in included)
    return (f"selection: also ran {names}: steps the selection reads from, gates on or must pass first "
            "(reasons in report.json)")
