"""Governance: the policies a manifest mode sets, checked before and during a run.

Policies (documented in docs/governance.md):

* ``require`` — approvals (e.g. ``irb_approval``) that must be present, with a reference and an
  unexpired date, before any step starts; so must the approvals a step's settings need
  (``approvals_needed`` on its stage: a de-identification profile's agreement). Validity is
  :func:`engine.approvals.approval_problem`, the one rule;
* stage allowance — a stage declares the modes it is safe for, ``allow_stages`` narrows it;
* ``gates`` — a step runs only if a condition over earlier steps' metadata holds;
* ``phi_policy`` — ``warn`` records PHI findings; ``block`` keeps raw data from every later step
  except those that remove PHI (``removes_phi = True``) or never touch raw data
  (``touches_raw_data = False``);
* gatekeeping — a step of a ``gatekeeping = True`` stage (approval, intake, schema) that does not
  complete keeps raw data from every later step, de-identification included: without the
  gatekeeper's yes, nothing reads the data.

Every decision is recorded as a :class:`PolicyDecision` for the report and the audit log.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from engine.core.components import World
from engine.core.contract import PlannedStep, Stage, StageResult, StageStatus, Verdict, mode_refusals
from engine.core.errors import sanitize_text
from engine.governance.approvals import REQUIRED_FIELDS, days_remaining, valid_approvals
from engine.manifest.gates import evaluate_gate

PHI_POLICIES = ("warn", "block")


@attrs.frozen
class PolicyDecision:
    """One governance decision: what was decided about which subject, and why (metadata only)."""

    policy: str  # approval | stage_allowed | gate | phi | gatekeeping | selection | input
    subject: str  # a step id or an approval kind
    outcome: str  # allowed | refused | passed | failed | blocked | warned
    reason: str
    at: float = attrs.field(factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class ModeRules:
    """The policies of one governance mode, as the manifest states them."""

    name: str
    phi_policy: str = "warn"
    require: tuple[str, ...] = ()
    allow_stages: tuple[str, ...] | None = None
    gates: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_mode(cls, name: str, mode: Any) -> ModeRules:
        """Build from a manifest ``Mode`` (duck-typed: phi_policy, require, allow_stages, gates)."""
        allow = getattr(mode, "allow_stages", None)
        return cls(
            name=name,
            phi_policy=getattr(mode, "phi_policy", None) or "warn",
            require=tuple(getattr(mode, "require", None) or ()),
            allow_stages=None if allow is None else tuple(allow),
            gates=dict(getattr(mode, "gates", None) or {}),
        )

    def as_policy_mapping(self) -> dict[str, Any]:
        """What a stage sees as ``context.policy``."""
        return {
            "mode": self.name,
            "phi_policy": self.phi_policy,
            "require": list(self.require),
            "allow_stages": None if self.allow_stages is None else list(self.allow_stages),
        }


def check_approvals(
    rules: ModeRules, approvals: Iterable[Any], today: dt.date | None = None,
    required: Iterable[tuple[str, str]] = (),
) -> list[PolicyDecision]:
    """One decision per required approval kind: valid by :func:`engine.approvals.approval_problem`, or refused.

    ``required``: ``(kind, why)`` pairs that steps need besides the mode's ``require`` (a
    de-identification profile's agreement), each decided once, with the reason it is needed.
    """
    today = today or dt.date.today()
    approvals = tuple(approvals)
    wanted: dict[str, str] = {kind: f"mode {rules.name} requires" for kind in rules.require}
    for kind, why in required:
        wanted.setdefault(kind, why)
    decisions = []
    for kind, why in wanted.items():
        valid, problem = valid_approvals(approvals, kind, today=today)
        if valid:
            days = days_remaining(valid[0], today)
            decisions.append(PolicyDecision(
                "approval", kind, "allowed",
                f"approval '{kind}'{_named(valid[0])} present, valid for {days} more day(s)"))
        elif problem is not None:
            decisions.append(PolicyDecision("approval", kind, "refused", problem[1]))
        else:
            decisions.append(PolicyDecision(
                "approval", kind, "refused",
                f"{why} approval '{kind}', none was given "
                f"(pass --approval {kind}=REFERENCE:YYYY-MM-DD or --approvals FILE)",
            ))
    return decisions


def _named(approval: Any) -> str:
    """The reference and the parties of an agreement, for the record (sanitized: user-typed text)."""
    if getattr(approval, "kind", None) not in REQUIRED_FIELDS:
        return ""
    parts = [f" {approval.reference}"]
    for name in ("recipient", "expert"):
        value = getattr(approval, name, None)
        if value:
            parts.append(f" ({name} {sanitize_text(str(value))})")
    return "".join(parts)


def step_approvals(steps: Sequence[PlannedStep]) -> list[tuple[str, str]]:
    """``(kind, why)`` of the approvals planned steps need, by their stage's ``approvals_needed(config)``.

    Why a hook: governance decides approvals before any step starts, but only a stage knows which
    of its settings need one (a Limited Data Set needs a data use agreement).
    """
    needed: list[tuple[str, str]] = []
    for step in steps:
        hook = getattr(step.stage, "approvals_needed", None)
        if callable(hook):
            needed.extend((kind, f"step '{step.step_id}' ({why}) requires") for kind, why in hook(step.config))
    return needed


def stage_allowed(rules: ModeRules, stage: Any) -> tuple[bool, str]:
    """Is ``stage`` allowed in this mode, by its own declaration and by the manifest's narrowing?"""
    refusal = next(iter(mode_refusals(stage, rules.name, rules.allow_stages)), None)
    if refusal == "modes":
        return False, f"stage '{stage.key}' is declared safe only for modes {', '.join(stage.modes)}"
    if refusal == "allow_stages":
        return False, f"mode {rules.name} allows only stages {', '.join(rules.allow_stages or ()) or '(none)'}"
    return True, f"stage '{stage.key}' is allowed in mode {rules.name}"


