"""deidentify on small files: classification, actions, residual rescan, config errors, edge cases."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from engine import StageStatus
from stages.components import DeidentifiedDataset
from stages.stage_06_deidentify import replace_word
from tests.stages.conftest import run, write

ENTITY = "input:dataset"
BODY = (
    "subject_id,patient_name,ssn,email,dob,zip,age,seen_on,lab,notes\n"
    "S1,Maria Gonzalez,123-45-6789,maria@example.org,1950-03-14,02139,74,2024-02-01,7.1,"
    "Maria called; SSN 123-45-6789. Seen by Dr. Okafor.\n"
    "S1,Maria Gonzalez,123-45-6789,maria@example.org,1950-03-14,02139,74,2024-03-01,6.9,BP 120/80 pain 5/10\n"
    "S2,Luis Ortega,234-56-7890,luis@example.org,1930-01-02,03601,95,2024-02-10,8.0,\"Patient: Luis Ortega, "
    "phone (617) 555-0143\"\n"
)


def _deid(path: Path, ws: Path, mode: str = "DEMO", approvals: tuple[object, ...] = (), **config: object):
    r = run(["upload", "deidentify"], path, ws, {"deidentify": config}, mode=mode, approvals=approvals)
    result = r.result("deidentify")
    deid = r.component(ENTITY, DeidentifiedDataset)
    rows = []
    if deid is not None:
        with (ws / deid.path).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=deid.delimiter))
    return result, deid, rows


def test_header_heuristics_without_dictionary(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", BODY)
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    result, deid, rows = _deid(src, ws)
    assert result.status is StageStatus.COMPLETED, result.errors
    actions = {k: v["action"] for k, v in result.output["inputs"]["dataset"]["actions"].items()}
    assert actions == {
        "subject_id": "subject", "patient_name": "drop", "ssn": "drop", "email": "drop", "dob": "dob",
        "zip": "zip3", "age": "age", "seen_on": "year", "lab": "scrub", "notes": "scrub",
    }
    assert result.output["inputs"]["dataset"]["actions"]["seen_on"]["evidence"] == "values"
    assert deid.columns_dropped == ("patient_name", "ssn", "email")
    assert [r["zip"] for r in rows] == ["021", "021", "000"]
    assert [r["age"] for r in rows] == ["74", "74", "90+"]
    assert [r["dob"] for r in rows] == ["1950", "1950", "90+"]
    assert [r["seen_on"] for r in rows] == ["2024", "2024", "2024"]
    assert rows[0]["notes"] == "[PHI:NAME] called; SSN [PHI:SSN]. Seen by Dr. [PHI:NAME]."
    assert rows[1]["notes"] == "BP 120/80 pain 5/10" and rows[1]["lab"] == "6.9"
    assert "Ortega" not in rows[2]["notes"] and "555-0143" not in rows[2]["notes"]
    assert rows[0]["subject_id"] == rows[1]["subject_id"] != rows[2]["subject_id"]
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    text = (ws / deid.path).read_text()
    for value in ("Gonzalez", "Maria", "123-45-6789", "maria@example.org", "1950-03-14", "02139"):
        assert value not in text


def test_pseudonyms_are_keyed_and_stable(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", BODY)
    _, _, a = _deid(src, ws, identifiers="pseudonym")
    _, _, b = _deid(src, ws, identifiers="pseudonym")
    assert a[0]["ssn"] == a[1]["ssn"] == b[0]["ssn"] != a[2]["ssn"]
    assert a[0]["ssn"].startswith("SSN_") and not any(ch.isdigit() for ch in a[0]["ssn"])
    r = run(["upload", "deidentify"], src, ws, {"deidentify": {"identifiers": "pseudonym"}}, phi_key=b"z" * 32)
    with (ws / r.component(ENTITY, DeidentifiedDataset).path).open() as fh:
        other = list(csv.DictReader(fh))
    assert other[0]["ssn"] != a[0]["ssn"]


def test_shift_keeps_intervals_per_subject(tmp_path: Path, ws: Path) -> None:
    result, _, rows = _deid(write(tmp_path / "a.csv", BODY), ws, dates="shift", max_shift_days=30)
    assert result.status is StageStatus.COMPLETED
    import datetime as dt

    d = [dt.date.fromisoformat(r["seen_on"]) for r in rows]
    assert (d[1] - d[0]).days == 29  # 2024-02-01 -> 2024-03-01
    assert 0 < abs((d[0] - dt.date(2024, 2, 1)).days) <= 30
    assert any("Safe Harbor" in w for w in result.warnings)


def test_residual_phi_fails_and_deletes_the_copy_in_live(tmp_path: Path, ws: Path) -> None:
    result, deid, _ = _deid(write(tmp_path / "a.csv", BODY), ws, "LIVE", columns={"ssn": "keep"})
    assert result.status is StageStatus.FAILED and "rescan" in result.errors[0] and "ssn: 3 SSN" in result.errors[0]
    assert deid is None and result.artifacts == ()
    assert not list((ws / "deidentified").glob("*.csv"))
    result, deid, _ = _deid(write(tmp_path / "a.csv", BODY), ws, "LIVE", columns={"ssn": "keep"},
                            fail_on_residual=False)
    assert result.status is StageStatus.COMPLETED and deid.residual_findings == 3


def test_demo_reports_every_residual_by_column_and_category(tmp_path: Path, ws: Path) -> None:
    result, deid, _ = _deid(write(tmp_path / "a.csv", BODY), ws, columns={"ssn": "keep", "email": "keep"})
    assert result.status is StageStatus.COMPLETED and deid.residual_findings == 6
    rescan = result.output["inputs"]["dataset"]["rescan"]
    assert rescan["by_column_category"] == {"email": {"EMAIL": 3}, "ssn": {"SSN": 3}}
    assert rescan["first_rows"] == [1, 2, 3]
    assert any("email: 3 EMAIL | ssn: 3 SSN" in w for w in result.warnings)
    assert "123-45-6789" not in str(result.output) + " ".join(result.warnings)
    result, deid, _ = _deid(write(tmp_path / "a.csv", BODY), ws, columns={"ssn": "keep"}, fail_on_residual=True)
    assert result.status is StageStatus.FAILED and deid is None


def test_the_rescan_uses_the_guard_tier(tmp_path: Path, ws: Path) -> None:
    # A dotted SSN is only in the guard tier: the scan tier (and so the scrub of a non-free-text
    # column) lets it through, the rescan must not.
    body = "id,code\n1,123.45.6789\n2,x\n"
    result, _, rows = _deid(write(tmp_path / "a.csv", body), ws, "LIVE")
    assert result.status is StageStatus.FAILED, rows
    assert result.output["inputs"]["dataset"]["rescan"]["by_column_category"] == {"code": {"SSN": 1}}


@pytest.mark.parametrize(
    ("column", "first", "value"),
    [
        ("seen_on", "2024-02-01", "03/2021"),  # a month and a year: not the year the action writes
        ("dob", "1950-03-14", "03/1950"),
        ("dob", "1950-03-14", "06-FEB-63"),    # a two-digit year (may imply an age over 89)
        ("dob", "1950-03-14", "Wednesday, 8 April 1992"),  # a weekday is an element of the date too
    ],
)
def test_date_cells_no_rule_reads_are_replaced_whole(tmp_path: Path, ws: Path, column: str, first: str,
                                                     value: str) -> None:
    body = f"id,{column}\n1,{first}\n2,\"{value}\"\n3,unknown\n"
    config = {"phi_columns": {"seen_on": "DATE"}} if column == "seen_on" else {}
    result, _, rows = _deid(write(tmp_path / "a.csv", body), ws, **config)
    assert [r[column] for r in rows] == [first[:4], "[PHI:DATE]", "unknown"]
    assert result.output["inputs"]["dataset"]["rescan"]["residual_findings"] == 0


@pytest.mark.parametrize(
    ("column", "first", "value"),
    [
        ("age", "40", "about 93"),             # an age over 89 in a form the age action cannot parse
    ],
)
def test_identifier_cells_out_of_form_are_residuals(tmp_path: Path, ws: Path, column: str, first: str,
                                                     value: str) -> None:
    body = f"id,{column}\n1,{first}\n2,{value}\n"
    config = {"phi_columns": {"seen_on": "DATE"}} if column == "seen_on" else {}
    result, _, _ = _deid(write(tmp_path / "a.csv", body), ws, **config)
    residual = result.output["inputs"]["dataset"]["rescan"]
    assert residual["residual_findings"] >= 1 and column in residual["by_column_category"], residual
    assert 2 in residual["first_rows"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"columns": {"nope": "drop"}}, "no column named 'nope'"),
        ({"columns": {"ssn": "explode"}}, "unknown action"),
        ({"subject_column": "nope"}, "subject_column"),
        ({"dictionary": "bundled:missing.yaml"}, "config dictionary"),
    ],
)
def test_config_errors(tmp_path: Path, ws: Path, config: dict[str, object], message: str) -> None:
    result, _, _ = _deid(write(tmp_path / "a.csv", BODY), ws, **config)
    assert result.status is StageStatus.FAILED and message in result.errors[0], result.errors


def test_edge_cases(tmp_path: Path, ws: Path) -> None:
    result, deid, rows = _deid(write(tmp_path / "h.csv", "id,notes\n"), ws)
    assert result.status is StageStatus.COMPLETED and deid.rows == 0 and rows == []
    result, deid, rows = _deid(write(tmp_path / "r.csv", "id,notes\n1,SSN 123-45-6789\n2\n3,a,extra\n"), ws)
    assert result.status is StageStatus.COMPLETED and deid.rows == 3
    assert rows[0]["notes"] == "SSN [PHI:SSN]" and rows[1]["notes"] == ""
    body = "id;name;notes\n1;Jos\u00e9 N\u00fa\u00f1ez;SSN 123-45-6789\n"
    result, deid, rows = _deid(write(tmp_path / "c.csv", body, encoding="cp1252"), ws)
    assert result.status is StageStatus.COMPLETED and "name" in deid.columns_dropped
    assert rows[0]["notes"] == "SSN [PHI:SSN]"
    result, _, _ = _deid(write(tmp_path / "big.csv", "id,notes\n1," + "x" * 3000 + "\n"), ws, max_field_chars=100)
    assert result.status is StageStatus.FAILED  # upload accepted it (default cap); deidentify's cap is lower
    assert "longer than 100" in result.errors[0]


def test_replace_word() -> None:
    assert replace_word("Maria met MARIA; Mariana stays", "maria", "[N]") == ("[N] met [N]; Mariana stays", 2)
    assert replace_word("nothing here", "maria", "[N]") == ("nothing here", 0)
