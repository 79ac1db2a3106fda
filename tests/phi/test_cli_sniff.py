"""``rflow phi scan`` reads a file as ``rflow run``'s upload does: one sniffing function for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.phi.test_cli import run

ROWS = [("1", "A7730012", "Jos\u00e9 N\u00fa\u00f1ez", "call 617-555-0199"),
        ("2", "B5510293", "Zo\u00eb \u00c5berg", "seen 2024-03-01")]


def _table(path: Path, delimiter: str, encoding: str = "utf-8") -> Path:
    lines = [delimiter.join(("id", "mrn", "patient_name", "note"))] + [delimiter.join(r) for r in ROWS]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _report(*args: str) -> tuple[dict[str, object], str]:
    r = run("scan", *args, "--format", "json", "--limit", "0")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return json.loads(r.stdout), r.stderr


@pytest.mark.parametrize(("delimiter", "encoding"), [(";", "utf-8"), ("\t", "utf-8"), ("|", "utf-8"),
                                                     (";", "latin-1"), (",", "cp1252"), ("\t", "latin-1")])
def test_delimiters_and_encodings_upload_reads_are_tables_here(tmp_path: Path, delimiter: str, encoding: str) -> None:
    path = _table(tmp_path / "export.csv", delimiter, encoding)
    report, stderr = _report(str(path))
    assert report["delimiter"] == delimiter
    columns = {c["column"]: c["category"] for c in report["columns"]}  # type: ignore[union-attr]
    assert columns.get("mrn") == "MRN" and columns.get("patient_name") == "NAME", report["columns"]
    assert report["by_column"]["mrn"] == 2 and report["by_column"]["patient_name"] == 2  # type: ignore[index]
    out = json.dumps(report)
    for row in ROWS:
        assert row[1] not in out and row[2] not in out
    if encoding != "utf-8":
        assert "not UTF-8" in stderr


def test_explicit_delimiter_and_encoding(tmp_path: Path) -> None:
    path = _table(tmp_path / "export.txt", ";", "latin-1")
    report, _ = _report(str(path), "--input-format", "csv", "--delimiter", ";", "--encoding", "latin-1")
    assert report["encoding"] == "iso8859-1" and report["by_column"]["mrn"] == 2  # type: ignore[index]


def test_a_table_that_splits_into_one_column_is_warned_about(tmp_path: Path) -> None:
    path = _table(tmp_path / "export.csv", ";")
    r = run("scan", str(path), "--delimiter", ",")
    assert r.returncode == 0 and "one column" in r.stderr and "';'" in r.stderr, r.stderr


def test_unknown_encoding_is_a_usage_error(tmp_path: Path) -> None:
    path = _table(tmp_path / "export.csv", ",")
    r = run("scan", str(path), "--encoding", "no-such-codec-512-73-4891")
    assert r.returncode == 2 and "unknown text encoding" in r.stderr and "512-73-4891" not in r.stderr


def test_the_cli_and_upload_share_one_sniffing_function() -> None:
    import engine.dataplane.sniff
    import stages.tabular

    assert stages.tabular.sniff is engine.dataplane.sniff.sniff
