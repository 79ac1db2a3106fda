"""validate: rules from the dictionary and the config, counts per rule and column."""

from __future__ import annotations

import csv
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from engine import StageStatus, bundled_path
from stages.components import QualityReport
from stages.dictionary import MAX_DICTIONARY_BYTES
from tests.stages.conftest import run, write

DICT = "bundled:demo_dictionary.yaml"
ENTITY = "input:dataset"


def _validate(path: Path, ws: Path, **config: object):
    r = run(["upload", "validate"], path, ws, {"validate": config})
    return r.result("validate"), r.component(ENTITY, QualityReport)


def test_bundled_study_has_warnings_but_no_errors(ws: Path) -> None:
    result, report = _validate(bundled_path("demo_study.csv"), ws, dictionary=DICT)
    assert result.status is StageStatus.COMPLETED
    assert result.output["errors_total"] == 0 and result.output["warnings_total"] > 0
    assert report.rules_checked == 18 and report.status == "warnings"
    assert report.by_rule["systolic_plausible"] > 0


def test_broken_copy_counts(tmp_path: Path, ws: Path) -> None:
    rows = list(csv.DictReader(bundled_path("demo_study.csv").open(encoding="utf-8")))
    rows[5]["systolic_bp"] = "400"          # over the hard max (error) and the plausible max (warning)
    rows[6]["visit_date"] = "2020-01-01"    # before enrollment
    rows[7]["visit_number"] = rows[8]["visit_number"]
    rows[7]["subject_id"] = rows[8]["subject_id"]  # duplicate subject+visit
    rows[9]["loinc"] = "4548-5"             # wrong check digit
    rows[10]["icd10"] = "U07"               # U is reserved, not ICD-10-CM
    path = tmp_path / "b.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result, report = _validate(path, ws, dictionary=DICT)
    rules = result.output["inputs"]["dataset"]["rules"]
    assert rules["systolic_bp.range"]["violations"] == 1 and rules["systolic_bp.range"]["first_rows"] == [6]
    assert rules["visit_after_enrollment"]["violations"] == 1
    assert rules["one_row_per_visit"]["violations"] >= 1
    assert rules["loinc.code"]["violations"] == 1 and rules["icd10.code"]["violations"] == 1
    assert result.output["errors_total"] == report.errors_total >= 5
    assert result.status is StageStatus.COMPLETED  # on_errors: report by default
    result, _ = _validate(path, ws, dictionary=DICT, on_errors="fail")
    assert result.status is StageStatus.FAILED and "error(s)" in result.errors[0]
    assert "4548-5" not in json.dumps(result.output)


def test_inline_rules_and_not_applicable(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "a.csv", "id,score,grade,when\n1,5,A,2024-01-01\n1,50,Z,\n2,,B,2024-13-01\n")
    rules = [
        {"kind": "range", "column": "score", "min": 0, "max": 10},
        {"kind": "unique", "column": "id", "severity": "warning"},
        {"kind": "allowed", "column": "grade", "values": ["A", "B"]},
        {"kind": "pattern", "column": "grade", "pattern": "[A-C]", "name": "grade_fmt"},
        {"kind": "missing", "column": "score", "max_fraction": 0.1},
        {"kind": "range", "column": "absent", "min": 1},
    ]
    result, report = _validate(path, ws, rules=rules)
    out = result.output["inputs"]["dataset"]["rules"]
    assert out["score.range"]["violations"] == 1
    assert out["id.unique"]["violations"] == 1 and out["id.unique"]["status"] == "warnings"
    assert out["grade.allowed"]["violations"] == 1 and out["grade_fmt"]["violations"] == 1
    assert out["score.missing"]["missing_cells"] == 1 and out["score.missing"]["violations"] == 1
    assert out["absent.range"]["status"] == "not_applicable"
    assert report.unchecked_columns == ("when",) and report.rules_not_applicable == 1
    assert report.errors_total == 4 and report.warnings_total == 1


def test_any_csv_with_bundled_rules_does_not_fail(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "mine.csv", "foo,age\nx,30\ny,\n")
    result, report = _validate(path, ws, dictionary=DICT, max_missing_default=0.2)
    assert result.status is StageStatus.COMPLETED
    assert report.rules_not_applicable > 10 and report.errors_total == 0
    assert report.unchecked_columns == ("foo",)
    assert result.output["inputs"]["dataset"]["rules"]["foo.missing"]["violations"] == 0
    assert result.output["inputs"]["dataset"]["rules"]["age.range"]["checked"] == 1


