"""upload: intake checks, sniffing, checksum and counts, over real files."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from engine import StageStatus, bundled_path
from stages.components import DatasetProfile
from tests.stages.conftest import run, write

ENTITY = "input:dataset"


def _upload(path: Path | str, ws: Path, **config: object):
    r = run(["upload"], path, ws, {"upload": config})
    return r.result("upload"), r.component(ENTITY, DatasetProfile)


def test_bundled_study_profile(ws: Path) -> None:
    path = bundled_path("demo_study.csv")
    result, profile = _upload(path, ws)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile.rows == 3000 and len(profile.columns) == 24
    assert profile.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert profile.format == "csv" and profile.encoding == "utf-8" and profile.delimiter == ","
    out = result.output["inputs"]["dataset"]
    assert out["rows"] == 3000 and out["columns"] == 24 and "subject_id" in out["column_names"]


def test_input_is_never_modified(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "a.csv", "id,v\n1,2\n")
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    _upload(path, ws)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_empty_file_fails_unless_allowed(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "empty.csv", b"")
    result, profile = _upload(path, ws)
    assert result.status is StageStatus.FAILED and "empty" in result.errors[0] and profile is None
    result, profile = _upload(path, ws, allow_empty=True)
    assert result.status is StageStatus.COMPLETED and profile.rows == 0 and profile.size_bytes == 0


def test_header_only(tmp_path: Path, ws: Path) -> None:
    result, profile = _upload(write(tmp_path / "h.csv", "a,b,c\n"), ws)
    assert result.status is StageStatus.COMPLETED
    assert profile.rows == 0 and profile.columns == ("a", "b", "c")
    assert any("no data rows" in w for w in result.warnings)


def test_cp1252_detected_and_wrong_explicit_encoding_fails_without_value(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "latin.csv", "name,city\nJos\u00e9 Nu\u00f1ez,M\u00fcnchen\n", encoding="cp1252")
    result, profile = _upload(path, ws)
    assert result.status is StageStatus.COMPLETED and profile.encoding == "cp1252"
    assert any("not UTF-8" in w for w in result.warnings)
    result, _ = _upload(path, ws, encoding="utf-8")
    assert result.status is StageStatus.FAILED
    assert "cannot decode" in result.errors[0] and "at line 2" in result.errors[0]
    assert "Nu" not in " ".join(result.errors)


def test_bom_and_utf16(tmp_path: Path, ws: Path) -> None:
    _, profile = _upload(write(tmp_path / "bom.csv", "\ufeffid,v\n1,2\n"), ws)
    assert profile.columns == ("id", "v") and profile.has_bom
    _, profile = _upload(write(tmp_path / "u16.csv", "id,v\n1,2\n3,4\n", encoding="utf-16"), ws)
    assert profile.encoding == "utf-16" and profile.rows == 2 and profile.columns == ("id", "v")


def test_huge_field_fails_with_row_number_then_passes_when_raised(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "big.csv", "id,notes\n1,short\n2," + "x" * 5000 + "\n")
    result, _ = _upload(path, ws, max_field_chars=1000)
    assert result.status is StageStatus.FAILED
    assert "longer than 1000 characters" in result.errors[0] and "row 2" in result.errors[0]
    result, profile = _upload(path, ws, max_field_chars=10_000)
    assert result.status is StageStatus.COMPLETED and profile.rows == 2


def test_unclosed_quote_is_caught_by_the_field_cap(tmp_path: Path, ws: Path) -> None:
    body = "id,notes\n" + "".join(f'{i},"open quote\n' if i == 3 else f"{i},ok\n" for i in range(1, 2000))
    result, _ = _upload(write(tmp_path / "q.csv", body), ws, max_field_chars=500)
    assert result.status is StageStatus.FAILED and "unclosed quote" in result.errors[0]


def test_ragged_rows_warn_or_fail(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "r.csv", "a,b,c\n1,2,3\n1,2\n1,2,3,4\n1,2,3\n")
    result, profile = _upload(path, ws)
    assert result.status is StageStatus.COMPLETED and profile.ragged_rows == 2
    assert any("2 ragged row(s)" in w and "rows 2, 3" in w for w in result.warnings)
    result, _ = _upload(path, ws, ragged_rows="fail")
    assert result.status is StageStatus.FAILED and "ragged" in result.errors[0]


def test_formats_and_delimiters(tmp_path: Path, ws: Path) -> None:
    _, p = _upload(write(tmp_path / "s.csv", "a;b;c\n1;2;3\n4;5;6\n"), ws)
    assert p.delimiter == ";" and p.columns == ("a", "b", "c")
    _, p = _upload(write(tmp_path / "t.tsv", "a\tb\n1\t2\n"), ws)
    assert p.format == "tsv" and p.delimiter == "\t" and p.rows == 1
    _, p = _upload(write(tmp_path / "p.csv", "a|b\n1|2\n"), ws)
    assert p.delimiter == "|"
    lines = [json.dumps({"id": i, "v": {"x": i}, "flag": i % 2 == 0}) for i in range(5)] + ['{"id": 9, "new": 1}']
    _, p = _upload(write(tmp_path / "d.jsonl", "\n".join(lines) + "\n"), ws)
    assert p.format == "jsonl" and p.columns == ("id", "v", "flag", "new") and p.rows == 6
    _, p = _upload(write(tmp_path / "n.txt", "line one\nline two\n\nlast"), ws)
    assert p.format == "text" and p.rows == 4 and p.columns == ("text",)
    _, p = _upload(write(tmp_path / "one_col.csv", "id\n1\n2\n"), ws)
    assert p.columns == ("id",) and p.rows == 2


def test_multiline_quoted_fields_count_as_one_row(tmp_path: Path, ws: Path) -> None:
    _, p = _upload(write(tmp_path / "m.csv", 'id,notes\n1,"line one\nline two"\n2,x\n'), ws)
    assert p.rows == 2 and p.ragged_rows == 0


def test_bad_jsonl_and_nul_bytes(tmp_path: Path, ws: Path) -> None:
    result, _ = _upload(write(tmp_path / "b.jsonl", '{"a": 1}\n{not json}\n'), ws)
    assert result.status is StageStatus.FAILED and "data row 2 is not valid JSON" in result.errors[0]
    result, _ = _upload(write(tmp_path / "nul.csv", b"a,b\n1,\x002\n"), ws)
    assert result.status is StageStatus.FAILED and "NUL" in result.errors[0]


def test_file_checks(tmp_path: Path, ws: Path) -> None:
    result, _ = _upload(tmp_path / "missing.csv", ws)
    assert result.status is StageStatus.FAILED and "file not found" in result.errors[0]
    result, _ = _upload(tmp_path, ws)
    assert "not a regular file" in result.errors[0]
    path = write(tmp_path / "x.csv", "a\n" + "1\n" * 100)
    result, _ = _upload(path, ws, max_bytes="100B")
    assert result.status is StageStatus.FAILED and "max_bytes" in result.errors[0]
    result, _ = _upload(path, ws, max_bytes=10_000)
    assert result.status is StageStatus.COMPLETED
    result, _ = _upload(path, ws, max_bytes="lots")
    assert result.status is StageStatus.FAILED and "max_bytes" in result.errors[0]
    other = tmp_path / "elsewhere"
    other.mkdir()
    result, _ = _upload(path, ws, allowed_roots=[str(other)])
    assert result.status is StageStatus.FAILED and "allowed roots" in result.errors[0]
    result, _ = _upload(path, ws, allowed_roots=[str(tmp_path)])
    assert result.status is StageStatus.COMPLETED


def test_phi_looking_header_is_not_reported(tmp_path: Path, ws: Path) -> None:
    # A file without a header: its first row holds values, one of them an SSN.
    result, profile = _upload(write(tmp_path / "nohdr.csv", "S001,123-45-6789,5\nS002,234-56-7890,6\n"), ws)
    assert result.status is StageStatus.COMPLETED
    assert profile.columns == ("col_1", "col_2", "col_3") and not profile.has_header and profile.rows == 2
    assert any("no header row" in w for w in result.warnings)
    assert "123-45-6789" not in json.dumps(result.output)


def test_a_header_cell_holding_phi_is_column_n(tmp_path: Path, ws: Path) -> None:
    result, profile = _upload(write(tmp_path / "h.csv", "id,Okonkwo_Margaret,lab\n1,x,7.1\n"), ws)
    assert result.status is StageStatus.COMPLETED and profile.has_header
    assert profile.columns == ("id", "column_2", "lab")


def test_multiple_inputs(tmp_path: Path, ws: Path) -> None:
    a = write(tmp_path / "a.csv", "x\n1\n")
    b = write(tmp_path / "b.tsv", "x\ty\n1\t2\n3\t4\n")
    r = run(["upload"], {"first": a, "second": b}, ws)
    out = r.result("upload").output
    assert out["inputs_total"] == 2 and out["rows_total"] == 3
    assert r.component("input:second", DatasetProfile).format == "tsv"


def test_a_table_forced_into_one_column_is_warned_about(tmp_path: Path, ws: Path) -> None:
    src = write(tmp_path / "a.csv", "id;mrn;note\n1;A7730012;x\n")
    r = run(["upload"], src, ws, {"upload": {"delimiter": ","}})
    result = r.result("upload")
    assert result.status is StageStatus.COMPLETED
    assert any("one column" in w and "';'" in w for w in result.warnings), result.warnings
