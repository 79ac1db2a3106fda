"""deidentify reuses phi_scan's column classification only where it is the same decision.

Each case runs ``upload -> phi_scan -> deidentify`` and ``upload -> deidentify`` on the same file
and requires the same de-identified bytes and the same report metadata. The cases are the ones
where trusting phi_scan's ``columns_classified`` blindly would differ from recomputing: an
override of phi_scan's (``none`` on a names column, a category on a clean column), a dictionary
of deidentify's, a JSON Lines input (phi_scan does not classify it) and renamed columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from engine import StageStatus
from stages import stage_06_deidentify as deid
from stages.components import DatasetProfile, DeidentifiedDataset, PhiFindingsSummary
from tests.stages.conftest import run, write

ENTITY = "input:dataset"
# escort: names no header word announces, classified by their values; icd10/lab: clean columns.
NAMES = ["Maria Gonzalez", "Luis Ortega", "Ana Silva", "Paul Smith", "James Brown", "Linda Johnson"]
HEADER = "subject_id,escort,icd10,lab,visit_date,notes"
ROWS = [f"S{i},{name},E11.9,{7 + i / 10:.1f},2024-02-{i + 1:02d},\"seen today, {name} called\""
        for i, name in enumerate(NAMES)]
BODY = HEADER + "\n" + "\n".join(ROWS) + "\n"


def _both(src: Path, tmp_path: Path, scan: dict[str, Any], config: dict[str, Any]) -> list[tuple[Any, ...]]:
    """``(status, output, errors, copy bytes)`` with phi_scan before deidentify, then without."""
    out = []
    for n, keys in enumerate((["upload", "phi_scan", "deidentify"], ["upload", "deidentify"])):
        ws = tmp_path / f"run{n}"
        ws.mkdir()
        r = run(keys, src, ws, {"phi_scan": scan, "deidentify": config})
        if "phi_scan" in keys:
            assert r.component(ENTITY, PhiFindingsSummary) is not None
        result = r.result("deidentify")
        copy = r.component(ENTITY, DeidentifiedDataset)
        body = (ws / copy.path).read_bytes() if copy is not None else b""
        out.append((result.status, result.output, result.errors, body))
    return out


@pytest.mark.parametrize(
    ("scan", "config"),
    [
        ({}, {}),
        ({"phi_columns": {"escort": "none"}}, {}),  # phi_scan's override is not deidentify's
        ({"phi_columns": {"icd10": "NAME", "lab": "SSN"}}, {}),
        ({"phi_columns": {"escort": "none"}}, {"identifiers": "pseudonym", "phi_columns": {"lab": "none"}}),
    ],
    ids=["plain", "scan-override-none", "scan-override-category", "both-overrides"],
)
def test_same_copy_and_metadata_with_or_without_phi_scan(
    tmp_path: Path, scan: dict[str, Any], config: dict[str, Any]
) -> None:
    src = write(tmp_path / "in.csv", BODY)
    with_scan, alone = _both(src, tmp_path, scan, config)
    assert alone[0] is StageStatus.COMPLETED, alone[2]
    assert with_scan == alone
    actions = alone[1]["inputs"]["dataset"]["actions"]
    assert actions["escort"]["kind"] == "NAME" and actions["escort"]["evidence"] == "values"
    assert actions["icd10"]["action"] == "scrub"


def test_same_with_a_dictionary(tmp_path: Path) -> None:
    dictionary = write(tmp_path / "dict.yaml", "columns:\n  icd10: {type: string, phi: NAME}\n  lab: {type: number}\n")
    src = write(tmp_path / "in.csv", BODY)
    with_scan, alone = _both(src, tmp_path, {}, {"dictionary": str(dictionary)})
    assert alone[0] is StageStatus.COMPLETED, alone[2]
    assert with_scan == alone
    assert alone[1]["inputs"]["dataset"]["actions"]["icd10"]["evidence"] == "dictionary"


def test_same_for_json_lines_which_phi_scan_does_not_classify(tmp_path: Path) -> None:
    lines = [json.dumps({"subject_id": f"S{i}", "escort": name, "lab": 7.1}) for i, name in enumerate(NAMES)]
    src = write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    with_scan, alone = _both(src, tmp_path, {}, {})
    assert alone[0] is StageStatus.COMPLETED, alone[2]
    assert with_scan == alone
    assert alone[1]["inputs"]["dataset"]["actions"]["escort"]["kind"] == "NAME"


def test_same_with_renamed_columns(tmp_path: Path) -> None:
    # Duplicate headers are renamed in the profile (lab_2), so phi_scan classified another name.
    body = "\ufeffsubject_id,lab,lab, notes \n" + "".join(f"S{i},7.1,{name},x\n" for i, name in enumerate(NAMES))
    src = write(tmp_path / "in.csv", body)
    with_scan, alone = _both(src, tmp_path, {}, {})
    assert alone[0] is StageStatus.COMPLETED, alone[2]
    assert with_scan == alone


def _profile(columns: tuple[str, ...], fmt: str = "csv") -> DatasetProfile:
    return DatasetProfile(name="d", format=fmt, encoding="utf-8", delimiter=",", sha256="0" * 64, size_bytes=1,
                          rows=1, columns=columns)


def test_clear_columns_are_only_the_unlisted_same_named_ones() -> None:
    profile = _profile(("subject_id", "lab", "lab_2", "notes", "column_5"))
    raw = ("\ufeffsubject_id", "lab", "lab", " notes ", "123-45-6789")
    listed = {"subject_id": "IDENTIFIER", "notes": "none"}
    assert deid.scanned_clear_columns(profile, raw, listed) == frozenset({"lab"})
    assert deid.scanned_clear_columns(profile, raw, None) == frozenset()
    assert deid.scanned_clear_columns(_profile(profile.columns, "jsonl"), raw, {}) == frozenset()


def test_clear_columns_skip_the_value_classification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.phi.columns as columns

    src = write(tmp_path / "in.csv", BODY)
    ws = tmp_path / "run"
    ws.mkdir()
    scanned = run(["upload", "phi_scan"], src, ws)
    profile = scanned.component(ENTITY, DatasetProfile)
    classified = scanned.component(ENTITY, PhiFindingsSummary).columns_classified
    assert classified == {"escort": "NAME", "visit_date": "DATE"}
    seen: list[str] = []
    real = columns.classify_column

    def counting(name: str, values: Any, **kwargs: Any) -> Any:
        seen.append(name)
        return real(name, values, **kwargs)

    monkeypatch.setattr(columns, "classify_column", counting)
    config = deid.DeidentifyConfig()
    recomputed = deid.prepare_input(src, profile, config, None, b"k" * 32, 1 << 30)
    by_values = list(seen)
    seen.clear()
    reused = deid.prepare_input(src, profile, config, None, b"k" * 32, 1 << 30, columns_classified=classified)
    assert reused == attrs.evolve(recomputed, as_of_year=reused.as_of_year)  # the two calls may straddle new year
    assert {"icd10", "lab", "notes"} <= set(by_values)
    assert seen == ["escort", "visit_date"]  # listed columns are recomputed (evidence, overrides)


def test_listed_columns_reuse_phi_scans_category_and_evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.phi.columns as columns

    src = write(tmp_path / "in.csv", BODY)
    ws = tmp_path / "run"
    ws.mkdir()
    scanned = run(["upload", "phi_scan"], src, ws, {"phi_scan": {"phi_columns": {"lab": "SSN"}}})
    profile = scanned.component(ENTITY, DatasetProfile)
    summary = scanned.component(ENTITY, PhiFindingsSummary)
    assert summary.columns_evidence == {"escort": "values", "visit_date": "values", "lab": "override"}
    seen: list[str] = []
    real = columns.classify_column

    def counting(name: str, values: Any, **kwargs: Any) -> Any:
        seen.append(name)
        return real(name, values, **kwargs)

    monkeypatch.setattr(columns, "classify_column", counting)
    config = deid.DeidentifyConfig()
    recomputed = deid.prepare_input(src, profile, config, None, b"k" * 32, 1 << 30)
    seen.clear()
    reused = deid.prepare_input(src, profile, config, None, b"k" * 32, 1 << 30,
                                columns_classified=summary.columns_classified,
                                columns_evidence=summary.columns_evidence)
    assert reused == attrs.evolve(recomputed, as_of_year=reused.as_of_year)
    # escort and visit_date are phi_scan's decision as it stands; lab is phi_scan's override, so
    # deidentify classifies it itself (and finds it clean)
    assert seen == ["lab"]
    assert dict(zip(reused.plan.columns, reused.plan.actions, strict=True))["escort"] == ("drop", "NAME", "values")
