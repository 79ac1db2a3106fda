"""Headerless files, and PHI in a header or in the input's file name, as a user would meet them."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dataplane.sniff import first_row_is_data
from engine.phi.labels import FILE_NAME_TOKEN, label_holds_phi, safe_file_name
from tests.e2e.conftest import load_report, rflow

NAMES = ["Maria Gonzalez", "Luis Ortega", "James Smith", "Linda Johnson", "Robert Brown", "Patricia Davis",
         "Michael Miller", "Barbara Wilson", "David Moore", "Susan Taylor"]
FILE = "Okonkwo_Margaret_536-22-8714.csv"
SECRETS = ("Okonkwo", "Margaret", "536-22-8714")


def _headerless(tmp_path: Path) -> Path:
    rows = ["Margaret Okonkwo,536-22-8714,1950-03-14,72,E11.9"]
    rows += [f"{name},{512 + i}-73-48{10 + i},19{50 + i}-0{1 + i % 9}-1{i},{60 + i},I10"
             for i, name in enumerate(NAMES)]
    path = tmp_path / FILE
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _everything(run_dir: Path, *streams: str) -> str:
    parts = list(streams)
    for path in run_dir.rglob("*"):
        parts.append(path.name)
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_a_headerless_file_named_after_a_patient_leaves_no_trace(tmp_path: Path) -> None:
    data = _headerless(tmp_path)
    out = tmp_path / "run"
    proc = rflow("run", "--input", f"dataset={data}", "--out", str(out), cwd=tmp_path,
                 env={"RFLOW_PHI_KEY": "e2e-headers-key-0123456789"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = load_report(out)
    upload = next(s for s in report["steps"] if s["step_id"] == "upload")
    assert upload["output"]["inputs"]["dataset"]["column_names"] == ["col_1", "col_2", "col_3", "col_4", "col_5"]
    assert upload["output"]["inputs"]["dataset"]["rows"] == 11  # the first row is data, not lost
    assert any("no header row" in w for w in upload["warnings"])
    assert any("file name holds PHI" in w for w in upload["warnings"])
    assert report["inputs"][0]["file"] == FILE_NAME_TOKEN + ".csv"
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8").splitlines()
    assert copy[0] == "col_1,col_2,col_3,col_4,col_5" and len(copy) == 12
    everything = _everything(out, proc.stdout, proc.stderr)
    assert not [s for s in SECRETS if s in everything]


def test_phi_in_a_header_cell_is_replaced_everywhere(tmp_path: Path) -> None:
    data = tmp_path / "visits.csv"
    data.write_text("id,Margaret Okonkwo 536-22-8714,notes\n1,7.1,ok\n2,6.9,fine\n", encoding="utf-8")
    out = tmp_path / "run"
    proc = rflow("run", "--input", f"dataset={data}", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    upload = next(s for s in load_report(out)["steps"] if s["step_id"] == "upload")
    assert upload["output"]["inputs"]["dataset"]["column_names"] == ["id", "column_2", "notes"]
    assert (out / "deidentified" / "dataset.csv").read_text().splitlines()[0] == "id,column_2,notes"
    everything = _everything(out, proc.stdout, proc.stderr)
    assert not [s for s in SECRETS if s in everything]


def test_phi_scan_cli_reads_a_headerless_file_and_hides_its_name(tmp_path: Path) -> None:
    data = _headerless(tmp_path)
    proc = rflow("phi", "scan", str(data), "--format", "json", "--limit", "0", cwd=tmp_path,
                 env={"RFLOW_PHI_KEY": "e2e-headers-key-0123456789"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["file"].endswith(FILE_NAME_TOKEN + ".csv") and "no header row" in proc.stderr
    assert {c["column"] for c in report["columns"]} == {"col_1", "col_2", "col_3", "col_4", "col_5"}
    assert report["by_column"]["col_2"] == 11  # the first row's SSN is a finding, in its column
    assert not [s for s in SECRETS if s in proc.stdout + proc.stderr]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(lambda a, b: f"{a}_{b}", _WORD, _WORD) | _WORD, min_size=1, max_size=12))
def test_a_header_of_words_is_a_header(cells: list[str]) -> None:
    assert not first_row_is_data(cells)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.integers(0, 10**6).map(str), st.floats(0, 500, allow_nan=False).map(lambda f: f"{f:.1f}"),
                          st.dates().map(lambda d: d.isoformat())), min_size=2, max_size=12),
       st.lists(_WORD, max_size=6))
def test_a_first_row_with_several_numbers_or_dates_is_data(values: list[str], words: list[str]) -> None:
    assert first_row_is_data(values + words)


def test_file_names_are_checked_whole() -> None:
    assert safe_file_name(FILE) == FILE_NAME_TOKEN + ".csv"
    assert safe_file_name("Okonkwo_Margaret.csv") == FILE_NAME_TOKEN + ".csv"
    assert safe_file_name("study_export_2024.csv") == "study_export_2024.csv"
    assert label_holds_phi("patient 512-73-4891") and not label_holds_phi("patient_name")


@settings(max_examples=60, deadline=None)
@given(
    lead=st.sampled_from(["Contact", "Patient", "Home", "Work", "Emergency Contact", "Guardian", "Primary"]),
    method=st.sampled_from(["Tel", "Telephone", "Cell", "Mobile", "Fax", "Pager", "Number", "ID", "Email", "Zip"]),
    joiner=st.sampled_from([" ", "_", "-"]),
)
def test_a_contact_method_header_is_a_header_not_a_name(lead: str, method: str, joiner: str) -> None:
    """A header such as ``Contact Tel`` names a column; renaming it would lose the column's category."""
    assert not label_holds_phi(joiner.join([*lead.split(), method]))


def test_a_phone_column_headed_contact_tel_is_de_identified(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("record,Contact Tel\n1,(201) 211-0000\n2,(555) 555-0123\n3,(989) 911-4521\n", encoding="utf-8")
    run = rflow("run", "--input", f"dataset={data}", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    copy = (tmp_path / "run" / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    assert copy.splitlines()[0] == "record,Contact Tel"
    for planted in ("211-0000", "555-0123", "911-4521"):
        assert planted not in copy
