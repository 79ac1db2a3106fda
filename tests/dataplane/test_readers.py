"""Each typed-format reader on real files written during the test, and how a bad one fails.

Files come from the libraries a user's tools use (Polars, pandas + openpyxl, pyreadstat); the cells
the stages see must be what a CSV export of the same table holds.
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.dataplane import frames
from engine.dataplane.formats import TYPED, from_magic, typed_format
from engine.dataplane.frames import FormatError, TypedTable
from engine.dataplane.sniff import TabularError, sniff
from stages.components import DatasetProfile
from tests.dataplane.writers import WRITABLE, write_as
from tests.stages.conftest import run

COLUMNS: dict[str, list[Any]] = {
    "subject_id": ["S00001", "S00002", None, "Zoë Ærø"],
    "visits": [1, 2, 3, None],
    "weight": [70.5, 80.0, None, 65.25],
    "enrolled": [dt.date(2024, 1, 12), None, dt.date(2020, 2, 29), dt.date(1999, 12, 31)],
}
EXPECTED = [
    ["S00001", "1", "70.5", "2024-01-12"],
    ["S00002", "2", "80", ""],
    ["", "3", "", "2020-02-29"],
    ["Zoë Ærø", "", "65.25", "1999-12-31"],
]


@pytest.mark.parametrize("fmt", WRITABLE)
def test_each_format_reads_as_the_cells_of_its_csv(fmt: str, tmp_path: Path) -> None:
    path = write_as(COLUMNS, fmt, tmp_path / f"t.{fmt}")
    assert sniff(path).format == fmt
    table = TypedTable(path, fmt, batch_rows=3)  # two batches
    assert table.columns == list(COLUMNS)
    assert list(table.text_rows()) == EXPECTED
    assert frames.is_date_dtype(table.dtypes[3])


@pytest.mark.parametrize("fmt", WRITABLE)
def test_the_format_is_found_from_the_first_bytes_whatever_the_name(fmt: str, tmp_path: Path) -> None:
    path = write_as(COLUMNS, fmt, tmp_path / f"t.{fmt}")
    renamed = path.rename(tmp_path / "export.dat")
    assert from_magic(renamed.read_bytes()[:4096]) == fmt
    assert sniff(renamed).format == fmt


@given(ints=st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), min_size=1, max_size=30),
       texts=st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=30, max_size=30),
       floats=st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)),
                       min_size=30, max_size=30))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_parquet_cells_are_the_values_as_text(tmp_path: Path, ints: list[int | None], texts: list[str | None],
                                              floats: list[float | None]) -> None:
    n = len(ints)
    path = write_as({"i": ints, "t": texts[:n], "f": floats[:n]}, "parquet", tmp_path / "h.parquet")
    rows = list(TypedTable(path, "parquet", batch_rows=7).text_rows())
    assert [r[0] for r in rows] == ["" if v is None else str(v) for v in ints]
    assert [r[1] for r in rows] == ["" if v is None else v for v in texts[:n]]
    for cell, value in zip((r[2] for r in rows), floats[:n], strict=True):
        assert (cell == "") if value is None else float(cell) == value


def test_a_parquet_file_of_empty_columns_keeps_every_row(tmp_path: Path) -> None:
    # Every column of type Null: each row is a row of empty cells, none is lost.
    path = write_as({"i": [None] * 5, "t": [None] * 5}, "parquet", tmp_path / "nulls.parquet")
    assert list(TypedTable(path, "parquet", batch_rows=2).text_rows()) == [["", ""]] * 5


@pytest.mark.parametrize("fmt", sorted(TYPED))
def test_a_damaged_file_is_an_unusable_input_named_by_its_format(fmt: str, tmp_path: Path) -> None:
    magic = {"parquet": b"PAR1", "xlsx": b"PK\x03\x04xl/", "sav": b"$FL2", "dta": b"<stata_dta>",
             "xpt": b"HEADER RECORD*******LIBRARY HEADER RECORD", "sas7bdat": b"\x00" * 12}[fmt]
    path = tmp_path / f"broken{TYPED[fmt].extensions[0]}"
    path.write_bytes(magic + b"\x00secret value 123-45-6789" * 40)
    ws = tmp_path / "run"
    ws.mkdir()
    result = run(["upload"], path, ws).result("upload")
    assert result.unusable_input
    [error] = result.errors
    assert TYPED[fmt].label in error and "secret" not in error and "6789" not in error


def test_a_missing_reader_names_the_extra_that_installs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_as(COLUMNS, "sav", tmp_path / "t.sav")
    real = importlib.import_module

    def no_pyreadstat(name: str, *args: Any) -> Any:
        if name == "pyreadstat":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(frames.importlib, "import_module", no_pyreadstat)
    with pytest.raises(FormatError, match=r"rflow\[stats\]"):
        TypedTable(path, "sav")
    assert issubclass(FormatError, TabularError)


def test_a_declared_text_format_is_not_read_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_text("a,b\n1,2\n")
    assert typed_format(path, b"a,b", "csv") is None
    assert sniff(path, declared="csv").format == "csv"


def test_an_excel_workbook_reads_its_first_sheet_and_counts_the_others(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"a": [1, 2]}).to_excel(book, sheet_name="visits", index=False)
        pd.DataFrame({"b": ["x"]}).to_excel(book, sheet_name="notes", index=False)
    ws = tmp_path / "run"
    ws.mkdir()
    result = run(["upload"], path, ws)
    profile = result.component("input:dataset", DatasetProfile)
    assert (profile.format, profile.rows, profile.columns) == ("xlsx", 2, ("a",))
    assert any("1 more sheet" in w for w in result.result("upload").warnings)


def test_rflow_validate_does_not_import_the_data_plane(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from engine.cli import main\n"
        "code = 0\n"
        "try:\n"
        "    code = main(['validate', '--quiet', 'manifests/demo.yaml'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "assert not code, code\n"
        "assert 'stages.dictionary' in sys.modules  # step configs checked, the demo's dictionary read\n"
        "from engine.plugins import default_registry\n"
        "assert len(default_registry.list()) == 7  # and loading every stage module pulls in none either\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in\n"
        "               ('polars', 'pyarrow', 'pandas', 'pyreadstat', 'fastexcel', 'engine') and\n"
        "               (m.split('.')[0] != 'engine' or m.startswith('engine.dataplane.frames')))\n"
        "print(heavy)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_rflow_phi_scan_reads_a_typed_file_and_names_a_damaged_one(tmp_path: Path) -> None:
    path = write_as({"contact": ["call (617) 555-0142", "none"], "n": [1, 2]}, "parquet", tmp_path / "t.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\x00" * 64)
    root = Path(__file__).resolve().parents[2]

    def phi_scan(target: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "engine", "phi", "scan", str(target), "--format", "json"]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    good = phi_scan(path)
    assert good.returncode == 0, good.stderr
    assert '"PHONE"' in good.stdout and "555-0142" not in good.stdout + good.stderr and "binary" not in good.stderr
    bad = phi_scan(broken)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("rflow phi: error: cannot read the input as Parquet")
