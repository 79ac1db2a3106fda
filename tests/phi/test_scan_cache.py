"""The scanner's digest cache: same digests as the key itself, whatever the cache size."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.phi import resolve_key, scan_file
from engine.phi import scanner as scanner_mod

ROWS = [
    "mrn,ssn,phone,note",
    "MRN1234567,123-45-6780,(617) 253-0142,seen 2021-03-04 by dr at jane.doe@example.org",
    "MRN1234567,123-45-6780,617.253.0142,MRN: A1234567 on 3/4/2021",
    "MRN7654321,234-56-7890,(617) 253-0142,ssn 234-56-7890 again",
] * 7


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "repeat.csv"
    path.write_text("\n".join([ROWS[0], *[r for r in ROWS if not r.startswith("mrn,")]]) + "\n")
    return path


@pytest.mark.parametrize("size", [1, 2, 5, 1 << 15])
def test_digest_cache_size_does_not_change_findings(csv_file: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner_mod, "DIGEST_CACHE", 1)
    reference = list(scan_file(csv_file))
    monkeypatch.setattr(scanner_mod, "DIGEST_CACHE", size)
    assert list(scan_file(csv_file)) == reference
    assert list(scan_file(csv_file, workers=2)) == reference


def test_cached_digests_are_the_keyed_digest_of_the_normalized_value(csv_file: Path) -> None:
    key = resolve_key()
    ssn = [f for f in scan_file(csv_file) if f.category == "SSN" and f.column == "ssn"]
    assert len(ssn) == 21
    expected = {key.digest("SSN", "123456780"), key.digest("SSN", "234567890")}
    assert {f.digest for f in ssn} == expected
