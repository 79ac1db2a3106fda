"""The de-identified copy keeps the input's format (Parquet stays Parquet, typed), and typed dates are dates.

Files are written during the test by Polars and pyreadstat; the stages run as a pipeline does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from engine import StageStatus
from stages.components import DeidentifiedDataset
from tests.stages.conftest import run

KEYS = ["upload", "phi_scan", "deidentify", "summary"]
N = 40


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir()
    return path


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "subject_id": [f"S{i:04d}" for i in range(N)],
        "patient_name": [f"Person{chr(65 + i % 26)} Example" for i in range(N)],
        "visit": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(N)],  # a date by its type only
        "seen": [dt.datetime(2024, 2, 1, 9, 30) + dt.timedelta(hours=i) for i in range(N)],
        "score": list(range(N)),
        "weight": [60.5 + i for i in range(N)],
        "ok": [i % 2 == 0 for i in range(N)],
    })


def test_a_parquet_input_gets_a_typed_parquet_copy_without_its_metadata(tmp_path: Path, ws: Path) -> None:
    path = tmp_path / "study.parquet"
    _frame().write_parquet(path, metadata={"author": "Jane Roe"})
    r = run(KEYS, path, ws, {"deidentify": {"identifiers": "pseudonym", "dates": "shift", "fail_on_residual": False}})
    for key in KEYS:
        assert r.result(key).status is StageStatus.COMPLETED, (key, r.result(key).errors)
    deid = r.component("input:dataset", DeidentifiedDataset)
    copy = ws / deid.path
    assert copy.suffix == ".parquet" and copy.exists() and not copy.with_suffix(".csv").exists()
    assert r.result("deidentify").output["inputs"]["dataset"]["path"] == deid.path
    out = pl.read_parquet(copy)
    assert out.height == N
    schema = dict(out.schema)
    assert schema["visit"] == pl.Date and schema["score"] == pl.Int64 and schema["weight"] == pl.Float64
    assert schema["ok"] == pl.Boolean and schema["seen"] == pl.Datetime("us")
    assert schema["patient_name"] == pl.String  # pseudonyms
    original = _frame()
    assert out["score"].to_list() == original["score"].to_list()
    # Dates classified by their type are shifted per subject: not the input's dates, still dates.
    assert out["visit"].to_list() != original["visit"].to_list()
    assert not set(out["patient_name"].to_list()) & set(original["patient_name"].to_list())
    assert "author" not in pl.read_parquet_metadata(copy)
    import hashlib

    assert deid.sha256 == hashlib.sha256(copy.read_bytes()).hexdigest()
    stats = r.result("summary").output
    assert stats["rows"] == N


def test_a_date_generalised_to_its_year_is_text_in_the_copy(tmp_path: Path, ws: Path) -> None:
    path = tmp_path / "study.parquet"
    _frame().write_parquet(path)
    r = run(KEYS, path, ws, {"deidentify": {"dates": "year", "fail_on_residual": False}})
    assert r.result("deidentify").status is StageStatus.COMPLETED, r.result("deidentify").errors
    out = pl.read_parquet(ws / r.component("input:dataset", DeidentifiedDataset).path)
    assert out.schema["visit"] == pl.String and set(out["visit"].to_list()) == {"2024"}
    assert out.schema["score"] == pl.Int64


def test_typed_date_columns_are_dates_by_their_type(tmp_path: Path) -> None:
    from stages.stage_06_deidentify.classify import classify_column, typed_dates
    from stages.stage_06_deidentify.config import DeidentifyConfig

    path = tmp_path / "study.parquet"
    _frame().write_parquet(path)
    assert typed_dates(path, "parquet", 7) == [False, False, True, True, False, False, False]
    config = DeidentifyConfig()
    # No date word in the name, cells that a sample could take for anything: the type decides.
    assert classify_column("visit", config, None, ["x"], typed_date=True)[1:] == ("DATE", "type")
    assert classify_column("visit", config, None, ["x"])[1] != "DATE"
    csv = tmp_path / "study.csv"
    csv.write_text("visit\n2024-01-01\n")
    assert typed_dates(csv, "csv", 1) == [False]


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_other_typed_inputs_keep_a_csv_copy(tmp_path: Path, ws: Path, fmt: str) -> None:
    from tests.dataplane.writers import write_as

    columns = {"subject_id": [f"S{i:04d}" for i in range(N)], "score": [float(i) for i in range(N)]}
    path = write_as(columns, fmt, tmp_path / f"study.{fmt}")
    r = run(KEYS, path, ws, {"deidentify": {"fail_on_residual": False}})
    for key in KEYS:
        assert r.result(key).status is StageStatus.COMPLETED, (key, r.result(key).errors)
    assert r.component("input:dataset", DeidentifiedDataset).path.endswith(".csv")
