"""Scanner: locations, formats, labelled columns, chunk/worker invariance, errors without values."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from engine.phi import PhiInputError, plan_ranges, resolve_key, scan_file, scan_range, scan_text, summarize
from engine.phi.keys import PhiKey

CSV = (
    "id,mrn,zip,note,phone,lab\n"
    '1,A123456,02139,"seen Jan 5, 2020\nthen 617-555-0199, ok",617 555 0199,5.6\n'
    '2,B77777,12345,"said ""hi"" 123-45-6788",(212) 555-0100,120/80\n'
    "3,n/a,n/a,plain,none,E11.9\n"
)


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    p = tmp_path / "data.csv"
    p.write_bytes(CSV.encode())
    return p


def test_csv_rows_columns_and_offsets(csv_file: Path) -> None:
    found = list(scan_file(csv_file))
    got = [(f.category, f.row, f.column) for f in found]
    assert got == [
        ("MRN", 1, "mrn"), ("ZIP", 1, "zip"), ("DATE", 1, "note"), ("PHONE", 1, "note"), ("PHONE", 1, "phone"),
        ("MRN", 2, "mrn"), ("ZIP", 2, "zip"), ("SSN", 2, "note"), ("PHONE", 2, "phone"),
    ]  # fmt: skip
    data = csv_file.read_bytes()
    ssn = next(f for f in found if f.category == "SSN")
    assert ssn.offset is not None
    assert data[ssn.offset : ssn.offset + ssn.length] == b"123-45-6788"


def test_same_value_same_digest_across_formats(csv_file: Path) -> None:
    phones = [f for f in scan_file(csv_file) if f.category == "PHONE"]
    assert phones[0].digest == phones[1].digest  # 617-555-0199 and 617 555 0199 normalize alike
    assert phones[2].digest != phones[0].digest


def test_tsv_and_cross_cell_matches_are_dropped(tmp_path: Path) -> None:
    p = tmp_path / "d.tsv"
    p.write_text("label\tvalue\nMRN\t1234567\nx\tSSN 123-45-6788\n")
    assert [(f.category, f.row, f.column) for f in scan_file(p)] == [("SSN", 2, "value")]


def test_jsonl_records_and_key_paths(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    rows = [{"mrn": "A1234567", "a": {"note": "call 617-555-0199"}}, {"x": [1, "j@x.org"]}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    got = [(f.category, f.row, f.column) for f in scan_file(p)]
    assert got == [("MRN", 1, "mrn"), ("PHONE", 1, "a.note"), ("EMAIL", 2, "x[1]")]


def test_text_byte_offsets_with_non_ascii(tmp_path: Path) -> None:
    text = "Patiënt café — SSN 123-45-6788\n"
    [f] = scan_text(text)
    raw = text.encode()
    assert raw[f.offset : f.offset + f.length] == b"123-45-6788"
    p = tmp_path / "n.txt"
    p.write_bytes(raw)
    assert list(scan_file(p)) == [f]


def test_header_row_findings_are_row_zero(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("id,john@example.org\n1,2\n")
    assert [(f.category, f.row) for f in scan_file(p)] == [("EMAIL", 0)]


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 20])
def test_chunk_size_does_not_change_findings(csv_file: Path, chunk_size: int) -> None:
    assert list(scan_file(csv_file, chunk_size=chunk_size)) == list(scan_file(csv_file))


def _bigger_csv(tmp_path: Path) -> Path:
    p = tmp_path / "big.csv"
    body = CSV.split("\n", 1)[1]
    p.write_bytes((CSV + body * 400).encode())
    return p


def test_workers_match_single_process(tmp_path: Path) -> None:
    p = _bigger_csv(tmp_path)
    one = list(scan_file(p))
    assert len(one) > 1000
    assert list(scan_file(p, workers=2, chunk_size=4096)) == one


def test_ranges_cover_the_file_on_row_boundaries(tmp_path: Path) -> None:
    p = _bigger_csv(tmp_path)
    ranges = plan_ranges(p, 5)
    assert len(ranges) >= 2
    assert all(a.end == b.start for a, b in itertools.pairwise(ranges))
    stitched = [f for r in ranges for f in scan_range(p, r.start, r.end, first_row=r.first_row, header=_header(p))]
    assert stitched == [f for f in scan_file(p) if f.row != 0]


def _header(p: Path) -> list[str]:
    return p.read_text().split("\n", 1)[0].split(",")


def test_findings_never_hold_the_value(csv_file: Path) -> None:
    data = csv_file.read_text()
    for f in scan_file(csv_file):
        value = data.encode()[f.offset : f.offset + f.length].decode()
        for shown in (repr(f), str(f), json.dumps(f._asdict())):
            assert value not in shown


def test_summary_counts_and_key_source(csv_file: Path) -> None:
    s = summarize(scan_file(csv_file))
    assert s.total == 9
    assert s.by_category == {"DATE": 1, "MRN": 2, "PHONE": 3, "SSN": 1, "ZIP": 2}
    assert s.by_column["note"] == 3
    assert s.key_source == "env" and not s.key_is_random


def test_random_key_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFLOW_PHI_KEY")
    key = resolve_key()
    assert key.source == "random" and key.is_random
    assert "key=" not in repr(key) and key.key.hex() not in repr(key)


def test_key_file_and_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFLOW_PHI_KEY")
    kf = tmp_path / "k"
    kf.write_bytes(b"0123456789abcdefXYZ\n")
    kf.chmod(0o600)  # a key file others may read is refused
    monkeypatch.setenv("RFLOW_PHI_KEY_FILE", str(kf))
    assert resolve_key() == PhiKey(b"0123456789abcdefXYZ", "file")
    assert resolve_key(b"x" * 32).source == "explicit"
    a = next(scan_text("SSN 123-45-6788", key=b"k" * 32)).digest
    b = next(scan_text("SSN 123-45-6788", key=b"j" * 32)).digest
    assert a != b


def test_missing_file_and_bad_utf8_messages_hold_no_values(tmp_path: Path) -> None:
    with pytest.raises(PhiInputError) as err:
        list(scan_file(tmp_path / "123-45-6788.csv"))
    assert "123-45-6788" not in str(err.value)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n123-45-6788,\xff\n")
    with pytest.raises(PhiInputError) as err:
        list(scan_file(bad))
    assert "123-45-6788" not in str(err.value) and "byte offset" in str(err.value)


def test_bad_json_line_is_reported_by_number(tmp_path: Path) -> None:
    p = tmp_path / "b.jsonl"
    p.write_text('{"a": 1}\n{"ssn": "123-45-6788"\n')
    with pytest.raises(PhiInputError, match="record 2"):
        list(scan_file(p))
