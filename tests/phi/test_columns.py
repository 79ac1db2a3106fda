"""Column classification (header, values, overrides), whole-cell scanning, and the CLI end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.phi import classify_columns, classify_file, load_registry, scan_file
from engine.phi.categories import CATEGORY_NAMES, OVERRIDE_SCHEMA
from engine.phi.columns import check_overrides

ROOT = Path(__file__).resolve().parents[2]
# Names outside the dictionaries and in no pattern's reach: only the header says what they are.
ALIASES = ["Zyx Qwerty", "Oyelaran Kwabena", "Thandiwe Xiong", "Nwosu Bongani", "Ijeoma Zbigniew"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _table(tmp_path: Path) -> Path:
    rows = [
        [
            f"R{i:04d}",
            ALIASES[i % 5],
            ["Gonzalez", "Nguyen", "Patel", "Johnson"][i % 4],
            f"{100 + i} Main St, Springfield, MA 0{1001 + i}",
            str(45 + i * 13 % 60),
            f"{i * 1.7:.1f}",
            ["Maria", "Bobo", "Linda", "James"][i % 4],
            "follow up in clinic",
        ]
        for i in range(12)
    ]
    header = ["record_id", "patient_name", "surname_col", "home", "age", "lab_value", "nickname", "notes_internal"]
    return _write(tmp_path / "t.csv", header, rows)


def test_classification_by_header_values_and_both(tmp_path: Path) -> None:
    got = {c.column: (c.category, c.evidence) for c in classify_file(_table(tmp_path))}
    assert got["patient_name"] == ("NAME", "header")  # no cell matches a pattern or the dictionaries
    assert got["surname_col"] == ("NAME", "values")
    assert got["home"] == ("ADDRESS", "values")
    assert got["age"] == ("AGE_OVER_89", "header")
    assert got["record_id"] == (None, "none") and got["lab_value"] == (None, "none")
    assert got["notes_internal"] == (None, "none")


def test_overrides(tmp_path: Path) -> None:
    classes = classify_file(_table(tmp_path), overrides={"nickname": "NAME", "patient_name": "none"})
    got = {c.column: (c.category, c.evidence) for c in classes}
    assert got["nickname"] == ("NAME", "override") and got["patient_name"] == (None, "override")
    with pytest.raises(ValueError, match="unknown category"):
        check_overrides({"nickname": "NAMES"})


def test_whole_cell_findings_and_no_values(tmp_path: Path) -> None:
    path = _table(tmp_path)
    findings = list(scan_file(path))
    names = [f for f in findings if f.column == "patient_name"]
    assert len(names) == 12 and {f.category for f in names} == {"NAME"}
    assert not [f for f in findings if f.column in ("record_id", "lab_value")]
    text = json.dumps([list(f.__repr__()) for f in findings])
    assert not any(alias in text for alias in ALIASES)
    # Without classification (header context only), the surname column is not treated whole.
    plain = list(scan_file(path, classify=False))
    assert not [f for f in plain if f.column == "surname_col"]


def test_classify_columns_needs_enough_values() -> None:
    [c] = classify_columns(["x"], [["Gonzalez"]])
    assert c.category is None  # one cell is no evidence


def test_category_constant_matches_registry() -> None:
    assert tuple(c.name for c in load_registry().categories) == CATEGORY_NAMES
    assert OVERRIDE_SCHEMA["additionalProperties"] == {"enum": [*CATEGORY_NAMES, "none"]}


def _rflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RFLOW_PHI_KEY": "test-key-0123456789abcdef", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


MANIFEST = """\
apiVersion: rflow/v1
kind: Pipeline
metadata:
  name: names-e2e
  version: "1.0.0"
inputs:
  - name: dataset
    format: auto
steps:
  - id: upload
    stage: upload
  - id: phi_scan
    stage: phi_scan
    config:
      phi_columns: {{nickname: {nickname}, notes_internal: none}}
  - id: deidentify
    stage: deidentify
    config:
      identifiers: {identifiers}
      phi_columns: {{nickname: NAME}}
governance:
  default_mode: DEMO
  modes:
    DEMO: {{steps: [upload, phi_scan, deidentify], phi_policy: warn}}
"""


@pytest.mark.parametrize("identifiers", ["drop", "pseudonym"])
def test_cli_scan_reports_name_column_and_deidentified_copy_has_none(tmp_path: Path, identifiers: str) -> None:
    path = _table(tmp_path)
    scan = _rflow("phi", "scan", str(path), "--format", "json", cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    report = json.loads(scan.stdout)
    by_col = {c["column"]: c for c in report["columns"]}
    assert by_col["patient_name"]["category"] == "NAME" and by_col["patient_name"]["evidence"] == "header"
    assert report["by_column"]["patient_name"] == 12
    assert not any(alias in scan.stdout + scan.stderr for alias in ALIASES)
    text = _rflow("phi", "scan", str(path), cwd=tmp_path)
    assert "patient_name" in text.stdout and "NAME" in text.stdout

    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(nickname="NAME", identifiers=identifiers))
    out = tmp_path / "run"
    run = _rflow("run", str(manifest), "--input", f"dataset={path}", "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    [copy] = list(out.rglob("deidentified/*.csv"))
    data = copy.read_text(encoding="utf-8")
    for value in (*ALIASES, "Gonzalez", "Main St", "Bobo"):
        assert value not in data
    everything = (
        run.stdout
        + run.stderr
        + "".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file() and p != copy)
    )
    assert not any(alias in everything for alias in ALIASES)
    report_text = (out / "report.json").read_text() if (out / "report.json").exists() else everything
    assert "columns_classified" in report_text


def test_cli_overrides(tmp_path: Path) -> None:
    path = _table(tmp_path)
    proc = _rflow("phi", "scan", str(path), "--format", "json", "--phi-column", "patient_name=none",
                  "--phi-column", "nickname=NAME", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cols = {c["column"]: c for c in json.loads(proc.stdout)["columns"]}
    assert cols["patient_name"]["category"] is None and cols["patient_name"]["evidence"] == "override"
    assert cols["nickname"]["category"] == "NAME"
    bad = _rflow("phi", "scan", str(path), "--phi-column", "nickname=NAMES", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown category" in bad.stderr


def test_manifest_override_is_validated_with_position(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.format(nickname="NAMES", identifiers="drop"))
    proc = _rflow("validate", str(manifest), cwd=tmp_path)
    assert proc.returncode != 0
    assert "m.yaml:15:" in proc.stdout + proc.stderr and "phi_columns.nickname" in proc.stdout + proc.stderr
