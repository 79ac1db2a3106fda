"""``rflow phi scan`` as a whole process, this tree against another checkout, and the naive loop, in one run.

    git worktree add --detach /tmp/base <commit>     # the code before (then build or copy its core)
    python bench/phi_cli_ab.py --base /tmp/base --mb 20 --repeat 3

Files: ``bench/phi_scan.py``'s dense CSV (every value distinct, 8 generated blocks) and its mostly
clean form (the clinical columns and the note), and a one-row file for start-up. Each run is a
fresh subprocess (``PYTHONPATH`` set to the tree), the trees alternate, medians of wall and CPU
seconds (user + system of the child) are reported, and the JSON reports of the two trees must be
equal (the run stops otherwise). ``--workers 2`` runs this tree's scan with two processes too.
The naive baseline (the issue's six regexes over every cell, ``bench/phi_native.py``) runs in
this process on the same files.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
KEY = "benchmark-key-0123456789"


def run(tree: Path, path: Path, *extra: str) -> tuple[float, float, dict[str, object]]:
    """Wall and CPU seconds of one ``rflow phi scan`` of ``path`` with ``tree``'s code, and its report."""
    env = {**os.environ, "PYTHONPATH": str(tree), "RFLOW_PHI_KEY": KEY}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "engine", "phi", "scan", str(path), "--format", "json", *extra],
                          env=env, cwd=tree, capture_output=True, check=False)  # fmt: skip
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"rflow phi scan failed in {tree} (exit {proc.returncode})")
    report = json.loads(proc.stdout)
    if report.get("regex_engine") != "native":
        raise SystemExit(f"the native core did not run in {tree} ({report.get('regex_engine')})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-mb", type=float, default=2.0)
    args = ap.parse_args()
    from phi_native import naive
    from phi_scan import make_file

    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = {"dense": tmp / "dense.csv", "mostly clean": tmp / "clean.csv"}
        make_file(files["dense"], args.mb, 8)
        make_file(files["mostly clean"], args.mb, 8, sparse=True)
        one = tmp / "one.csv"
        lines = files["dense"].read_bytes()[:20000].split(b"\n")
        one.write_bytes(lines[0] + b"\n" + lines[1] + b"\n")
        trees = {"before": args.base, "after": ROOT}
        for label, path in [*files.items(), ("one row (start-up)", one)]:
            mb = path.stat().st_size / 1e6
            runs: dict[str, list[tuple[float, float]]] = {k: [] for k in (*trees, "after, --workers 2")}
            reports: dict[str, object] = {}
            for _ in range(args.repeat):
                for name, tree in trees.items():
                    wall, cpu, report = run(tree, path)
                    runs[name].append((wall, cpu))
                    reports[name] = report
                if label != "one row (start-up)":
                    wall, cpu, report = run(ROOT, path, "--workers", "2")
                    runs["after, --workers 2"].append((wall, cpu))
                    if report != reports["after"]:
                        raise SystemExit("--workers 2 gives another report")
            if reports["before"] != reports["after"]:
                raise SystemExit(f"{label}: the trees give different reports")
            print(f"\n## {label}: {mb:.1f} MB, {reports['after']['total']} findings")  # type: ignore[index]
            for name, got in runs.items():
                if not got:
                    continue
                wall = statistics.median(w for w, _ in got)
                cpu = statistics.median(c for _, c in got)
                print(f"{name:22} wall {wall:6.2f} s ({mb / wall:6.2f} MB/s)   "
                      f"CPU {cpu:6.2f} s ({mb / cpu:6.2f} MB per CPU-s)")  # fmt: skip
            if label != "one row (start-up)":
                sample = tmp / "sample.csv"
                sample.write_bytes(path.read_bytes()[: int(args.naive_mb * 1e6)].rsplit(b"\n", 1)[0] + b"\n")
                secs, found = naive(sample)
                print(f"naive six-regex loop (first {args.naive_mb} MB): {sample.stat().st_size / 1e6 / secs:.2f} MB/s"
                      f" ({found} matches)")  # fmt: skip
    print(f"\nload average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
