"""A quote inside an unquoted CSV field (``5"``, ``5'10"``) is a plain character for ``rflow phi scan``
and the pipeline's ``phi_scan``: the rows after it are scanned as rows, their identifiers found in
their own rows and columns. A quoted field left open to the end of the file is refused with its
line, not scanned as one swallowed cell. Real subprocesses on real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.phi.scan.findings_file import read_findings

ROOT = Path(__file__).resolve().parents[2]
MRNS = ("18815984", "28815985", "38815986", "48815987")


def _rflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(PYTHONPATH=str(ROOT), RFLOW_PHI_KEY="stray-quote-key-0123456789", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=240, stdin=subprocess.DEVNULL)  # fmt: skip


def _scan(path: Path, *extra: str) -> dict:
    proc = _rflow("phi", "scan", str(path), "--format", "json", "--limit", "0", *extra, cwd=path.parent)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def inches(tmp_path: Path) -> Path:
    path = tmp_path / "m.csv"
    path.write_text("id,note,mrn\n1,5\"," + "\n".join(f"{i},ok,{m}" for i, m in enumerate(MRNS[1:], 2)).join(
        [MRNS[0] + "\n", "\n"]))
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_stray_quote_leaves_the_later_rows_rows(inches: Path, workers: str) -> None:
    assert inches.read_text().splitlines()[1] == '1,5",18815984'
    report = _scan(inches, "--workers", workers)
    assert report["total"] == 4
    assert [(f["row"], f["column"], f["category"]) for f in report["findings"]] == [
        (r, "mrn", "MRN") for r in (1, 2, 3, 4)]
    data = inches.read_bytes()
    assert [data[f["offset"] : f["offset"] + f["length"]].decode() for f in report["findings"]] == list(MRNS)


def test_a_height_in_inches_keeps_each_email_in_its_row(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,height,email\n1,5'10\",a@example.org\n2,6'1\",b@example.org\n3,x,c@example.org\n")
    report = _scan(path)
    assert [(f["row"], f["column"], f["category"]) for f in report["findings"]] == [
        (1, "email", "EMAIL"), (2, "email", "EMAIL"), (3, "email", "EMAIL")]


def test_a_quote_left_open_to_the_end_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_text('id,ssn,email\n1,"123-45-6789,a@b.com\n2,x,y\n')
    for workers in ("1", "2"):
        proc = _rflow("phi", "scan", str(path), "--workers", workers, cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "unclosed quote at line 2" in proc.stderr
        assert "Traceback" not in proc.stderr
        for raw in ("123-45-6789", "a@b.com"):
            assert raw not in proc.stdout + proc.stderr


def test_the_pipelines_phi_scan_finds_the_mrns_after_a_stray_quote(inches: Path) -> None:
    out = inches.parent / "run"
    proc = _rflow("run", str(ROOT / "manifests" / "demo.yaml"), "--input", f"dataset={inches}", "--out", str(out),
                  cwd=inches.parent)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [step] = [s for s in json.loads((out / "report.json").read_text())["steps"] if s["step_id"] == "phi_scan"]
    assert step["output"]["findings_total"] == 4
    assert step["output"]["inputs"]["dataset"]["by_column"] == {"mrn": 4}
    found = list(read_findings(out / "phi" / "dataset.findings.jsonl"))
    assert [(f.row, f.column, f.category) for f in found] == [(r, "mrn", "MRN") for r in (1, 2, 3, 4)]


@pytest.fixture(scope="module")
def open_at_the_end(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 2.7 MB (three 1 MiB scan chunks; 42 partitions of 64 KiB) whose last row opens a quote
    that never closes: the chunks and partitions before it hold MRNs, so a scan that wrote as it
    went would have findings on disk by the time the refusal comes."""
    path = tmp_path_factory.mktemp("open") / "late.csv"
    rows = [f"{i},ok,{18815984 + i}" for i in range(1, 150_000)]
    path.write_text("id,note,mrn\n" + "\n".join(rows) + '\n150000,"open,28815985\n')
    assert path.stat().st_size > 2 * (1 << 20)
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if "findings" in p.name or p.name.endswith(".tmp") or p.name == ".parts")  # fmt: skip


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_late_open_quote_leaves_no_findings_file(open_at_the_end: Path, workers: str) -> None:
    folder = open_at_the_end.parent
    before = sorted(folder.iterdir())
    proc = _rflow("phi", "scan", str(open_at_the_end), "--workers", workers, "--format", "json", cwd=folder)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unclosed quote at line 150001" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""  # no report, not even a partial one
    out = folder / f"run{workers}"
    proc = _rflow("run", str(ROOT / "manifests" / "demo.yaml"), "--input", f"dataset={open_at_the_end}",
                  "--out", str(out), "--partition-size", "64KiB", "--workers", workers, cwd=folder)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "unclosed quote at line 150001" in proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text())
    [step] = [s for s in report["steps"] if s["step_id"] == "phi_scan"]
    assert step["status"] == "failed" and report["status"] != "completed"
    assert "partitions 42/42" in proc.stdout + proc.stderr  # the refusal came after every partition ran
    assert _leftovers(out) == [] and (out / "phi").is_dir()
    assert sorted(p for p in folder.iterdir() if p.name != out.name) == before
