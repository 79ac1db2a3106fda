"""Garbage-collector thresholds during tasks: the task policy against Python's defaults.

Runs ``rflow run`` (upload, phi_scan, deidentify; the ``local`` executor) on one dense CSV, each
round once with the task thresholds of ``engine.execution.executors.gc_policy`` and once with them set to
Python's defaults (700, 10, 10), in alternating order. Prints the phi_scan + deidentify step time
from each report and the run's CPU time, medians and the ratio.

    python bench/gc_policy.py --mb 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from scale_out import KEY, make_csv, write_manifest  # noqa: E402

LAUNCH = (
    "import sys; import engine.execution.executors.gc_policy as p; "
    "p.TASK_THRESHOLDS = {thresholds}; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
)
POLICIES = {"task": None, "default": (700, 10, 10)}


def run_once(manifest: Path, out: Path, thresholds: tuple[int, int, int] | None) -> tuple[float, float]:
    """(phi_scan + deidentify seconds from the report, CPU seconds of the run process)."""
    args = ["run", str(manifest), "--out", str(out), "--executor", "local"]
    cmd = (
        [sys.executable, "-m", "engine", *args]
        if thresholds is None
        else [sys.executable, "-c", LAUNCH.format(thresholds=thresholds), *args]
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**os.environ, "RFLOW_PHI_KEY": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"rflow run exited {proc.returncode}: {proc.stderr[-500:]}")
    steps = {s["step_id"]: s for s in json.loads((out / "report.json").read_text())["steps"]}
    shutil.rmtree(out, ignore_errors=True)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return steps["phi_scan"]["duration_s"] + steps["deidentify"]["duration_s"], cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rflow-gc-", dir="/tmp"))
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in POLICIES}
    try:
        data = tmp / "dense.csv"
        make_csv(data, args.mb, seed=7)
        manifest = write_manifest(tmp, [data])
        for r in range(args.rounds):
            order = list(POLICIES) if r % 2 == 0 else list(reversed(POLICIES))
            for name in order:
                work, cpu = run_once(manifest, tmp / f"out-{name}-{r}", POLICIES[name])
                figures[name].append((work, cpu))
                print(f"round {r + 1} {name:7s}: scan+deid {work:6.1f} s, run CPU {cpu:6.1f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {
        name: (statistics.median(w for w, _ in f), statistics.median(c for _, c in f)) for name, f in figures.items()
    }
    for name, (work, cpu) in med.items():
        print(f"{name:7s}: median scan+deid {work:6.1f} s, CPU {cpu:6.1f} s")
    print(
        f"task policy over defaults: {med['default'][0] / med['task'][0]:.2f}x faster (step time), "
        f"{med['default'][1] / med['task'][1]:.2f}x less CPU"
    )


if __name__ == "__main__":
    main()
