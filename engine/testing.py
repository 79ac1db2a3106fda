"""Testing stages: a harness that runs them through governance like a run does, and a stage factory.

For the built-in stages' tests and for third-party stage authors. :func:`run_stages` plans the
stages by key, takes the mode's governance preflight (approvals, stage allowance) and runs them
with the governance policy (gatekeepers, the PHI policy, gates) over real files, without a run
folder, report or audit log. :func:`make_stage` builds a stage class from a coroutine, for tests of
the engine itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from engine.core.components import World
from engine.core.contract import ANY_MODE, EmptyConfig, StageContext, StageResult
from engine.core.engine_components import InputDataset
from engine.execution.executors import Executor
from engine.execution.step_runner import RunObserver, execute_plan, plan_stage_ids
from engine.governance.policy import GovernancePolicy, ModeRules, PolicyDecision, preflight, refused, refused_results
from engine.plugins import StageRegistry

T = TypeVar("T")

Execute = Callable[[Any, StageContext], Awaitable[StageResult]]

TEST_PHI_KEY = b"k" * 32
"""A fixed PHI key, so digests and pseudonyms are the same in every test run."""


@attrs.frozen
class StageRun:
    """What a harness run left: each step's result, the World, the workspace, governance's decisions."""

    results: list[StageResult]
    world: World
    workspace: Path
    decisions: list[PolicyDecision]

    def result(self, key: str) -> StageResult:
        """The result of the (first) step of stage ``key``."""
        return next(r for r in self.results if r.stage_key == key)

    def component(self, entity: str, ctype: type[T]) -> T | None:
        return self.world.get(entity, ctype)


def run_stages(
    keys: Sequence[str],
    inputs: Mapping[str, Path | str] | Path | str,
    workspace: Path,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    mode: str = "DEMO",
    policy: Mapping[str, Any] | None = None,
    approvals: Iterable[Any] = (),
    fmt: str = "auto",
    phi_key: bytes | None = TEST_PHI_KEY,
    registry: StageRegistry | None = None,
    stop_on_failure: bool = True,
    observer: RunObserver | None = None,
    executor: Executor | None = None,
) -> StageRun:
    """Run the stages ``keys`` in order over ``inputs`` (one path: the input ``dataset``), governed.

    ``policy`` holds the mode's rules as a manifest states them (``phi_policy``, default ``warn``;
    ``require``, ``allow_stages``, ``gates``). A preflight refusal blocks every step, as in a run.
    ``executor`` is where the steps' tasks run (``StageContext.executor``; None: in process).
    """
    rules = ModeRules.from_mode(mode, _Mode(**dict(policy or {})))
    steps = plan_stage_ids(keys, configs, registry)
    approvals = tuple(approvals)
    world = World()
    named = inputs if isinstance(inputs, Mapping) else {"dataset": inputs}
    for name, path in named.items():
        world.add(f"input:{name}", InputDataset(name, str(path), fmt))
    decisions = preflight(rules, steps, approvals)
    if refused(decisions):
        return StageRun(refused_results(steps), world, workspace, decisions)
    governance = GovernancePolicy(rules)
    context = StageContext(
        mode=mode, world=world, workspace=workspace, policy=rules.as_policy_mapping(), approvals=approvals,
        phi_key=phi_key, executor=executor,
    )
    outcome = asyncio.run(
        execute_plan(steps, context, stop_on_failure=stop_on_failure, observer=observer, policy=governance)
    )
    return StageRun(list(outcome.results), world, workspace, [*decisions, *governance.decisions])


@attrs.frozen
class _Mode:
    phi_policy: str = "warn"
    require: tuple[str, ...] = ()
    allow_stages: tuple[str, ...] | None = None
    gates: Mapping[str, str] = attrs.field(factory=dict)


async def _completed(self: Any, context: StageContext) -> StageResult:
    return StageResult.completed({})


def make_stage(
    key: str,
    stage_id: int,
    execute: Execute = _completed,
    *,
    reads: tuple[type, ...] = (),
    writes: tuple[type, ...] = (),
    modes: tuple[str, ...] = (ANY_MODE,),
    config: type = EmptyConfig,
    version: str = "1.0.0",
    class_name: str | None = None,
    registry: StageRegistry | None = None,
    **attributes: Any,
) -> type:
    """A stage class whose ``execute`` is ``execute(self, context)``; registered in ``registry`` if given.

    ``attributes`` sets any other class attribute (``gatekeeping=True``, ``detects_phi=True``,
    ``stage_name=...``) or a deliberately malformed one, for tests of registration.
    """
    namespace: dict[str, Any] = {
        "stage_id": stage_id, "stage_name": key.replace("_", " "), "key": key, "version": version,
        "reads": reads, "writes": writes, "modes": modes, "Config": config, "execute": execute,
        **attributes,
    }
    cls = type(class_name or f"{key.title().replace('_', '')}Stage", (), namespace)
    return cls if registry is None else registry.register(cls)
