"""The DEMO pipeline on one file under ``/usr/bin/time -v``: each step's wall, CPU seconds and the load.

Usage: python bench/pipeline_cpu.py FILE [--out DIR] [--interval 0.5] [--tree CHECKOUT]

On a shared machine wall time alone says little: this samples, every ``--interval`` seconds, the
CPU seconds of the whole process tree of ``rflow run`` (user + system, children included, from
``/proc``) and the 1-minute load average, then gives each step (its start and end from
report.json) the CPU used between them. It prints one table line a step (wall s, CPU s, MB/s of
wall and of CPU, the step's share of a 2-minute budget for a 1 GB file, the load during it) and
the run's peak RSS as ``/usr/bin/time -v`` reports it (the largest process of the tree), and the
tree's largest sampled resident memory during each step (what grows with the file shows there).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
# The 2-minute goal for a 1 GB file shared out, seconds a step (docs/benchmarks.md).
BUDGET = {"upload": 10, "schema_check": 12, "validate": 15, "phi_scan": 35, "deidentify": 35, "summary": 13}


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_cpu(root: int) -> tuple[float, float]:
    """CPU seconds of ``root`` and its descendants (user + system, reaped children included), and
    their resident memory together in MB."""
    kids = _children()
    total = rss = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(kids.get(pid, []))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        rss += int(fields[21]) * PAGE
    return total / TICK, rss / 2**20


def _stamp(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _at(samples: list[tuple[float, float, float, float]], t: float, col: int) -> float:
    """The sampled value (1: CPU s, 2: load) linearly interpolated at time ``t``."""
    for (t0, *a), (t1, *b) in itertools.pairwise(samples):
        if t0 <= t <= t1:
            w = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
            return a[col - 1] + w * (b[col - 1] - a[col - 1])
    return samples[-1][col] if t > samples[-1][0] else samples[0][col]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--out", type=Path, default=Path("/tmp/pipeline_cpu_run"))
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose code runs (another revision)")
    args = ap.parse_args()
    size_mb = args.file.stat().st_size / 1e6
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "engine", "run",
           "--input", f"dataset={args.file}", "--out", str(args.out)]
    samples: list[tuple[float, float, float, float]] = []
    t0 = time.time()
    env = {**os.environ, "PYTHONPATH": str(args.tree)}
    proc = subprocess.Popen(cmd, cwd=args.tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set() and proc.poll() is None:
            cpu, rss = tree_cpu(proc.pid)
            samples.append((time.time(), max(cpu, samples[-1][1] if samples else 0.0), os.getloadavg()[0], rss))
            done.wait(args.interval)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    wall = time.time() - t0
    done.set()
    sampler.join()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    user = re.search(r"User time \(seconds\): ([\d.]+)", err)
    system = re.search(r"System time \(seconds\): ([\d.]+)", err)
    report = json.loads((args.out / "report.json").read_text())
    print(f"{args.file.name}: {size_mb:.1f} MB, exit {proc.returncode}, wall {wall:.1f} s, "
          f"CPU {float(user[1]) + float(system[1]) if user and system else 0:.1f} s "
          f"(user {user[1] if user else '?'}, system {system[1] if system else '?'}), "
          f"peak RSS {int(rss[1]) / 1024 if rss else 0:.0f} MB, "
          f"load (1 min) {samples[0][2]:.1f} at start, {max(s[2] for s in samples):.1f} max, "
          f"{samples[-1][2]:.1f} at end")
    print("| step | wall s | CPU s | MB/s (wall) | MB per CPU-s | budget s (1 GB, 2 min) | CPU s at 1 GB | load "
          "| RSS MB (max) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    steps_cpu = 0.0
    for step in report["steps"]:
        if not step.get("started_at") or not step.get("finished_at"):
            continue
        a, b = _stamp(step["started_at"]), _stamp(step["finished_at"])
        cpu = _at(samples, b, 1) - _at(samples, a, 1)
        steps_cpu += cpu
        during = [s for s in samples if a <= s[0] <= b] or [min(samples, key=lambda s: abs(s[0] - a))]
        load = [s[2] for s in during]
        dur = b - a
        name = step["step_id"]
        print(f"| {name} | {dur:.2f} | {cpu:.2f} | {size_mb / dur if dur else 0:.1f} | "
              f"{size_mb / cpu if cpu else 0:.1f} | {BUDGET.get(name, '')} | {cpu * 1000 / size_mb:.0f} | "
              f"{min(load):.1f}-{max(load):.1f} | {max(s[3] for s in during):.0f} |")
    total_cpu = float(user[1]) + float(system[1]) if user and system else samples[-1][1]
    print(f"| outside the steps | | {total_cpu - steps_cpu:.1f} | | | | | | |")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
