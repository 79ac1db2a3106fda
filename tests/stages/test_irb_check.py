"""irb_check and engine.governance.approvals: parsing, expiry, scope, placeholder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import StageStatus
from engine.core.components import RUN_ENTITY
from engine.governance.approvals import Approval, ApprovalError, load_approvals, parse_approval
from stages import stage_03_irb_check
from stages.components import ApprovalCheck
from tests.stages.conftest import run, write

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stage_03_irb_check, "today", lambda: TODAY)


def _irb(tmp_path: Path, ws: Path, approvals: tuple[Approval, ...] = (), inputs: tuple[str, ...] = ("dataset",),
         **config: object):
    data = write(tmp_path / "a.csv", "a\n1\n")
    r = run(["irb_check"], dict.fromkeys(inputs, data), ws, {"irb_check": config}, approvals=approvals)
    return r.result("irb_check"), r.component(RUN_ENTITY, ApprovalCheck)


def test_parse_cli_form() -> None:
    a = parse_approval("irb_approval=IRB-2026-0142:2027-06-30:dataset,other")
    assert a == Approval("irb_approval", "IRB-2026-0142", dt.date(2027, 6, 30), ("dataset", "other"))
    assert parse_approval("irb_approval=IRB-1:2027-06-30").scope == ()
    assert parse_approval("irb_approval=IRB-1").expires is None


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("IRB-1:2027-06-30", "expected KIND=REFERENCE"),
        ("irb_approval=IRB 1:2027-06-30", "reference"),
        ("irb_approval=IRB-1:2027-02-30", "ISO date"),
        ("irb_approval=IRB-1:2027-06-30:a b", "scope"),
        ("IRB=IRB-1:2027-06-30", "kind"),
        ("irb_approval=IRB-1:2027-06-30:x:y", "too many"),
    ],
)
def test_parse_errors_do_not_echo_input(text: str, part: str) -> None:
    with pytest.raises(ApprovalError) as info:
        parse_approval(text)
    assert part in str(info.value)
    assert "IRB 1" not in str(info.value) and "2027-02-30" not in str(info.value)


def test_load_file(tmp_path: Path) -> None:
    path = write(tmp_path / "approvals.yaml", """
approvals:
  - kind: irb_approval
    reference: IRB-2026-0142
    expires: 2027-06-30
    scope: [dataset]
  - {kind: dua, reference: DUA-7, expires: "2026-12-31"}
""")
    a, b = load_approvals(path)
    assert a.expires == dt.date(2027, 6, 30) and a.scope == ("dataset",)
    assert b.kind == "dua" and b.expires == dt.date(2026, 12, 31) and b.scope == ()
    for bad, message in [
        ("approvals: {kind: x}", "expected a list"),
        ("approvals: [{kind: irb_approval, reference: R-1, colour: red}]", "approvals[0]: unknown field(s) colour"),
        ("approvals: [{kind: irb_approval}]", "'reference' is required"),
        ("approvals: [{kind: irb_approval, reference: R-1, scope: ds}]", "'scope' must be a list"),
        ("approvals: [", "not valid YAML"),
    ]:
        with pytest.raises(ApprovalError, match=None) as info:
            load_approvals(write(tmp_path / "bad.yaml", bad))
        assert message in str(info.value)
    with pytest.raises(ApprovalError, match="cannot read"):
        load_approvals(tmp_path / "missing.yaml")


def test_valid_approval_is_recorded(tmp_path: Path, ws: Path) -> None:
    approval = Approval("irb_approval", "IRB-2026-0142", TODAY + dt.timedelta(days=200), ("dataset",))
    result, check = _irb(tmp_path, ws, (approval,))
    assert result.status is StageStatus.COMPLETED
    assert result.output["reference"] == "IRB-2026-0142" and result.output["days_remaining"] == 200
    assert check.status == "approved" and check.inputs_covered == ("dataset",)
    assert not result.warnings


def test_expiring_soon_warns_and_expiry_day_is_valid(tmp_path: Path, ws: Path) -> None:
    result, _ = _irb(tmp_path, ws, (Approval("irb_approval", "IRB-1", TODAY),))
    assert result.status is StageStatus.COMPLETED and "expires in 0 day(s)" in result.warnings[0]


@pytest.mark.parametrize(
    ("approval", "status", "text"),
    [
        (Approval("irb_approval", "IRB-1", TODAY - dt.timedelta(days=1)), "expired", "expired 1 day(s) ago"),
        (Approval("irb_approval", "IRB-1", None), "invalid", "no expiry date"),
        (Approval("irb_approval", "", TODAY), "invalid", "no valid reference"),
        (Approval("irb_approval", "IRB-1", TODAY, ("other",)), "out_of_scope", "does not cover input(s) dataset"),
        (Approval("dua", "DUA-1", TODAY), "missing", "no 'irb_approval' approval"),
    ],
)
def test_refusals_block(tmp_path: Path, ws: Path, approval: Approval, status: str, text: str) -> None:
    result, check = _irb(tmp_path, ws, (approval,))
    assert result.status is StageStatus.BLOCKED and text in result.errors[0]
    assert check.status == status and result.output["status"] == status


def test_one_valid_among_several_is_enough(tmp_path: Path, ws: Path) -> None:
    old = Approval("irb_approval", "IRB-OLD", TODAY - dt.timedelta(days=5))
    new = Approval("irb_approval", "IRB-NEW", TODAY + dt.timedelta(days=90))
    result, check = _irb(tmp_path, ws, (old, new))
    assert result.status is StageStatus.COMPLETED and check.reference == "IRB-NEW"


def test_scope_rules(tmp_path: Path, ws: Path) -> None:
    unscoped = Approval("irb_approval", "IRB-1", TODAY + dt.timedelta(days=90))
    result, _ = _irb(tmp_path, ws, (unscoped,), inputs=("a", "b"))
    assert result.status is StageStatus.COMPLETED
    result, _ = _irb(tmp_path, ws, (unscoped,), require_explicit_scope=True)
    assert result.status is StageStatus.BLOCKED
    star = Approval("irb_approval", "IRB-1", TODAY + dt.timedelta(days=90), ("*",))
    result, _ = _irb(tmp_path, ws, (star,), inputs=("a", "b"), require_explicit_scope=True)
    assert result.status is StageStatus.COMPLETED


def test_placeholder_when_not_required(tmp_path: Path, ws: Path) -> None:
    result, check = _irb(tmp_path, ws, required=False)
    assert result.status is StageStatus.COMPLETED and check.status == "placeholder"
    assert "placeholder" in result.warnings[0]
    result, _ = _irb(tmp_path, ws)
    assert result.status is StageStatus.BLOCKED
