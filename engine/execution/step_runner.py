"""Execute an ordered list of steps: timeouts, cancellation, output guard, observers, policies.

``execute_plan`` is the low-level loop that the manifest and governance layers feed with a
validated plan; ``run_stages`` is the plain API over stage ids.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from engine.core.blocking import abandon
from engine.core.components import World, WorldView, component_name
from engine.core.contract import PlannedStep, StageContext, StageResult, StageStatus, Verdict
from engine.core.errors import safe_error_text, sanitize_text
from engine.core.stage_config import structure_config
from engine.execution.guard import check_artifacts, check_output
from engine.phi import install_log_filter
from engine.plugins import StageRegistry, default_registry

log = logging.getLogger("rflow.runner")


class StepPolicy(Protocol):
    """Governance hook: may refuse a step before it runs, or stop the run after one."""

    def before_step(self, step: PlannedStep, world: World, results: Sequence[StageResult]) -> Verdict | None: ...

    def after_step(self, step: PlannedStep, result: StageResult, world: World) -> Verdict | None: ...


class PolicyChain:
    """Several StepPolicies as one: the first verdict before a step wins; all see every outcome."""

    def __init__(self, policies: Iterable[StepPolicy | None]) -> None:
        self.policies = [p for p in policies if p is not None]

    def before_step(self, step: PlannedStep, world: World, results: Sequence[StageResult]) -> Verdict | None:
        for policy in self.policies:
            verdict = policy.before_step(step, world, results)
            if verdict is not None:
                return verdict
        return None

    def after_step(self, step: PlannedStep, result: StageResult, world: World) -> Verdict | None:
        verdicts = [policy.after_step(step, result, world) for policy in self.policies]
        return next((v for v in verdicts if v is not None), None)


class RunObserver:
    """Receives run events (progress display, audit log, JSON event stream). No-op by default."""

    def run_started(self, steps: Sequence[PlannedStep]) -> None:
        return None

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        return None

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        """``done`` of the step's ``tasks`` (datasets, partitions) finished; on the event loop thread."""
        return None

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        return None

    def run_finished(self, outcome: RunOutcome) -> None:
        return None


class ObserverGroup(RunObserver):
    """Fan events out to several observers; one failing observer does not stop the run.

    Except a ``required`` one (the report and audit recorder): a run must not go on unrecorded,
    so its failure propagates and ends the run.
    """

    def __init__(self, observers: Iterable[RunObserver]) -> None:
        self.observers = [o for o in observers if o is not None]

    def _each(self, method: str, *args: Any) -> None:
        for observer in self.observers:
            handler = getattr(observer, method, None)
            if handler is None:  # an observer written before this event existed
                continue
            try:
                handler(*args)
            except Exception as exc:
                if getattr(observer, "required", False):
                    raise
                log.warning("observer %s failed: %s", type(observer).__name__, safe_error_text(exc))

    def run_started(self, steps: Sequence[PlannedStep]) -> None:
        self._each("run_started", steps)

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        self._each("step_started", index, total, step)

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        self._each("step_progress", index, total, step, done, tasks)

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        self._each("step_finished", index, total, step, result)

    def run_finished(self, outcome: RunOutcome) -> None:
        self._each("run_finished", outcome)


@attrs.frozen
class RunOutcome:
    results: tuple[StageResult, ...]
    cancelled: bool = False

    @property
    def status(self) -> str:
        """``cancelled``, ``unusable_input``, ``failed``, ``blocked`` or ``completed``.

        ``unusable_input``: every failed step failed on an unusable input. A run in which no step
        completed is never ``completed``: every step skipped is ``failed``.
        """
        if self.cancelled:
            return "cancelled"
        failed = [r for r in self.results if r.status is StageStatus.FAILED]
        if failed:
            return "unusable_input" if all(r.unusable_input for r in failed) else "failed"
        statuses = {r.status for r in self.results}
        if StageStatus.BLOCKED in statuses:
            return "blocked"
        if self.nothing_ran:
            return "failed"
        return "completed"

    @property
    def nothing_ran(self) -> bool:
        """No step completed (every one was skipped or blocked, or there was none)."""
        return not any(r.status is StageStatus.COMPLETED for r in self.results)


