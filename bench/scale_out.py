"""Scale-out benchmark: PHI scan + de-identification under local, processes and dask executors.

Two cases: one large dense CSV (default 800 MB) and 16 datasets (default 50 MB each), each run
with ``local`` (1 worker), ``threads`` (``local`` with 2 worker threads), ``processes`` (2 workers)
and ``dask`` (``local:2``), interleaved
round by round so that load from other users of the machine spreads over all three. Each run is a
separate ``rflow`` process (upload, phi_scan, deidentify); the figures are the phi_scan +
deidentify step times from its report, so the serial upload pass is not counted.

Also measured: per-task overhead (200 trivial tasks through each executor, and one round trip),
and the peak RSS of every process of a run, sampled every 0.2 s (the run's own process, and each
worker process).

    python bench/scale_out.py                          # the issue's sizes (long: tens of minutes)
    python bench/scale_out.py --scale 0.1 --rounds 3   # 80 MB and 16 x 5 MB
    python bench/scale_out.py --executors processes,dask --cases big   # speed-up over the first one
    python bench/scale_out.py --scale 0.1 --cases big --executors local,threads,processes  # 1 worker vs 2

Data is generated under /tmp and deleted afterwards. Medians and ratios are reported; the load
average during the run is printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

EXECUTORS: dict[str, list[str]] = {
    "local": ["--executor", "local", "--workers", "1"],
    "threads": ["--executor", "local", "--workers", "2"],
    "processes": ["--executor", "processes", "--workers", "2"],
    "dask": ["--dask-address", "local:2"],
}
KEY = "scale-out-benchmark-key-0123456789"
MANIFEST = """\
apiVersion: rflow/v1
kind: Pipeline
metadata: {{name: scale-out-bench, version: "1.0.0"}}
inputs:
{inputs}
steps:
  - id: upload
    stage: upload
  - id: phi_scan
    stage: phi_scan
  - id: deidentify
    stage: deidentify
    config: {{fail_on_residual: false}}
governance:
  default_mode: DEMO
  modes:
    DEMO: {{steps: [upload, phi_scan, deidentify], phi_policy: warn}}
