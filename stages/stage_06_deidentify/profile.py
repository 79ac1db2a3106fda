"""The deidentify step held to its ``profile`` at run time (the rules are :mod:`engine.governance.deid_profiles`).

``rflow validate`` already reports a setting that breaks the profile; the stage checks again,
because a manifest can be run without being validated and a column's action is only known once
its values are seen. A step that would break its profile writes nothing and is ``blocked``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from engine import covers, days_remaining, deid_profiles, safe_excerpt, valid_approvals
from stages.stage_06_deidentify.classify import Prepared
from stages.stage_06_deidentify.config import DeidentifyConfig


@attrs.frozen
class ProfileGate:
    """The profile's verdict before any input is read: the approval relied on, or why not."""

    approval: Any = None
    problem: str | None = None

    @property
    def transforms(self) -> tuple[str, ...]:
        return tuple(getattr(self.approval, "transforms", ()) or ())


def check_profile(config: DeidentifyConfig, approvals: Iterable[Any], inputs: Sequence[str]) -> ProfileGate:
    """The settings against the profile, and the profile's approval (valid, covering every input)."""
    profile = config.profile
    settings = attrs.asdict(config)
    broken = deid_profiles.config_violations(settings)
    if broken:
        first = broken[0]
        return ProfileGate(problem=f"{'.'.join(first.path)}: {first.message} ({first.hint})")
    if profile is None:
        return ProfileGate()
    kind = deid_profiles.APPROVAL_KIND.get(profile)
    if kind is None:
        return ProfileGate()
    valid, problem = valid_approvals(approvals, kind)
    usable = [a for a in valid if all(covers(a, name) for name in inputs)]
    if usable:
        gate = ProfileGate(approval=usable[0])
        if (profile == "expert_determination" and deid_profiles.kept_categories(settings)
                and "keep" not in gate.transforms):
            return ProfileGate(problem="the expert determination does not allow the 'keep' transform "
                                       "(dates: keep or geography: keep)")
        return gate
    if valid:
        return ProfileGate(problem=f"the '{kind}' approval's scope does not cover every input")
    if problem is not None:
        return ProfileGate(problem=problem[1])
    return ProfileGate(problem=f"profile {profile} needs a '{kind}' approval, none was given (--approvals FILE)")


def plan_problem(profile: str | None, prep: Prepared, transforms: Sequence[str]) -> str | None:
    """The first column whose decided action breaks the profile, said without its values."""
    for column, (action, kind, _) in zip(prep.plan.columns, prep.plan.actions, strict=True):
        problem = deid_profiles.action_problem(profile, action, kind, transforms)
        if problem is not None:
            return f"column {safe_excerpt(column, 40)!r} ({kind}) would get '{action}': {problem}"
    return None


def describe_profile(config: DeidentifyConfig, gate: ProfileGate) -> dict[str, Any]:
    """What the output says of the profile: the path, its regulation, the approval relied on."""
    if config.profile is None:
        return {"name": None}
    out: dict[str, Any] = {"name": config.profile, "regulation": deid_profiles.REGULATION[config.profile]}
    kept = deid_profiles.kept_categories(attrs.asdict(config))
    if kept:
        out["kept_categories"] = sorted(kept)
    if gate.approval is not None:
        approval = gate.approval
        out["approval"] = {"kind": approval.kind, "reference": approval.reference,
                           "days_remaining": days_remaining(approval)}
        if gate.transforms:
            out["approval"]["transforms"] = list(gate.transforms)
    return out