def test_header_only_and_empty_config(tmp_path: Path, ws: Path) -> None:
    result, report = _validate(write(tmp_path / "h.csv", "a,b\n"), ws, rules=[{"kind": "range", "column": "a",
                                                                                 "min": 0}])
    assert result.status is StageStatus.COMPLETED and report.rows_checked == 0 and report.errors_total == 0
    result, _ = _validate(write(tmp_path / "x.csv", "a\n1\n"), ws)
    assert result.status is StageStatus.COMPLETED and "nothing checked" in result.warnings[0]


def test_config_errors(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "a.csv", "a\n1\n")
    result, _ = _validate(path, ws, rules=[{"kind": "pattern", "column": "a", "pattern": "("}])
    assert result.status is StageStatus.FAILED and "rules[0].pattern" in result.errors[0]
    result, _ = _validate(path, ws, rules=[{"kind": "range", "column": "a", "min": 1, "name": "x"},
                                           {"kind": "range", "column": "a", "max": 1, "name": "x"}])
    assert result.status is StageStatus.FAILED and "unique" in result.errors[0]
    result, _ = _validate(path, ws, rules=[{"kind": "code", "column": "a"}])
    assert result.status is StageStatus.FAILED and "rules[0].system" in result.errors[0]
    result, _ = _validate(path, ws, inputs=["other"])
    assert result.status is StageStatus.FAILED and "no input named" in result.errors[0]


def test_ragged_rows_read_as_empty_cells(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "r.csv", "a,b\n1,2\n3\n")
    result, _ = _validate(path, ws, rules=[{"kind": "missing", "column": "b", "max_fraction": 0.1}])
    assert result.output["inputs"]["dataset"]["rules"]["b.missing"]["missing_cells"] == 1


# -- hostile dictionaries and patterns ---------------------------------------------------------------
NON_REGULAR = ["/dev/zero", "/dev/urandom", "/dev/null", "fifo", "dir"]


@pytest.mark.parametrize("kind", NON_REGULAR)
def test_a_dictionary_that_is_not_a_regular_file_fails_at_once(kind: str, tmp_path: Path, ws: Path) -> None:
    """`dictionary: /dev/zero` grew memory at ~1 GB/s and its thread outlived the timeout; a FIFO hung."""
    target = kind
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    elif kind == "dir":
        target = str(tmp_path)
    result, _ = _validate(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary=target)
    assert result.status is StageStatus.FAILED
    assert "not a regular file" in result.errors[0] or "directory" in result.errors[0]


def test_an_oversized_dictionary_is_refused(tmp_path: Path, ws: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (MAX_DICTIONARY_BYTES // 10 + 1))
    result, _ = _validate(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary=str(big))
    assert result.status is StageStatus.FAILED and "larger than" in result.errors[0]


@pytest.mark.parametrize(("body", "fragment"), [
    ("columns: {a: {type: string}}\nrules: [{kind: range, column: a, min: .nan}]\n", "line 2"),
    ("columns: {a: {pattern: '(?=x)'}}\n", "RE2"),
    ("columns: " + "[" * 60 + "]" * 60 + "\n", "nesting"),
    ("%YAML 1.1\n---\ncolumns: {a: {}}\n", "directive"),
])
def test_hostile_dictionary_values_are_named_errors(body: str, fragment: str, tmp_path: Path, ws: Path) -> None:
    result, _ = _validate(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary=str(write(tmp_path / "d.yaml", body)))
    assert result.status is StageStatus.FAILED and fragment in result.errors[0], result.errors


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # so the old behaviour fails instead of swapping


def test_dev_zero_dictionary_run_ends_promptly(tmp_path: Path) -> None:
    """Through the CLI: refused before any step starts (the manifest check reads the dictionary), exit 2."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.replace("DICT", "/dev/zero"), "utf-8")
    data = write(tmp_path / "a.csv", "a\n1\n")
    res = subprocess.run([sys.executable, "-m", "engine", "run", str(manifest), "--input", f"dataset={data}",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=90,
                         preexec_fn=_limit_memory)
    assert res.returncode == 2, res.stderr
    assert "not a regular file" in res.stderr and "internal error" not in res.stderr
    assert "no step was started" in res.stderr


MANIFEST = """\
apiVersion: rflow/v1
kind: Pipeline
metadata: {name: hostile, version: "1.0.0"}
inputs: [{name: dataset, format: csv}]
defaults: {timeout_s: 30}
steps:
  - {id: upload, stage: upload}
  - {id: validate, stage: validate, config: {dictionary: "DICT"}}
governance:
  default_mode: DEMO
  modes:
    DEMO: {steps: [upload, validate], phi_policy: warn}
"""
