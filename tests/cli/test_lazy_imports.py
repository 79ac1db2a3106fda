"""``rflow validate`` (the CI check run on every push) loads no terminal, completion, templating or
data-plane library: those load only in the commands that draw, complete, render or compute."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("rich", "argcomplete", "jinja2", "polars", "pyarrow", "pandas", "numpy", "dask")

PROBE = """
import json, sys
from engine.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _modules(*args: str) -> tuple[int, set[str]]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return data["code"], set(data["modules"])


def test_validate_imports_no_heavy_library() -> None:
    code, modules = _modules("validate", "-q", str(ROOT / "manifests"))
    assert code == 0
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_the_probe_sees_a_library_a_command_does_load() -> None:
    """The probe is not blind: a command that completes loads argcomplete, and the probe says so."""
    _, modules = _modules("completion", "bash")
    assert "argcomplete" in modules
