"""The built-in stages in order over the bundled study (run once per module): the canary checks."""

from __future__ import annotations

import csv
import json
import re

import attrs
import pytest

from engine import StageStatus, bundled_path
from engine.phi.scan.findings_file import read_findings
from stages.components import DeidentifiedDataset, PhiFindingsSummary, StudySummary
from tests.stages.conftest import Run, run

DICT = "bundled:demo_dictionary.yaml"
KEYS = ["upload", "schema_check", "validate", "phi_scan", "deidentify", "summary"]
IDENTIFIER_COLUMNS = ("patient_name", "mrn", "ssn", "phone", "email")


@pytest.fixture(scope="module")
def source_rows() -> list[dict[str, str]]:
    with bundled_path("demo_study.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@attrs.frozen
class Canaries:
    """The planted identifiers, normalised so that a leak is found by set lookups (fast)."""

    words: frozenset[str]
    digits: frozenset[str]
    emails: frozenset[str]
    dates: frozenset[str]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


@pytest.fixture(scope="module")
def canaries(source_rows: list[dict[str, str]]) -> Canaries:
    return Canaries(
        words=frozenset(p for r in source_rows for p in r["patient_name"].split() if len(p) >= 4),
        digits=frozenset(_digits(r[c]) for r in source_rows for c in ("mrn", "ssn", "phone")),
        emails=frozenset(r["email"].lower() for r in source_rows),
        dates=frozenset(r["dob"] for r in source_rows),
    )


def _leaks(text: str, canaries: Canaries) -> list[str]:
    """Which kinds of planted identifier occur in ``text`` (never the values: they would be printed)."""
    kinds = []
    if canaries.words & set(re.findall(r"[A-Za-z][A-Za-z'-]{3,}", text)):
        kinds.append("name")
    runs = {_digits(m) for m in re.findall(r"\(?[0-9][0-9() .-]{6,}[0-9]", text)}
    if canaries.digits & runs:
        kinds.append("number")
    if canaries.emails & {e.lower() for e in re.findall(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+", text)}:
        kinds.append("email")
    if canaries.dates & set(re.findall(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text)):
        kinds.append("birth date")
    return kinds


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Run:
    ws = tmp_path_factory.mktemp("shift")
    configs = {
        "schema_check": {"dictionary": DICT},
        "validate": {"dictionary": DICT},
        "deidentify": {"dictionary": DICT, "dates": "shift", "identifiers": "pseudonym"},
    }
    return run(KEYS, bundled_path("demo_study.csv"), ws, configs)


@pytest.fixture(scope="module")
def safe_harbor(tmp_path_factory: pytest.TempPathFactory) -> Run:
    ws = tmp_path_factory.mktemp("year")
    return run(["upload", "deidentify"], bundled_path("demo_study.csv"), ws,
               {"deidentify": {"dictionary": DICT}})


def _copy(r: Run) -> list[dict[str, str]]:
    deid = r.component("input:dataset", DeidentifiedDataset)
    with (r.workspace / deid.path).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_stage_completes(shifted: Run) -> None:
    assert [r.status for r in shifted.results] == [StageStatus.COMPLETED] * len(KEYS), [
        (r.stage_key, r.errors) for r in shifted.results
    ]


def test_phi_scan_finds_the_planted_identifiers(shifted: Run) -> None:
    out = shifted.result("phi_scan").output
    assert out["findings_total"] > 10_000 and out["decision"] == "warn"
    cats = out["inputs"]["dataset"]["by_category"]
    assert {"SSN", "EMAIL", "PHONE", "MRN", "DATE"} <= set(cats)
    assert "notes" in out["inputs"]["dataset"]["columns_flagged"]
    summary = shifted.component("input:dataset", PhiFindingsSummary)
    assert summary.findings_total == out["findings_total"]
    first = next(read_findings(shifted.workspace / summary.findings_path))
    assert len(first.digest) == 64 and int(first.digest, 16) >= 0


def test_no_planted_identifier_in_any_output(shifted: Run, canaries: Canaries) -> None:
    for result in shifted.results:
        text = json.dumps(result.to_dict())
        assert not _leaks(text, canaries), result.stage_key
    for path in shifted.workspace.rglob("*"):
        if path.is_file():
            assert not _leaks(path.read_text(encoding="utf-8"), canaries), path.name


def test_canary_check_detects_a_leak(canaries: Canaries, source_rows: list[dict[str, str]]) -> None:
    row = source_rows[0]
    assert _leaks(f"x {row['patient_name']} y", canaries) == ["name"]
    assert _leaks(f"call {row['phone']}", canaries) == ["number"]
    assert _leaks(f"({row['email']})", canaries) == ["email"]


def test_deidentified_copy_rescans_clean(shifted: Run, safe_harbor: Run) -> None:
    for r in (shifted, safe_harbor):
        deid = r.component("input:dataset", DeidentifiedDataset)
        assert deid.residual_findings == 0 and deid.rows == 3000
        assert r.result("deidentify").output["inputs"]["dataset"]["rescan"]["residual_findings"] == 0


def test_pseudonyms_and_date_shifts_are_per_subject(shifted: Run, source_rows: list[dict[str, str]]) -> None:
    copy = _copy(shifted)
    by_subject: dict[str, set[str]] = {}
    for src, out in zip(source_rows, copy, strict=True):
        by_subject.setdefault(src["subject_id"], set()).add(out["subject_id"])
        assert out["patient_name"].startswith("NAME_") and out["ssn"].startswith("SSN_")
        assert src["subject_id"] not in out["subject_id"]
        # Intervals survive a per-subject shift.
        import datetime as dt

        src_gap = dt.date.fromisoformat(src["visit_date"]) - dt.date.fromisoformat(src["enrollment_date"])
        out_gap = dt.date.fromisoformat(out["visit_date"]) - dt.date.fromisoformat(out["enrollment_date"])
        assert src_gap == out_gap
    assert all(len(v) == 1 for v in by_subject.values())
    assert len({next(iter(v)) for v in by_subject.values()}) == len(by_subject)


def test_safe_harbor_transforms(safe_harbor: Run, source_rows: list[dict[str, str]]) -> None:
    copy = _copy(safe_harbor)
    assert not set(IDENTIFIER_COLUMNS) & set(copy[0])
    restricted = {"036", "059", "823"}
    for src, out in zip(source_rows, copy, strict=True):
        assert re.fullmatch(r"[0-9]{4}", out["visit_date"])
        assert out["zip"] == ("000" if src["zip"][:3] in restricted else src["zip"][:3])
        age = int(src["age"])
        assert out["age"] == ("90+" if age > 89 else src["age"])
        if age > 89:
            assert out["dob"] == "90+"
    assert any(r["age"] == "90+" for r in copy) and any(r["zip"] == "000" for r in copy)
    notes = " ".join(r["notes"] for r in copy)
    assert "[PHI:SSN]" in notes and "[PHI:NAME]" in notes and "Dr. [PHI:NAME]" in notes


def test_summary_artifacts(shifted: Run) -> None:
    summary = shifted.component("run", StudySummary)
    data = json.loads((shifted.workspace / summary.path).read_text())
    stats = data["datasets"]["dataset"]["column_stats"]
    assert stats["systolic_bp"]["kind"] == "numeric" and stats["sex"]["kind"] == "categorical"
    assert stats["zip"]["kind"] == "phi"  # ZIP3s: identifying, counts only
    shown = {t["value"] for t in stats["sex"]["top_values"]}
    assert {"F", "M"} <= shown
    outcomes = data["datasets"]["dataset"]["outcomes"]
    assert outcomes["validate"]["errors"] == 0 and outcomes["deidentify"]["residual_findings"] == 0
    md = (shifted.workspace / summary.markdown_path).read_text()
    assert md.startswith("# Study summary") and "| systolic_bp | numeric |" in md


def test_input_untouched(shifted: Run) -> None:
    import hashlib

    path = bundled_path("demo_study.csv")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == shifted.result("upload").output["inputs"]["dataset"][
        "sha256"]
