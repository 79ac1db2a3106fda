"""``rflow phi`` in a real subprocess: exit codes, hash-only output, one-line sanitized errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, key: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env["PYTHONPATH"] = str(ROOT)
    if key:
        env["RFLOW_PHI_KEY"] = "cli-test-key-0123456789"
    return subprocess.run(
        [sys.executable, "-m", "engine", "phi", *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    p = tmp_path / "d.csv"
    p.write_text('id,mrn,note\n1,A1234567,"call 617-555-0199"\n2,n/a,"SSN 123-45-6788"\n')
    return p


def test_scan_text_output_is_hash_only(data: Path) -> None:
    r = run("scan", str(data))
    assert r.returncode == 0, r.stderr
    assert "3 finding(s)" in r.stdout
    for raw in ("A1234567", "617-555-0199", "123-45-6788"):
        assert raw not in r.stdout + r.stderr
    assert "per-run random key" not in r.stdout


def test_scan_json_and_fail_on_findings(data: Path) -> None:
    r = run("scan", str(data), "--format", "json", "--fail-on-findings", "--workers", "2")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["total"] == 3 and report["by_category"] == {"MRN": 1, "PHONE": 1, "SSN": 1}
    assert report["key_source"] == "env"
    assert {f["column"] for f in report["findings"]} == {"mrn", "note"}


def test_random_key_is_announced(data: Path) -> None:
    r = run("scan", str(data), key=False)
    assert "per-run random key" in r.stdout


def test_clean_file_exits_zero_even_with_fail_flag(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,icd,bp\n1,E11.9,120/80\n")
    assert run("scan", str(p), "--fail-on-findings").returncode == 0


@pytest.mark.parametrize(
    ("name", "content"),
    # A byte that is not UTF-8 is no error (the file is read as cp1252, as rflow run reads it); NUL bytes are.
    [("missing-123-45-6788.csv", None), ("bad.csv", b"a,b\n123-45-6788,\x00\n")],
)
def test_errors_are_one_sanitized_line(tmp_path: Path, name: str, content: bytes | None) -> None:
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    r = run("scan", str(p))
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr and "123-45-6788" not in r.stderr


def test_usage_error_exit_2() -> None:
    assert run("scan", "--workers", "0", "x.csv").returncode == 2


def test_registry_lists_categories() -> None:
    r = run("registry", "--format", "json")
    assert r.returncode == 0
    names = {c["name"] for c in json.loads(r.stdout)["categories"]}
    assert {"SSN", "MRN", "PHONE", "EMAIL", "DATE", "ZIP", "IP", "URL", "CREDIT_CARD", "VIN"} <= names
    assert "SSN" in run("registry").stdout