def preflight(rules: ModeRules, steps: Sequence[PlannedStep], approvals: Iterable[Any],
              today: dt.date | None = None) -> list[PolicyDecision]:
    """Decisions taken before any step starts; any ``refused`` one means the run must not start."""
    decisions = check_approvals(rules, approvals, today, required=step_approvals(steps))
    for step in steps:
        ok, reason = stage_allowed(rules, step.stage)
        decisions.append(PolicyDecision("stage_allowed", step.step_id, "allowed" if ok else "refused", reason))
    return decisions


def refused(decisions: Iterable[PolicyDecision]) -> list[PolicyDecision]:
    return [d for d in decisions if d.outcome == "refused"]


def refused_results(steps: Sequence[PlannedStep]) -> list[StageResult]:
    """Every step ``blocked``, for a run that governance refused before any step."""
    results = []
    for step in steps:
        stage: Any = step.stage
        results.append(StageResult(
            status=StageStatus.BLOCKED, errors=("run refused by governance before any step",),
            stage_id=stage.stage_id, stage_key=stage.key, stage_name=stage.stage_name,
            stage_version=stage.version, step_id=step.step_id,
        ))
    return results


def reads_raw_data(stage: type[Stage]) -> bool:
    """Does a stage read the raw input (``touches_raw_data``, true unless a stage says otherwise)?"""
    return stage.touches_raw_data


def is_gatekeeping(stage: type[Stage]) -> bool:
    """Must a step of this stage complete before any later step may read raw data?"""
    return stage.gatekeeping


def phi_findings(result: StageResult) -> int | None:
    """How many PHI findings a PHI-detecting step reported (``StageResult.phi_findings``); None: unknown."""
    value = result.phi_findings
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class GovernancePolicy:
    """The runner's StepPolicy for one mode: gates, stage allowance and the PHI policy."""

    def __init__(self, rules: ModeRules, on_decision: Callable[[PolicyDecision], None] | None = None) -> None:
        self.rules = rules
        self.decisions: list[PolicyDecision] = []
        self._on_decision = on_decision
        self.phi_block: PolicyDecision | None = None
        self.gatekeeper_block: PolicyDecision | None = None
        self._gatekeeper_status = ""

    def _record(self, decision: PolicyDecision) -> PolicyDecision:
        self.decisions.append(decision)
        if self._on_decision is not None:
            self._on_decision(decision)
        return decision

    def before_step(self, step: PlannedStep, world: World, results: Sequence[StageResult]) -> Verdict | None:
        stage: Any = step.stage
        ok, reason = stage_allowed(self.rules, stage)
        if not ok:
            self._record(PolicyDecision("stage_allowed", step.step_id, "refused", reason))
            return Verdict(StageStatus.BLOCKED, reason)
        raw = reads_raw_data(stage)
        if self.gatekeeper_block is not None and raw:
            gatekeeper = self.gatekeeper_block.subject
            why = (f"gatekeeping step '{gatekeeper}' did not complete ({self._gatekeeper_status}); "
                   f"'{step.step_id}' would read raw data")
            self._record(PolicyDecision("gatekeeping", step.step_id, "blocked", why))
            return Verdict(StageStatus.BLOCKED, why, blocked_by=gatekeeper)
        if self.phi_block is not None:
            removes = stage.removes_phi
            if raw and not removes:
                why = f"phi_policy block: {self.phi_block.reason}; '{step.step_id}' would see raw data"
                self._record(PolicyDecision("phi", step.step_id, "blocked", why))
                return Verdict(StageStatus.BLOCKED, why, blocked_by=self.phi_block.subject)
            why = "removes PHI" if removes else "does not read raw data"
            self._record(PolicyDecision("phi", step.step_id, "allowed", f"runs under phi block: stage {why}"))
        gate = step.gate or self.rules.gates.get(step.step_id)
        if gate:
            by_step = {r.step_id: r for r in results}
            passed, why = evaluate_gate(gate, by_step)
            detail = f"gate `{gate}`: {why}" if why else f"gate `{gate}`"
            self._record(PolicyDecision("gate", step.step_id, "passed" if passed else "failed", detail))
            if not passed:
                return Verdict(StageStatus.BLOCKED, f"gate not met: {detail}")
        return None

    def after_step(self, step: PlannedStep, result: StageResult, world: World) -> Verdict | None:
        """Called for every step's result, run or not: gatekeeping outcomes and the PHI policy."""
        stage: Any = step.stage
        if is_gatekeeping(stage) and result.status is not StageStatus.COMPLETED and self.gatekeeper_block is None:
            self._gatekeeper_status = result.status.value
            self.gatekeeper_block = self._record(PolicyDecision(
                "gatekeeping", step.step_id, "blocked",
                f"gatekeeping step '{step.step_id}' was {result.status.value}, so no later step may read raw data"))
            return None
        if not stage.detects_phi or result.status is not StageStatus.COMPLETED:
            return None
        count = phi_findings(result)
        found = "no PHI finding count" if count is None else f"{count} PHI findings"
        if count == 0:
            self._record(PolicyDecision("phi", step.step_id, "passed", "no PHI findings"))
        elif self.rules.phi_policy == "block":
            self.phi_block = self._record(PolicyDecision(
                "phi", step.step_id, "blocked", f"'{step.step_id}' reported {found}"))
        else:
            self._record(PolicyDecision(
                "phi", step.step_id, "warned", f"'{step.step_id}' reported {found} (phi_policy warn)"))
        return None
