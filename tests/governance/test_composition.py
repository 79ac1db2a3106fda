"""Governance decisions compose: a gatekeeper that does not say yes keeps raw data from every later step.

A property over generated pipelines: any order of gatekeeping, raw-reading, PHI-removing and
PHI-detecting stages, each ending in any outcome.
"""

from __future__ import annotations

import asyncio

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import StageContext, StageResult, StageStatus
from engine.execution.step_runner import PlannedStep, execute_plan
from engine.governance.policy import GovernancePolicy, ModeRules
from engine.testing import make_stage as build_stage


@attrs.frozen
class Shape:
    gatekeeping: bool
    raw: bool
    removes_phi: bool
    detects_phi: bool
    outcome: StageStatus


@attrs.frozen
class NoConfig:
    pass


def make_stage(index: int, shape: Shape, ran: list[str]) -> type:
    async def execute(self, context):
        ran.append(context.step_id)
        if shape.outcome is StageStatus.COMPLETED:
            return StageResult.completed(phi_findings=3 if shape.detects_phi else None)
        return StageResult(status=shape.outcome, errors=("no",))

    return build_stage(
        f"s{index}", 500 + index, execute, config=NoConfig, gatekeeping=shape.gatekeeping,
        touches_raw_data=shape.raw, removes_phi=shape.removes_phi, detects_phi=shape.detects_phi,
    )


shapes = st.builds(
    Shape, st.booleans(), st.booleans(), st.booleans(), st.booleans(),
    st.sampled_from([StageStatus.COMPLETED, StageStatus.COMPLETED, StageStatus.FAILED, StageStatus.BLOCKED]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(shapes, min_size=1, max_size=8), st.sampled_from(["block", "warn"]))
def test_no_raw_step_runs_after_a_gatekeeper_that_did_not_complete(pipeline: list[Shape], phi_policy: str) -> None:
    ran: list[str] = []
    steps = [PlannedStep(f"s{i}", make_stage(i, shape, ran), NoConfig()) for i, shape in enumerate(pipeline)]
    policy = GovernancePolicy(ModeRules("LIVE", phi_policy=phi_policy))
    context = StageContext(mode="LIVE", workspace="/tmp/rflow-composition")
    outcome = asyncio.run(execute_plan(steps, context, stop_on_failure=False, policy=policy))

    gatekeeper = next((i for i, (shape, result) in enumerate(zip(pipeline, outcome.results, strict=True))
                       if shape.gatekeeping and result.status is not StageStatus.COMPLETED), None)
    if gatekeeper is None:
        return
    for later in range(gatekeeper + 1, len(pipeline)):
        result = outcome.results[later]
        if pipeline[later].raw:
            assert f"s{later}" not in ran
            assert result.status is StageStatus.BLOCKED
            assert result.blocked_by == f"s{gatekeeper}"
            assert any(d.policy == "gatekeeping" and d.subject == f"s{later}" for d in policy.decisions)
    assert outcome.status != "completed"


def test_phi_block_still_lets_deidentification_run_but_a_gatekeeper_does_not() -> None:
    def pipeline(first: Shape) -> list[StageResult]:
        ran: list[str] = []
        remover = Shape(False, True, True, False, StageStatus.COMPLETED)
        steps = [PlannedStep("first", make_stage(0, first, ran), NoConfig()),
                 PlannedStep("deid", make_stage(1, remover, ran), NoConfig())]
        policy = GovernancePolicy(ModeRules("LIVE", phi_policy="block"))
        outcome = asyncio.run(execute_plan(steps, StageContext(workspace="/tmp/rflow-composition"),
                                           stop_on_failure=False, policy=policy))
        return list(outcome.results)

    after_phi = pipeline(Shape(False, True, False, True, StageStatus.COMPLETED))
    assert after_phi[1].status is StageStatus.COMPLETED
    after_gatekeeper = pipeline(Shape(True, False, False, False, StageStatus.BLOCKED))
    assert after_gatekeeper[1].status is StageStatus.BLOCKED and after_gatekeeper[1].blocked_by == "first"
