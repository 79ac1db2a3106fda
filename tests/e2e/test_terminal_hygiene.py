"""What a run echoes: escape sequences and PHI from manifests, headers and file names never reach
the terminal or study_summary.md raw (real CLI subprocesses)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import ROOT, rflow

SSN = "234-56-7890"
ESC = "\x1b"
HOSTILE = f"{ESC}[2J{ESC}]0;pwned{ESC}\\{ESC}[31m{SSN}\u202e"  # clear screen, set title, red, bidi
HOSTILE_YAML = "\\e[2J\\e]0;pwned\\e\\\\\\e[31m" + SSN + "\\u202e"  # the same, as YAML escapes


def _manifest(tmp_path: Path, *, name: str = "hygiene", value: str = f"Study of {SSN}") -> Path:
    """The demo manifest with ``value`` (YAML escapes allowed) as its description and summary title."""
    text = (ROOT / "manifests" / "demo.yaml").read_text("utf-8")
    text = text.replace("  name: demo\n", f"  name: {name}\n")
    text = text.replace("  description: Intake, schema", f'  description: "{value}"\n  # Intake, schema')
    text = text.replace("      title: Demo study summary", f'      title: "{value}"')
    path = tmp_path / "hostile.yaml"
    path.write_text(text, "utf-8")
    return path


def _data(tmp_path: Path) -> Path:
    folder = tmp_path / f"in{ESC}[31m{SSN}"
    folder.mkdir()
    path = folder / f"visits{ESC}[1m {SSN}{ESC}[0m.csv"
    header = f'subject_id,"{HOSTILE} note",site'
    rows = [f"S{i:04d},free text {i},SEA" for i in range(30)]
    path.write_text("\n".join([header, *rows]) + "\n", "utf-8")
    return path


def _assert_clean(*texts: str) -> None:
    for text in texts:
        assert ESC not in text and "\u202e" not in text and "\x9b" not in text
        assert SSN not in text


def test_run_echoes_no_escape_and_no_phi(tmp_path: Path) -> None:
    out = tmp_path / f"run{ESC}[5m{SSN}"
    data = _data(tmp_path)
    proc = rflow("run", str(_manifest(tmp_path)), "--input", f"dataset={data}", "--out", str(out),
                 cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "artifact (summary):" in proc.stdout and "\\x1b[5m[PHI:SSN]" in proc.stdout
    summary = (out / "summary" / "study_summary.md").read_text("utf-8")
    assert "# Study of [PHI:SSN]" in summary  # the title, sanitized
    _assert_clean(proc.stdout, proc.stderr, summary)

    verify = rflow("audit", "verify", str(out), cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    _assert_clean(verify.stdout, verify.stderr)

    for fmt in ("text", "json"):
        scan = rflow("phi", "scan", str(data), "--format", fmt, cwd=tmp_path)
        assert scan.returncode == 0, scan.stderr
        _assert_clean(scan.stdout, scan.stderr)


def test_invalid_manifest_diagnostics_are_shown_escaped(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, name=f'"{HOSTILE_YAML}"', value=HOSTILE_YAML)
    text = manifest.read_text("utf-8").replace("defaults:\n", f'defaults:\n  "{HOSTILE_YAML}": 1\n')
    manifest.write_text(text, "utf-8")
    proc = rflow("run", str(manifest), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _assert_clean(proc.stdout, proc.stderr)
    for fmt in ("text", "json", "github"):
        val = rflow("validate", str(manifest), "--format", fmt, cwd=tmp_path)
        assert val.returncode == 1, val.stdout + val.stderr
        _assert_clean(val.stdout, val.stderr)


def test_validate_json_paths_show_no_raw_mapping_key(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    manifest.write_text(manifest.read_text("utf-8").replace("defaults:\n", f'defaults:\n  "ssn {SSN}": 1\n'))
    val = rflow("validate", str(manifest), "--format", "json", cwd=tmp_path)
    assert val.returncode == 1, val.stdout + val.stderr
    paths = [d["path"] for d in json.loads(val.stdout)]
    assert any("[PHI:SSN]" in p for p in paths), paths
    _assert_clean(val.stdout, val.stderr)


@pytest.mark.parametrize("argv", [
    ["stages", "show", f"x{ESC}[31m{SSN}"],
    ["audit", "verify", f"missing{ESC}[31m{SSN}"],
    ["run", "--mode", f"M{ESC}[31m{SSN}"],
    ["plan", str(ROOT / "manifests" / "demo.yaml"), "--mode", f"M{ESC}[31m{SSN}"],
    ["validate", f"nothing{ESC}[31m{SSN}"],
    ["phi", "scan", f"nothing{ESC}[31m{SSN}.csv"],
    ["validate", "--format", f"x{ESC}[31m{SSN}"],
])
def test_errors_echo_no_escape_and_no_phi(tmp_path: Path, argv: list[str]) -> None:
    proc = rflow(*argv, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _assert_clean(proc.stdout, proc.stderr)
    assert "internal error" not in proc.stderr
    assert "error" in proc.stderr


def test_non_utf8_file_name_prints_without_crashing(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/caf\xe9-" + SSN.encode() + b".csv"
    with open(name, "wb") as fh:
        fh.write(b"id,note\n1,call 617-555-0199\n")
    proc = rflow("phi", "scan", os.fsdecode(name), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # A file name holding PHI is replaced whole (engine/phi/labels.py), not only the matching part.
    assert "[PHI:FILE_NAME].csv" in proc.stdout and SSN not in proc.stdout
    _assert_clean(proc.stdout, proc.stderr)
