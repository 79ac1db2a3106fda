"""Stage 3, ``irb_check``: the approval a governed run needs, checked inside the pipeline.

The governance layer already refuses a run whose mode ``require``s an approval that is absent or
expired, before any step starts. This stage records which approval the run relied on (reference,
expiry, days left) as metadata, and checks what the preflight does not: that its scope covers
every input. In a mode where no approval is needed (DEMO), ``required: false`` records a
placeholder instead of failing.
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from engine import (
    RUN_ENTITY,
    InputDataset,
    StageBase,
    StageContext,
    StageResult,
    StageStatus,
    approval_problem,
    covers,
    days_remaining,
    register_stage,
)
from stages._common import input_entities
from stages.components import ApprovalCheck


@attrs.frozen
class IrbCheckConfig:
    """Which approval to look for and how strict to be."""

    kind: str = attrs.field(
        default="irb_approval",
        metadata={"description": "Approval kind to check (as given with --approval KIND=...).",
                  "schema": {"pattern": "^[a-z][a-z0-9_]{1,47}$"}},
    )
    required: bool = attrs.field(
        default=True,
        metadata={"description": "false: without an approval the step completes with status 'placeholder' "
                  "(DEMO runs on synthetic data)."},
    )
    require_expiry: bool = attrs.field(
        default=True, metadata={"description": "An approval without an expiry date is refused."}
    )
    require_explicit_scope: bool = attrs.field(
        default=False,
        metadata={"description": "The approval must name every input in its scope "
                  "(otherwise an approval without scope covers all inputs)."},
    )
    warn_days: int = attrs.field(
        default=30,
        metadata={"description": "Warn when the approval expires within this many days.", "schema": {"minimum": 0}},
    )


def today() -> datetime.date:
    """The date approvals are checked against (a function so tests can move the clock)."""
    return datetime.date.today()


@register_stage
class IrbCheck(StageBase, stage_id=3, stage_name="IRB approval check", key="irb_check", version="1.0.0",
               reads=(InputDataset,), writes=(ApprovalCheck,), Config=IrbCheckConfig, touches_raw_data=False,
               gatekeeping=True):
    """Record the run's approval (reference, expiry, scope) or refuse the run.

    A gatekeeper: without a covering approval no later step reads the data."""

    async def execute(self, context: StageContext) -> StageResult:
        config: IrbCheckConfig = context.config
        names = [d.name for _, d in input_entities(context.world)]
        candidates = [a for a in context.approvals if getattr(a, "kind", None) == config.kind]
        now = today()
        if not candidates:
            if config.required:
                return self._refuse(context, config, "missing", f"no '{config.kind}' approval was given "
                                    f"(pass --approval {config.kind}=REFERENCE:YYYY-MM-DD[:INPUT,...])")
            check = ApprovalCheck(kind=config.kind, status="placeholder", inputs_covered=tuple(names))
            context.world.add(RUN_ENTITY, check)
            return StageResult.completed(
                {"kind": config.kind, "status": "placeholder", "mode": context.mode, "inputs_covered": names},
                warnings=[f"no '{config.kind}' approval: placeholder accepted (required: false)"],
            )
        problems: list[tuple[str, str]] = []
        for approval in candidates:
            problem = self._problem(approval, config, names, now)
            if problem is None:
                return self._approve(context, config, approval, names, now)
            problems.append(problem)
        status, reason = problems[0]
        return self._refuse(context, config, status, reason)

    @staticmethod
    def _problem(approval: Any, config: IrbCheckConfig, names: list[str], now: datetime.date
                 ) -> tuple[str, str] | None:
        problem = approval_problem(approval, today=now, require_expiry=config.require_expiry)
        if problem is not None:
            return problem
        uncovered = [n for n in names if not covers(approval, n, explicit=config.require_explicit_scope)]
        if uncovered:
            return "out_of_scope", (
                f"the '{config.kind}' approval's scope does not cover input(s) {', '.join(uncovered[:10])}"
            )
        return None

    @staticmethod
    def _approve(context: StageContext, config: IrbCheckConfig, approval: Any, names: list[str],
                 now: datetime.date) -> StageResult:
        days = days_remaining(approval, now)
        reference = str(approval.reference)
        check = ApprovalCheck(
            kind=config.kind, status="approved", reference=reference, days_remaining=days,
            inputs_covered=tuple(names),
        )
        context.world.add(RUN_ENTITY, check)
        warnings = []
        if days is not None and days <= config.warn_days:
            warnings.append(f"the '{config.kind}' approval expires in {days} day(s)")
        return StageResult.completed(
            {
                "kind": config.kind, "status": "approved", "reference": reference,
                "days_remaining": days, "inputs_covered": names,
            },
            warnings=warnings,
        )

    @staticmethod
    def _refuse(context: StageContext, config: IrbCheckConfig, status: str, reason: str) -> StageResult:
        context.world.add(RUN_ENTITY, ApprovalCheck(kind=config.kind, status=status))
        return StageResult(
            status=StageStatus.BLOCKED,
            output={"kind": config.kind, "status": status},
            errors=(f"approval refused: {reason}",),
        )
