"""bench/dataplane_cpu.py with this tree's code against another checkout's, alternating, in one run.

Usage:
    git worktree add --detach /tmp/base <commit>     # the code before (then build or copy its core)
    python bench/dataplane_cpu_ab.py --base /tmp/base INPUT.csv COPY.csv [--repeat 3]

Each repetition runs upload, schema_check, validate and summary (one subprocess a tree,
``PYTHONPATH`` set to it), the trees alternating; the medians of each stage's CPU seconds and the
ratio base / this tree are printed. CPU seconds, not wall, are the figures to compare on a shared
machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(\w+)\s+wall\s+([\d.]+) s cpu\s+([\d.]+) s")


def run(tree: Path, path: Path, copy: Path) -> dict[str, float]:
    """CPU seconds of each stage with ``tree``'s code."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, str(tree / "bench" / "dataplane_cpu.py"), str(path), str(copy)],
                         env=env, cwd=tree, capture_output=True, text=True, check=True).stdout
    return {m[1]: float(m[3]) for m in map(LINE.match, out.splitlines()) if m}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("input", type=Path)
    ap.add_argument("copy", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cpu: dict[str, dict[str, list[float]]] = {"base": {}, "this": {}}
    for _ in range(args.repeat):
        for name, tree in (("base", args.base), ("this", ROOT)):
            for stage, seconds in run(tree, args.input, args.copy).items():
                cpu[name].setdefault(stage, []).append(seconds)
    mb = args.input.stat().st_size / 1e6
    print(f"{args.input.name}: {mb:.1f} MB, {args.repeat} runs a tree, median CPU s, load {os.getloadavg()[0]:.1f}")
    for stage, base in cpu["base"].items():
        b, t = statistics.median(base), statistics.median(cpu["this"][stage])
        print(f"{stage:13} base {b:6.2f}  this {t:6.2f}  base/this {b / t:5.2f}x")


if __name__ == "__main__":
    main()