"""


def make_csv(path: Path, mb: float, seed: int) -> None:
    """A dense CSV (~14 findings per row: the PHI benchmark's corpus block, repeated)."""
    from phi_corpus import COLUMNS, dense_block

    block = dense_block(2000, seed=seed)
    target = int(mb * 1e6)
    with path.open("wb") as out:
        out.write((",".join(COLUMNS) + "\n").encode())
        written = 0
        while written < target:
            piece = block
            if target - written < len(block):
                piece = block[: block.rfind(b"\n", 0, target - written) + 1]
                if not piece:
                    break
            out.write(piece)
            written += len(piece)


def write_manifest(folder: Path, files: list[Path]) -> Path:
    inputs = "\n".join(f"  - name: d{i:02d}\n    default: {p.as_posix()}" for i, p in enumerate(files))
    path = folder / "bench.yaml"
    path.write_text(MANIFEST.format(inputs=inputs))
    return path


class Sampler:
    """Peak RSS of a process and of each of its descendants, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for p in procs:
                try:
                    rss = p.memory_info().rss
                    role = "run" if p.pid == self.root.pid else _role(p)
                except psutil.Error:
                    continue
                old = self.peaks.get(p.pid, (role, 0))
                self.peaks[p.pid] = (role, max(old[1], rss))
            self._stop.wait(0.2)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        workers = [rss for role, rss in self.peaks.values() if role == "worker"]
        run = max((rss for role, rss in self.peaks.values() if role == "run"), default=0)
        return {"run_mb": run / 1e6, "worker_peak_mb": max(workers, default=0) / 1e6, "workers_seen": len(workers)}


def _role(proc: Any) -> str:
    cmd = " ".join(proc.cmdline())
    return "tracker" if "resource_tracker" in cmd else "worker"


def run_once(manifest: Path, executor: str, out: Path, partition: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "engine", "run", str(manifest), "--out", str(out), "--partition-size", partition,
           *EXECUTORS[executor]]
    env = {**os.environ, "RFLOW_PHI_KEY": KEY}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=out.parent)
    sampler = Sampler(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    memory = sampler.stop()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{executor}: rflow run exited {proc.returncode}: {err[-500:]}")
    report = json.loads((out / "report.json").read_text())
    steps = {s["step_id"]: s for s in report["steps"]}
    work = sum(steps[k]["duration_s"] or 0.0 for k in ("phi_scan", "deidentify"))
    outputs = {k: {n: v for n, v in steps[k].items() if n not in ("started_at", "finished_at", "duration_s")}
               for k in ("phi_scan", "deidentify")}
    shutil.rmtree(out, ignore_errors=True)
    return {"wall_s": wall, "work_s": work, "scan_s": steps["phi_scan"]["duration_s"],
            "deid_s": steps["deidentify"]["duration_s"], "outputs": outputs, **memory}


def task_overhead(rounds: int = 3, tasks: int = 200) -> dict[str, dict[str, float]]:
    """Seconds per trivial task in a batch of ``tasks``, and one round trip, per executor."""
    from engine.execution.executors import create, resolve

    out: dict[str, dict[str, float]] = {}
    for kind, spec in (("local", {"executor": "local"}), ("processes", {"executor": "processes", "workers": 2}),
                       ("dask", {"executor": "dask", "address": "local:2"})):
        executor = create(resolve(None, spec))
        executor.start()
        try:
            asyncio.run(executor.map(abs, [-1, -2], label="warm"))
            batch, single = [], []
            for _ in range(rounds):
                t = time.perf_counter()
                asyncio.run(executor.map(abs, list(range(-tasks, 0)), label="overhead"))
                batch.append((time.perf_counter() - t) / tasks)
                t = time.perf_counter()
                asyncio.run(executor.map(abs, [-1], label="roundtrip"))
                single.append(time.perf_counter() - t)
        finally:
            executor.close()
        out[kind] = {"per_task_ms": statistics.median(batch) * 1e3, "round_trip_ms": statistics.median(single) * 1e3}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the data sizes (1.0: 800 MB and 16 x 50 MB)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--partition-size", default="64MiB")
    ap.add_argument("--cases", default="big,many")
    ap.add_argument("--executors", default=",".join(EXECUTORS), help="a subset of local,threads,processes,dask")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args()

    kinds = [k for k in EXECUTORS if k in args.executors.split(",")]
    if not kinds:
        ap.error(f"--executors: none of {args.executors!r} is one of {', '.join(EXECUTORS)}")
    ref = kinds[0]  # the speed-up reference: local when it runs (EXECUTORS lists it first)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    overhead = task_overhead()
    for kind, o in overhead.items():
        print(f"overhead {kind:9s}: {o['per_task_ms']:7.2f} ms/task in a batch of 200, "
              f"round trip {o['round_trip_ms']:7.1f} ms", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="rflow-scale-", dir="/tmp"))
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    try:
        cases: dict[str, Path] = {}
        sizes: dict[str, int] = {}
        if "big" in args.cases:
            big = tmp / "big.csv"
            make_csv(big, 800 * args.scale, seed=11)
            (tmp / "big-m").mkdir()
            cases["big"] = write_manifest(tmp / "big-m", [big])
            sizes["big"] = big.stat().st_size
        if "many" in args.cases:
            files = []
            for i in range(16):
                f = tmp / f"part{i:02d}.csv"
                make_csv(f, 50 * args.scale, seed=100 + i)
                files.append(f)
            (tmp / "many-m").mkdir()
            cases["many"] = write_manifest(tmp / "many-m", files)
            sizes["many"] = sum(f.stat().st_size for f in files)
        print("data: " + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sizes.items()), flush=True)
        for r in range(args.rounds):
            for case, manifest in cases.items():
                order = kinds if r % 2 == 0 else kinds[::-1]
                for kind in order:
                    res = run_once(manifest, kind, tmp / f"run-{case}-{kind}-{r}", args.partition_size)
                    results.setdefault(case, {}).setdefault(kind, []).append(res)
                    print(f"round {r + 1} {case:4s} {kind:9s}: scan+deid {res['work_s']:8.1f} s "
                          f"(scan {res['scan_s']:.1f}, deid {res['deid_s']:.1f}), wall {res['wall_s']:.1f} s, "
                          f"peak RSS run {res['run_mb']:.0f} MB, worker {res['worker_peak_mb']:.0f} MB, "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\ncase  executor   median scan+deid  speed-up  peak RSS/worker  same outputs as {ref}")
    for case, per in results.items():
        base = statistics.median(r["work_s"] for r in per[ref])
        for kind, runs in per.items():
            med = statistics.median(r["work_s"] for r in runs)
            same = all(r["outputs"] == per[ref][0]["outputs"] for r in runs)
            mem = max(r["worker_peak_mb"] if kind not in ("local", "threads") else r["run_mb"] for r in runs)
            print(f"{case:4s}  {kind:9s}  {med:14.1f} s  {base / med:7.2f}x  {mem:12.0f} MB   {same}")
    print(f"load average at end: {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"overhead": overhead, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
