"""The README's Python examples run as written: from a folder that is not the repository, twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


def test_each_python_example_runs_anywhere_and_again(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for index, block in enumerate(BLOCKS):
        script = tmp_path / f"example_{index}.py"
        script.write_text(block, encoding="utf-8")
        for attempt in (1, 2):
            proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=600, stdin=subprocess.DEVNULL)
            assert proc.returncode == 0, (index, attempt, proc.stderr[-2000:])
            assert "completed" in proc.stdout, (index, attempt, proc.stdout)
    assert len(list((tmp_path / "rflow-runs").iterdir())) == 2  # a new run folder each time


def test_the_stage_example_shows_query_pairs() -> None:
    stage = next(block for block in BLOCKS if "register_stage" in block)
    assert re.search(r"for \w+, \w+ in context\.world\.query\(", stage)
