"""Start-up of ``rflow phi scan`` on a one-row file: wall time of whole processes, median of N runs.

    python bench/phi_startup.py --runs 5
    python bench/phi_startup.py --runs 5 --before /tmp/main-checkout   # alternate with another source tree

``--before DIR`` runs the same interpreter with ``PYTHONPATH=DIR`` (a checkout of another commit,
with the built ``engine/_native*.so`` copied in), one process after the other, alternating with
this tree, so that both are measured at the same load. No on-disk cache is involved: every run
is a fresh process. Prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROW = "name,email,ssn,note\nJane Roe,jane.roe@example.org,536-22-8410,seen today\n"


def _one_run(one: Path, pythonpath: str | None) -> float:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "engine", "phi", "scan", str(one), "--format", "json"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=one.parent, capture_output=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"phi scan exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", default=None, help="another source tree, run alternately (PYTHONPATH)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.csv"
        one.write_text(ROW, encoding="utf-8")
        print(f"load average before: {os.getloadavg()}")
        trees = {"this tree": None} if args.before is None else {"before": args.before, "this tree": None}
        times: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, path in trees.items():
                times[name].append(_one_run(one, path))
        for name, runs in times.items():
            shown = " ".join(f"{t:.2f}" for t in runs)
            print(f"{name}: median {statistics.median(runs):.3f} s ({shown})")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
