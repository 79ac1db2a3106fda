"""Helpers for end-to-end tests that drive the real ``rflow`` CLI in subprocesses."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA = ROOT / "engine" / "data" / "demo_study.csv"
IDENTIFIER_COLUMNS = ("patient_name", "mrn", "ssn", "phone", "email", "dob")


def rflow(*args: str, cwd: Path, env: dict[str, str] | None = None,
          timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the real CLI (``python -m engine``) in a subprocess, as a user would."""
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def demo_with_a_schema_error(path: Path, rows: int) -> Path:
    """The first ``rows`` rows of the demo study, the first with an age that is not a number
    (schema_check under ``on_errors: report`` records it and completes)."""
    lines = DEMO_DATA.read_text(encoding="utf-8").splitlines()[: rows + 1]
    cells = lines[1].split(",")
    cells[5] = "abc"
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def install_plugin(tmp_path: Path, module: str, source: str, stages: dict[str, str]) -> dict[str, str]:
    """A stage plugin the real CLI finds by entry point; returns the environment that exposes it.

    ``stages`` maps an entry-point name to a class of ``module`` (written from ``source``).
    """
    plugins = tmp_path / f"plugins-{module}"
    info = plugins / f"{module}-1.0.dist-info"
    info.mkdir(parents=True)
    name = module.replace("_", "-")
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    entries = "".join(f"{key} = {module}:{cls}\n" for key, cls in stages.items())
    (info / "entry_points.txt").write_text("[rflow.stages]\n" + entries)
    (plugins / f"{module}.py").write_text(textwrap.dedent(source))
    return {"PYTHONPATH": f"{plugins}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}


def load_report(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return data


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {s["step_id"]: s["status"] for s in report["steps"]}


def planted_identifiers(path: Path = DEMO_DATA) -> set[str]:
    """Every distinct value of the bundled data's identifier columns."""
    values: set[str] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for column in IDENTIFIER_COLUMNS:
                value = (row.get(column) or "").strip()
                if len(value) >= 6:
                    values.add(value)
    return values


def leaked(values: set[str], *texts: str) -> list[str]:
    """Planted values that stand as a token of their own in any of ``texts``.

    Token boundaries matter: hex digests and epoch timestamps in reports and findings files hold
    every 8-digit run sooner or later, which is not a leak of an 8-digit MRN.
    """
    if not values:
        return []
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    token = re.compile(f"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])")
    return sorted({m.group(0) for t in texts for m in token.finditer(t)})


def all_output_text(run_dir: Path) -> str:
    """Every file a run wrote, as text (binary files are decoded leniently)."""
    parts = []
    for path in sorted(run_dir.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.fixture(scope="session")
def identifiers() -> set[str]:
    return planted_identifiers()
