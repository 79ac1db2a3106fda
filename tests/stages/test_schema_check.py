"""schema_check: dictionary loading errors and counts per column problem."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from engine import StageStatus, bundled_path
from stages.components import SchemaReport
from stages.dictionary import load_dictionary
from tests.stages.conftest import run, write

DICT = "bundled:demo_dictionary.yaml"
ENTITY = "input:dataset"


def _check(path: Path, ws: Path, **config: object):
    r = run(["upload", "schema_check"], path, ws, {"schema_check": config})
    return r.result("schema_check"), r.component(ENTITY, SchemaReport)


def test_bundled_study_is_clean(ws: Path) -> None:
    result, report = _check(bundled_path("demo_study.csv"), ws, dictionary=DICT)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert result.output["errors_total"] == 0 and report.columns_present == 24 and report.status == "ok"


def _broken_copy(tmp_path: Path) -> Path:
    """The bundled study with a broken column: 7 non-integer ages, 3 empty sites, 2 unknown sexes."""
    src = bundled_path("demo_study.csv")
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    for i in range(7):
        rows[10 + i]["age"] = "forty"
    for i in range(3):
        rows[100 + i]["site"] = ""
    rows[200]["sex"] = "X"
    rows[201]["sex"] = "female"
    rows[300]["subject_id"] = "P-1"
    out = tmp_path / "broken.csv"
    fields = [f for f in rows[0] if f != "loinc"] + ["extra_col"]
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "extra_col": "1"})
    return out


def test_broken_column_counts(tmp_path: Path, ws: Path) -> None:
    result, report = _check(_broken_copy(tmp_path), ws, dictionary=DICT)
    assert result.status is StageStatus.FAILED  # on_errors: fail by default
    inp = result.output["inputs"]["dataset"]
    assert inp["columns"]["age"]["type_errors"] == 7
    assert inp["columns"]["age"]["first_rows"] == [11, 12, 13, 14, 15]
    assert inp["columns"]["site"]["required_missing"] == 3
    assert inp["columns"]["sex"]["not_allowed"] == 2
    assert inp["columns"]["subject_id"]["format_errors"] == 1
    assert inp["missing_columns"] == ["loinc"] and inp["unchecked_columns"] == ["extra_col"]
    assert report.type_errors == 7 and report.required_missing == 3 and report.not_allowed == 2
    assert report.errors_total == 13  # 7 + 3 + 2 + 1; loinc is optional: a warning
    assert report.warnings_total == 1
    assert "forty" not in json.dumps(result.output) and "female" not in json.dumps(result.output)


def test_report_mode_completes_and_any_csv_runs(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "mine.csv", "patient,score,age\nA,1,30\nB,2,40\n")
    result, report = _check(path, ws, dictionary=DICT, on_errors="report")
    assert result.status is StageStatus.COMPLETED
    inp = result.output["inputs"]["dataset"]
    assert inp["unchecked_columns"] == ["patient", "score"] and inp["columns"]["age"]["status"] == "ok"
    assert "subject_id" in inp["missing_required_columns"]
    assert report.errors_total == len(inp["missing_required_columns"])


def test_no_dictionary_reports_structure_only(tmp_path: Path, ws: Path) -> None:
    result, report = _check(write(tmp_path / "a.csv", "a,b\n1,2\n1\n"), ws)
    assert result.status is StageStatus.FAILED  # the ragged row is an error by default
    assert report.unchecked_columns == ("a", "b") and report.ragged_rows == 1
    result, _ = _check(write(tmp_path / "b.csv", "a,b\n1,3\n"), ws)
    assert result.status is StageStatus.COMPLETED and any("no dictionary" in w for w in result.warnings)


def test_header_only_and_extra_columns_policy(tmp_path: Path, ws: Path) -> None:
    dictionary = write(tmp_path / "d.yaml", "columns:\n  a: {type: integer, required: true}\n")
    path = write(tmp_path / "h.csv", "a,b\n")
    result, report = _check(path, ws, dictionary=str(dictionary), extra_columns="error")
    assert result.status is StageStatus.FAILED and report.errors_total == 1 and report.unchecked_columns == ("b",)
    result, report = _check(path, ws, dictionary=str(dictionary))
    assert result.status is StageStatus.COMPLETED and report.errors_total == 0


def test_types(tmp_path: Path, ws: Path) -> None:
    dictionary = write(tmp_path / "d.yaml", """
columns:
  i: {type: integer}
  n: {type: number}
  d: {type: date}
  u: {type: date, date_format: "%m/%d/%Y"}
  t: {type: datetime}
  b: {type: boolean}
""")
    path = write(tmp_path / "t.csv", "i,n,d,u,t,b\n1,1.5,2024-02-29,02/29/2024,2024-01-01T10:00,yes\n"
                                      "1.0,abc,2023-02-29,2024-02-29,noon,maybe\n\u0661,NA,,,,\n")
    result, _ = _check(path, ws, dictionary=str(dictionary))
    cols = result.output["inputs"]["dataset"]["columns"]
    # Arabic-Indic digit one is not an ASCII integer; NA and empty cells are missing, not type errors.
    assert {k: v.get("type_errors", 0) for k, v in cols.items()} == {"i": 2, "n": 1, "d": 1, "u": 1, "t": 1, "b": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {a: {type: int}}", "columns.a.type: must be one of"),
        ("columns: {a: {pattern: '('}}", "columns.a.pattern: is not a valid regular expression"),
        ("columns: {a: {typo: 1}}", "columns.a: unknown key(s) typo"),
        ("columns: []", "columns: must be a non-empty mapping"),
        ("columns: {a: {}}\nrules: [{kind: range, column: a}]", "rules[0]: a range rule needs"),
        ("columns: {a: {}}\nrules: [{kind: date_order, columns: [a]}]", "rules[0].columns: date_order needs"),
        ("columns: {a: {max_missing: 2}}", "columns.a.max_missing: must be a fraction"),
        ("columns: {a: [unclosed", "is not valid YAML at line 1"),
    ],
)
def test_dictionary_errors_name_the_path(tmp_path: Path, ws: Path, text: str, message: str) -> None:
    dictionary = write(tmp_path / "bad.yaml", text)
    result, _ = _check(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary=str(dictionary))
    assert result.status is StageStatus.FAILED
    assert message in result.errors[0], result.errors


def test_unknown_dictionary(tmp_path: Path, ws: Path) -> None:
    result, _ = _check(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary="bundled:nope.yaml")
    assert result.status is StageStatus.FAILED and "demo_dictionary.yaml" in result.errors[0]
    result, _ = _check(write(tmp_path / "a.csv", "a\n1\n"), ws, dictionary=str(tmp_path / "none.yaml"))
    assert result.status is StageStatus.FAILED and "cannot read" in result.errors[0]


def test_bundled_dictionary_loads() -> None:
    d = load_dictionary(DICT)
    assert d.name == "demo_study" and len(d.columns) == 24 and d.columns["ssn"].phi == "SSN"
