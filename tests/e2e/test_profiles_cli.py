"""The bundled study through the LIVE pipeline under each de-identification profile (real CLI)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from .conftest import DEMO_DATA, ROOT, all_output_text, leaked, load_report, planted_identifiers, rflow, statuses

LIVE = (ROOT / "manifests" / "study-live.yaml").read_text()
SAFE_HARBOR_LINE = "      profile: safe_harbor"
APPROVALS = """\
approvals:
  - {kind: irb_approval, reference: IRB-2026-0142, expires: 2099-12-31}
  - {kind: data_use_agreement, reference: DUA-2026-007, recipient: Example University, expires: 2099-12-31}
  - kind: expert_determination
    reference: ED-2026-003
    expert: Statistical Review Group
    transforms: [subject, year, dob, zip3, age, address, scrub]
    expires: 2099-12-31
"""
PROFILES = {
    "safe_harbor": "      profile: safe_harbor",
    "limited_data_set": "      profile: limited_data_set\n      dates: shift",
    "expert_determination": "      profile: expert_determination\n      quasi_identifiers: [age, sex, zip]\n      k: 5",
}


def live_manifest(tmp_path: Path, settings: str) -> Path:
    assert SAFE_HARBOR_LINE in LIVE
    text = LIVE.replace("      dates: year ", "      # dates ").replace(SAFE_HARBOR_LINE, settings)
    path = tmp_path / "live.yaml"
    path.write_text(text)
    return path


def run_live(tmp_path: Path, manifest: Path, approvals: str = APPROVALS):
    (tmp_path / "approvals.yaml").write_text(approvals)
    out = tmp_path / "run"
    proc = rflow("run", str(manifest), "--input", f"dataset={DEMO_DATA}", "--approvals",
                 str(tmp_path / "approvals.yaml"), "--out", str(out), cwd=tmp_path)
    return proc, out


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_bundled_study_runs_under_each_profile(tmp_path: Path, profile: str) -> None:
    manifest = live_manifest(tmp_path, PROFILES[profile])
    assert rflow("validate", str(manifest), cwd=tmp_path).returncode == 0
    proc, out = run_live(tmp_path, manifest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = load_report(out)
    assert set(statuses(report).values()) == {"completed"}
    deid = next(s for s in report["steps"] if s["step_id"] == "deidentify")["output"]
    assert deid["profile"]["name"] == profile
    copy = out / deid["inputs"]["dataset"]["path"]
    with copy.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and not {"patient_name", "mrn", "ssn", "phone", "email"} & set(rows[0])
    assert not leaked(planted_identifiers(), proc.stdout, proc.stderr, all_output_text(out))
    if profile == "safe_harbor":
        attested = deid["inputs"]["dataset"]["attestation"]["identifiers"]
        assert sorted(attested) == [chr(c) for c in range(ord("A"), ord("S"))]
        assert attested["B"]["columns"] == ["zip"] and attested["B"]["actions"] == ["zip3"]
        assert all(re.fullmatch(r"[0-9]{3}", r["zip"]) for r in rows if r["zip"])
        assert all(re.fullmatch(r"[0-9]{4}", r["visit_date"]) for r in rows)
    if profile == "limited_data_set":
        assert all(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", r["visit_date"]) for r in rows)
        assert deid["profile"]["approval"]["reference"] == "DUA-2026-007"
        audit = (out / "audit.jsonl").read_text()
        assert "data_use_agreement" in audit and "DUA-2026-007" in audit and "Example University" in audit
    if profile == "expert_determination":
        kanon = deid["inputs"]["dataset"]["k_anonymity"]
        assert kanon["quasi_identifiers"] == ["age", "sex", "zip"] and kanon["rows"] == len(rows)
        assert kanon["classes"] == len({(r["age"], r["sex"], r["zip"]) for r in rows})


def test_limited_data_set_without_agreement_is_refused(tmp_path: Path) -> None:
    manifest = live_manifest(tmp_path, PROFILES["limited_data_set"])
    proc, out = run_live(tmp_path, manifest, APPROVALS.split("  - {kind: data_use")[0])
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "data_use_agreement" in proc.stderr
    assert load_report(out)["status"] == "refused"


def test_expert_determination_runs_only_allowed_transforms(tmp_path: Path) -> None:
    manifest = live_manifest(tmp_path, PROFILES["expert_determination"])
    proc, out = run_live(tmp_path, manifest, APPROVALS.replace("subject, year, ", "subject, "))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    report = load_report(out)
    deid = next(s for s in report["steps"] if s["step_id"] == "deidentify")
    assert deid["status"] == "blocked" and "does not allow the 'year' transform" in deid["errors"][0]
    assert not (out / "artifacts" / "deidentified").exists() or not any((out / "artifacts" / "deidentified").iterdir())


def test_limited_data_set_keeps_dates_and_zips_of_the_bundled_study(tmp_path: Path) -> None:
    manifest = live_manifest(tmp_path, "      profile: limited_data_set\n      dates: keep\n      geography: keep")
    assert rflow("validate", str(manifest), cwd=tmp_path).returncode == 0
    proc, out = run_live(tmp_path, manifest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    deid = next(s for s in load_report(out)["steps"] if s["step_id"] == "deidentify")["output"]
    assert deid["profile"]["kept_categories"] == ["CITY", "DATE", "ZIP"]
    assert deid["inputs"]["dataset"]["rescan"]["residual_findings"] == 0
    with DEMO_DATA.open(newline="", encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    with (out / deid["inputs"]["dataset"]["path"]).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["zip"] for r in rows] == [r["zip"] for r in source]
    assert [r["visit_date"] for r in rows] == [r["visit_date"] for r in source]
    assert [r["dob"] for r in rows] == [r["dob"] for r in source]  # a birth date may stay in a LDS
    assert not {"patient_name", "mrn", "ssn", "phone", "email"} & set(rows[0])
    direct = {v for v in planted_identifiers() if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v)}
    assert not leaked(direct, proc.stdout, proc.stderr, all_output_text(out))


def test_keeping_dates_without_a_profile_is_refused_before_anything_runs(tmp_path: Path) -> None:
    manifest = live_manifest(tmp_path, "      dates: keep")
    check = rflow("validate", str(manifest), cwd=tmp_path)
    assert check.returncode == 1 and "RF321" in check.stdout + check.stderr
    assert "dates: keep needs a profile" in check.stdout + check.stderr
