"""A Limited Data Set keeps dates, 5-digit ZIPs and towns (``dates``/``geography: keep``): in
columns and in text, accepted by the rescan; still no direct identifier; never without a profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import StageStatus
from engine.governance.approvals import Approval
from engine.governance.deid_profiles import config_violations
from tests.stages.conftest import write
from tests.stages.test_deidentify import _deid as deidentify_run

ENTITY = "input:dataset"
BODY = (
    "subject_id,patient_name,phone,city,zip,dob,seen_on,notes\n"
    "S1,Maria Gonzalez,(617) 555-0143,Springfield,01103,1950-03-14,2024-02-01,"
    "\"Seen 2024-02-01 in Springfield, MA 01103; call (617) 555-0143.\"\n"
    "S2,Luis Ortega,(413) 555-0199,Holyoke,01040,1962-07-30,2024-02-10,Follow-up on 2024-03-10.\n"
)
DUA = Approval("data_use_agreement", "DUA-1", dt.date(2099, 12, 31), recipient="Example University")
KEEP = {"profile": "limited_data_set", "dates": "keep", "geography": "keep", "fail_on_residual": True}


def _deid(path: Path, ws: Path, approvals: tuple[Approval, ...] = (DUA,), **config: object):
    """deidentify in LIVE (the one stage-test helper of test_deidentify), its result and copy's rows."""
    result, _, rows = deidentify_run(path, ws, "LIVE", approvals, **config)
    return result, rows


def test_limited_data_set_keeps_dates_zips_and_towns(tmp_path: Path, ws: Path) -> None:
    result, rows = _deid(write(tmp_path / "a.csv", BODY), ws, **KEEP)
    assert result.status is StageStatus.COMPLETED, result.errors
    out = result.output["inputs"]["dataset"]
    assert out["rescan"]["residual_findings"] == 0
    assert {k: v["action"] for k, v in out["actions"].items() if v["action"] != "drop"} == {
        "subject_id": "subject", "city": "keep", "zip": "keep", "dob": "keep", "seen_on": "keep", "notes": "scrub"}
    assert [r["zip"] for r in rows] == ["01103", "01040"]
    assert [r["city"] for r in rows] == ["Springfield", "Holyoke"]
    assert [r["seen_on"] for r in rows] == ["2024-02-01", "2024-02-10"]
    assert [r["dob"] for r in rows] == ["1950-03-14", "1962-07-30"]
    # in text: the date, the town and the ZIP stay; the phone (a direct identifier) does not
    assert rows[0]["notes"].startswith("Seen 2024-02-01 in Springfield, MA 01103")
    assert "555-0143" not in rows[0]["notes"] and "[PHI:PHONE]" in rows[0]["notes"]
    assert rows[1]["notes"] == "Follow-up on 2024-03-10."
    assert not {"patient_name", "phone"} & set(rows[0])
    assert result.output["profile"]["kept_categories"] == ["CITY", "DATE", "ZIP"]


def test_the_same_file_under_safe_harbor_keeps_none_of_it(tmp_path: Path, ws: Path) -> None:
    result, rows = _deid(write(tmp_path / "a.csv", BODY), ws, (), profile="safe_harbor", fail_on_residual=True)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert [r["zip"] for r in rows] == ["011", "010"] and [r["seen_on"] for r in rows] == ["2024", "2024"]
    assert [r["city"] for r in rows] == ["", ""]
    text = "\n".join(r["notes"] for r in rows)
    assert "2024-02-01" not in text and "01103" not in text and "2024-03-10" not in text


def test_keeping_only_dates_still_reduces_geography(tmp_path: Path, ws: Path) -> None:
    result, rows = _deid(write(tmp_path / "a.csv", BODY), ws, profile="limited_data_set", dates="keep")
    assert result.status is StageStatus.COMPLETED, result.errors
    assert [r["zip"] for r in rows] == ["011", "010"] and [r["seen_on"] for r in rows] == ["2024-02-01", "2024-02-10"]
    assert "01103" not in rows[0]["notes"] and "2024-02-01" in rows[0]["notes"]
    assert result.output["inputs"]["dataset"]["rescan"]["residual_findings"] == 0


@pytest.mark.parametrize("setting", ["dates", "geography"])
def test_keep_without_a_profile_is_refused(tmp_path: Path, ws: Path, setting: str) -> None:
    result, rows = _deid(write(tmp_path / "a.csv", BODY), ws, **{setting: "keep"})
    assert result.status is StageStatus.BLOCKED and not rows
    assert f"{setting}: keep needs a profile" in result.errors[0]


def test_expert_determination_must_allow_keep(tmp_path: Path, ws: Path) -> None:
    expert = Approval("expert_determination", "ED-1", dt.date(2099, 12, 31), expert="Review Group",
                      transforms=("subject", "scrub", "address"))
    config = {"profile": "expert_determination", "quasi_identifiers": ["zip"], "geography": "keep"}
    result, rows = _deid(write(tmp_path / "a.csv", BODY), ws, (expert,), **config)
    assert result.status is StageStatus.BLOCKED and not rows
    assert "does not allow the 'keep' transform" in result.errors[0]


def test_settings_that_keep_are_checked_against_every_profile() -> None:
    paths = {(p, v.path) for p in ("safe_harbor", "limited_data_set", None) for v in
             config_violations({"profile": p, "dates": "keep", "geography": "keep"})}
    assert paths == {("safe_harbor", ("dates",)), ("safe_harbor", ("geography",)),
                     (None, ("dates",)), (None, ("geography",))}
