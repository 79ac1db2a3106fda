"""A lone CR ends a row, as Python's ``csv`` reads a file opened with ``newline=""``: ``rflow phi scan``
finds each identifier in the same row and column as in the same file with LF row ends, and the
pipeline's deidentify replaces the same cells (1 and 2 workers, so partitions end after a CR).
Real subprocesses on real files; a CR inside a quoted cell stays a character of the cell.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000  # about 100 KB: two partitions of 64 KiB


def _rflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(PYTHONPATH=str(ROOT), RFLOW_PHI_KEY="lone-cr-key-0123456789abcdef", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)  # fmt: skip


def _rows() -> list[str]:
    rows = []
    for i in range(1, ROWS + 1):
        note = f"call 617-555-{i % 10000:04d}" if i % 3 == 0 else ('"seen\rtoday"' if i % 7 == 0 else "ok")
        rows.append(f"{i},{note},{18815984 + i},536-22-{i % 10000:04d}")
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lonecr")
    out = {}
    for name, eol in (("cr", "\r"), ("lf", "\n")):
        path = folder / f"{name}.csv"
        path.write_bytes(("id,note,mrn,ssn" + eol + eol.join(_rows()) + eol).encode())
        out[name] = path
    assert out["cr"].read_bytes().count(b"\n") == 0 and out["cr"].stat().st_size > 1 << 16
    return out


def _findings(path: Path, workers: str) -> list[tuple[int, str, str, int, str]]:
    proc = _rflow("phi", "scan", str(path), "--format", "json", "--limit", "0", "--workers", workers, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)["findings"]
    return [(f["row"], f["column"], f["category"], f["length"], f["digest"]) for f in found]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_scan_finds_each_identifier_in_its_row_and_column(files: dict[str, Path], workers: str) -> None:
    cr = _findings(files["cr"], workers)
    assert cr == _findings(files["lf"], workers)
    assert {(r, c) for r, c, cat, _, _ in cr if cat == "MRN"} == {(i, "mrn") for i in range(1, ROWS + 1)}
    assert {(r, c) for r, c, cat, _, _ in cr if cat == "SSN"} == {(i, "ssn") for i in range(1, ROWS + 1)}
    assert {r for r, c, cat, _, _ in cr if cat == "PHONE" and c == "note"} == set(range(3, ROWS + 1, 3))


def _deidentified(path: Path, workers: str) -> tuple[bytes, list[list[str]]]:
    out = path.parent / f"run-{path.stem}-{workers}"
    proc = _rflow("run", str(ROOT / "manifests" / "demo.yaml"), "--input", f"dataset={path}", "--out", str(out),
                  "--partition-size", "64KiB", "--workers", workers, cwd=path.parent)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    raw = (out / "deidentified" / "dataset.csv").read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode(), newline="")))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_deidentify_replaces_the_same_cells(files: dict[str, Path], workers: str) -> None:
    raw_cr, cr = _deidentified(files["cr"], workers)
    _, lf = _deidentified(files["lf"], workers)
    assert cr == lf and len(cr) == ROWS + 1
    assert b"\n" not in raw_cr  # the copy keeps the input's row ends
    source = list(csv.reader(io.StringIO(files["lf"].read_text(), newline="")))
    for before, after in zip(source[1:], cr[1:], strict=True):
        assert after[0] == before[0] and after[2] != before[2] and after[3] != before[3]
        assert "617-555" not in after[1]
        if before[1] == "seen\rtoday":
            assert after[1] == before[1]


def test_a_quote_left_open_is_refused_with_its_line_counted_as_csv_counts_lines(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes(b'id,ssn\r1,x\r\n2,y\r3,"123-45-6789\r4,z\r')
    proc = _rflow("phi", "scan", str(path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unclosed quote at line 4" in proc.stderr and "Traceback" not in proc.stderr
    assert "123-45-6789" not in proc.stdout + proc.stderr