def _stamp(result: StageResult, step: PlannedStep, started: float | None, elapsed: float | None) -> StageResult:
    stage: Any = step.stage
    return attrs.evolve(
        result,
        stage_id=stage.stage_id,
        stage_key=stage.key,
        stage_name=stage.stage_name,
        stage_version=stage.version,
        step_id=step.step_id,
        started_at=started,
        finished_at=None if started is None or elapsed is None else started + elapsed,
        duration_s=None if elapsed is None else round(elapsed, 6),
    )


def _not_run(step: PlannedStep, verdict: Verdict) -> StageResult:
    status, reason = verdict.status, verdict.reason
    result = StageResult(status=status, warnings=(reason,) if status is StageStatus.SKIPPED else (),
                         blocked_by=verdict.blocked_by)
    if status is not StageStatus.SKIPPED:
        result = attrs.evolve(result, errors=(reason,))
    return _stamp(result, step, None, None)


def _guarded(result: Any, context: StageContext) -> StageResult:
    """Apply the output guard; any violation turns the result into a failure without the payload."""
    if not isinstance(result, StageResult):
        return StageResult.failed(f"execute returned {type(result).__name__}, expected StageResult")
    problems = check_output(result.output) + check_artifacts(result.artifacts, context.workspace)
    if problems:
        return StageResult.failed(*(f"output guard: {p}" for p in problems))
    return attrs.evolve(
        result,
        errors=tuple(sanitize_text(str(e)) for e in result.errors),
        warnings=tuple(sanitize_text(str(w)) for w in result.warnings),
    )


def _missing_reads(stage: Any, world: World) -> list[str]:
    return [component_name(t) for t in stage.reads if not world.has_any(t)]


def step_logger(stage_key: str) -> logging.Logger:
    """The PHI-sanitizing logger handed to a stage."""

    logger = logging.getLogger(f"rflow.stage.{stage_key}")
    install_log_filter(logger)
    return logger


ABANDON_GRACE_S = 1.0
"""How long an interrupted step's blocking threads get to reach a checkpoint before being abandoned."""


async def _stop_blocking(context: StageContext, message: str) -> str:
    """Interrupt the step's blocking work; say so in ``message`` if some of it had to be abandoned."""

    context.interrupt.set()
    left = await asyncio.to_thread(abandon, list(context.threads), ABANDON_GRACE_S) if context.threads else 0
    if left:
        log.warning("step %s: %d blocking thread(s) ignored the interrupt and were abandoned", context.step_id, left)
        return f"{message}; {left} blocking call(s) did not stop and were abandoned"
    return message


async def _run_one(step: PlannedStep, context: StageContext) -> tuple[StageResult, bool]:
    """Run one step; returns its (unstamped) result and whether the run was cancelled."""
    stage: Any = step.stage
    try:
        instance = stage()
        # asyncio.timeout, not wait_for: Python 3.11's wait_for returns a step's result and drops a
        # cancellation (Ctrl-C, SIGTERM) that arrives as the step finishes, and the run went on
        async with asyncio.timeout(step.timeout_s or None):
            raw = await instance.execute(context)
    except TimeoutError:
        message = await _stop_blocking(context, f"TimeoutError: step exceeded its {step.timeout_s:g} s timeout")
        return StageResult.failed(message), False
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        message = await _stop_blocking(context, "CancelledError: run cancelled while this step was running")
        return StageResult.failed(message), True
    except Exception as exc:
        log.debug("step %s raised %s", step.step_id, type(exc).__name__)
        return StageResult.failed(safe_error_text(exc)), False
    return _guarded(raw, context), False


