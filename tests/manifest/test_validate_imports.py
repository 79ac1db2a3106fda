"""``rflow validate`` stays cheap in CI: it loads no data-plane, native, templating or terminal library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Top-level modules a manifest check has no use for: reading data (polars and friends), the native
# PHI core, HTML templating, terminal rendering, the Dask executor.
HEAVY = ("polars", "pyarrow", "pandas", "numpy", "jinja2", "rich", "dask", "distributed", "engine._native")

PROBE = """
import json, sys
from engine.cli import main
code = main(["validate", *sys.argv[1:]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_validate_imports_no_heavy_library(tmp_path: Path) -> None:
    manifests = sorted(str(p) for p in (ROOT / "manifests").glob("*.yaml"))
    done = subprocess.run([sys.executable, "-c", PROBE, *manifests], capture_output=True, text=True, cwd=tmp_path,
                          check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stdout
    loaded = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