async def execute_plan(
    steps: Sequence[PlannedStep],
    context: StageContext,
    *,
    stop_on_failure: bool = True,
    observer: RunObserver | None = None,
    policy: StepPolicy | None = None,
) -> RunOutcome:
    """Run ``steps`` in order against ``context.world``; never raises for a stage's failure."""
    world = context.world if isinstance(context.world, World) else context.world._world
    if not context.run_id:
        context = attrs.evolve(context, run_id=uuid.uuid4().hex[:12])
    events = observer or RunObserver()
    events.run_started(steps)
    results: list[StageResult] = []
    stop: Verdict | None = None
    cancelled = False
    total = len(steps)
    for index, step in enumerate(steps, start=1):
        stage: Any = step.stage
        if stop is not None:
            results.append(_not_run(step, stop))
            events.step_finished(index, total, step, results[-1])
            continue
        verdict = policy.before_step(step, world, results) if policy else None
        if verdict is None:
            missing = _missing_reads(stage, world)
            if missing:
                verdict = Verdict(StageStatus.SKIPPED, "missing input components: " + ", ".join(missing))
        if verdict is not None:
            results.append(_not_run(step, verdict))
            # A policy decides step by step: one blocked step does not stop the others by itself,
            # but the policy sees every outcome (a gatekeeping step that did not run counts).
            events.step_finished(index, total, step, results[-1])
            if policy is not None:
                stop = policy.after_step(step, results[-1], world)
            continue
        step_context = attrs.evolve(
            context,
            step_id=step.step_id,
            config=step.config,
            world=WorldView(world, stage.key, (*stage.reads, *stage.optional_reads), stage.writes),
            logger=step_logger(stage.key),
            deadline=(time.monotonic() + step.timeout_s) if step.timeout_s else None,
            interrupt=threading.Event(),
            progress=functools.partial(events.step_progress, index, total, step),
            threads=[],
        )
        step_context.workspace.mkdir(parents=True, exist_ok=True)
        events.step_started(index, total, step)
        started, clock = time.time(), time.perf_counter()
        raw, was_cancelled = await _run_one(step, step_context)
        result = _stamp(raw, step, started, time.perf_counter() - clock)
        results.append(result)
        events.step_finished(index, total, step, result)
        if was_cancelled:
            cancelled = True
            stop = Verdict(StageStatus.SKIPPED, "run cancelled")
        elif result.status is StageStatus.FAILED and stop_on_failure:
            stop = Verdict(StageStatus.SKIPPED, f"not run: step {step.step_id!r} failed (stop_on_failure)")
        elif policy is not None:
            stop = policy.after_step(step, result, world)
    outcome = RunOutcome(results=tuple(results), cancelled=cancelled)
    events.run_finished(outcome)
    return outcome


def plan_stage_ids(
    stage_ids: Iterable[int | str],
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    registry: StageRegistry | None = None,
    timeout_s: float | None = None,
) -> list[PlannedStep]:
    """Steps for a plain list of stage ids/keys; ``configs`` is keyed by stage key or id."""
    reg = registry or default_registry
    configs = configs or {}
    steps = []
    for ident in stage_ids:
        stage: Any = reg.get(ident)
        raw = configs.get(stage.key, configs.get(str(stage.stage_id), {}))
        steps.append(PlannedStep(stage.key, stage, structure_config(stage.Config, raw), timeout_s))
    return steps


async def run_stages(
    stage_ids: Iterable[int | str],
    context: StageContext,
    stop_on_failure: bool = True,
    *,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    registry: StageRegistry | None = None,
    observer: RunObserver | None = None,
    timeout_s: float | None = None,
) -> list[StageResult]:
    """Run stages by id or key, in the given order, and return their results."""
    steps = plan_stage_ids(stage_ids, configs, registry, timeout_s)
    outcome = await execute_plan(steps, context, stop_on_failure=stop_on_failure, observer=observer)
    return list(outcome.results)
