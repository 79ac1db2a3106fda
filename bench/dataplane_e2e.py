"""The DEMO pipeline end to end on a dense generated CSV: wall, peak RSS and each step's MB/s.

Usage: python bench/dataplane_e2e.py [--mb 200] [--row-mb 20] [--keep DIR] [--file CSV] [--no-dual]

1. Writes a CSV of about ``--mb`` MB: the bundled study's rows repeated (one header), its quoted
   fields as they are, its subject ids made unique per copy so the file is as dense as the study.
2. Runs ``rflow run --input dataset=FILE`` (the DEMO pipeline) in a subprocess: wall time, the
   child's peak RSS (``wait4``), and every step's duration and MB/s (input size / duration) from
   report.json. This is the columnar path, the default.
3. In the same run, on the first ``--row-mb`` MB of that file (the row path at about 2 MB/s would
   take minutes on the whole file), times the four stages that have both paths — upload,
   schema_check, validate and summary (on that prefix's de-identified copy) — with
   ``engine="rows"`` (the implementation before the data plane) and ``engine="columns"``; and the
   deidentify step alone (upload run first, untimed) with the value-by-value writer (``csv.writer``,
   the writer before the byte copy) and with the byte copy (the copy keeps the input's bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DUAL = ("upload", "schema_check", "validate", "summary")


def write_dense_csv(path: Path, megabytes: float) -> int:
    """A CSV of about ``megabytes`` MB from the bundled study; the data rows written."""
    from stages._common import bundled_path

    with bundled_path("demo_study.csv").open(encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    target = int(megabytes * 1e6)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        copy = 0
        while out.tell() < target:
            buf = io.StringIO()
            block = csv.writer(buf, lineterminator="\n")
            for r in body:
                block.writerow([f"{r[0]}-{copy}", *r[1:]])
            out.write(buf.getvalue())
            rows += len(body)
            copy += 1
    return rows


def run_pipeline(path: Path, out: Path, extra: list[str] | None = None) -> dict[str, Any]:
    """``rflow run`` on ``path`` (``extra``: more of its options): wall s, peak RSS MB, exit code,
    per-step durations and the run's own duration (the rest of the wall: start-up, the reports)."""
    cmd = [sys.executable, "-m", "engine", "run", "--input", f"dataset={path}", "--out", str(out), *(extra or [])]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads((out / "report.json").read_text())
    steps = {s["step_id"]: s["duration_s"] or 0.0 for s in report["steps"]}
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "exit": proc.returncode, "steps": steps,
            "run_s": report.get("duration_s") or 0.0}


def findings_bytes(run_dir: Path) -> tuple[int, int, int]:
    """``(findings, bytes of the findings file, bytes the earlier one-object-a-line form takes)``."""
    from engine.phi.scan.findings_file import read_findings

    n = size = earlier = 0
    for path in run_dir.glob("phi/*.findings.jsonl"):
        size += path.stat().st_size
        for f in read_findings(path):
            n += 1
            earlier += len(json.dumps(f._asdict(), separators=(",", ":"))) + 1
    return n, size, earlier


def prefix(path: Path, dest: Path, megabytes: float) -> None:
    """The header and the whole records of the first ``megabytes`` MB of ``path``."""
    limit = int(megabytes * 1e6)
    with path.open("rb") as src, dest.open("wb") as out:
        for line in src:  # the study's quoted fields hold no newline: a line is a record
            out.write(line)
            if out.tell() >= limit:
                return


def dual_timings(path: Path, work: Path) -> dict[str, dict[str, float]]:
    """Seconds of each dual-path stage, both ways, on ``path`` (results checked equal)."""
    from engine import InputDataset
    from stages.dictionary import load_dictionary
    from stages.stage_01_upload import UploadConfig, profile_input
    from stages.stage_02_schema_check import SchemaCheckConfig, check_input
    from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input
    from stages.stage_20_summary import SummaryConfig, column_statistics

    dataset = InputDataset(name="dataset", path=str(path))
    profile, errors, _ = profile_input("dataset", dataset, UploadConfig(max_bytes="4GiB"))
    assert profile is not None, errors
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    vconfig = ValidateConfig(dictionary="bundled:demo_dictionary.yaml", max_missing_default=0.2)
    rules = collect_rules(dictionary, vconfig)
    run_pipeline(path, work / "prefix-run")  # for the de-identified copy summary reads
    copy = next(work.glob("prefix-run/deidentified/*.csv"))
    cases = {
        "upload": lambda e: profile_input("dataset", dataset, UploadConfig(max_bytes="4GiB"), engine=e),
        "schema_check": lambda e: check_input(path, profile, dictionary, SchemaCheckConfig(), engine=e),
        "validate": lambda e: validate_input(path, profile, dictionary, rules, vconfig, engine=e),
        "summary": lambda e: column_statistics(copy, SummaryConfig(), engine=e),
    }
    out: dict[str, dict[str, float]] = {}
    for name, fn in cases.items():
        times = {}
        for engine in ("rows", "columns"):
            t0 = time.perf_counter()
            fn(engine)
            times[engine] = time.perf_counter() - t0
        out[name] = times
    return out


def deidentify_seconds(path: Path, work: Path, bytewise: bool) -> float:
    """Seconds of the deidentify step alone on ``path``, with the byte copy or the value-by-value writer."""
    from unittest import mock

    from engine import InputDataset, StageContext, World, run_stages
    from engine.execution.executors.local import LocalExecutor

    world = World()
    world.add("input:dataset", InputDataset("dataset", str(path), "auto"))
    ws = work / f"deid-{'bytes' if bytewise else 'values'}"
    ws.mkdir(parents=True, exist_ok=True)
    context = StageContext(world=world, workspace=ws, mode="DEMO", policy={"phi_policy": "warn"}, approvals=(),
                           phi_key=b"k" * 32, executor=LocalExecutor())
    asyncio.run(run_stages(["upload"], context, configs={}))
    writer = (contextlib.nullcontext() if bytewise
              else mock.patch("stages.stage_06_deidentify.ranges._bytewise", return_value=False))
    config = {"deidentify": {"dictionary": "bundled:demo_dictionary.yaml"}}
    with writer:
        t0 = time.perf_counter()
        results = asyncio.run(run_stages(["deidentify"], context, configs=config))
        seconds = time.perf_counter() - t0
    assert all(r.status.value == "completed" for r in results), [r.errors for r in results]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=200)
    parser.add_argument("--row-mb", type=float, default=20)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the file and runs in")
    parser.add_argument("--file", type=Path, default=None,
                        help="a dense CSV this script wrote before (--keep): run on it instead of writing one")
    parser.add_argument("--no-dual", action="store_true", help="only the pipeline run, not the row/column timings")
    parser.add_argument("--run-arg", action="append", default=[],
                        help="an option for rflow run, repeatable (--run-arg=--executor --run-arg=processes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.file is not None:
            path = args.file
            with path.open("rb") as fh:
                rows = sum(1 for _ in fh) - 1  # the study's quoted fields hold no newline
        else:
            path = work / "dense.csv"
            rows = write_dense_csv(path, args.mb)
        mb = path.stat().st_size / 1e6
        load = os.getloadavg()[0]
        run = run_pipeline(path, work / "run", args.run_arg)
        print(f"file: {rows} rows, {mb:.1f} MB; rflow run (DEMO, columnar): exit {run['exit']}, "
              f"wall {run['wall']:.1f} s, peak RSS {run['rss_mb']:.0f} MB; load average (1 min) "
              f"{load:.1f} before, {os.getloadavg()[0]:.1f} after")
        n, size, earlier = findings_bytes(work / "run")
        print(f"findings file: {n} findings, {size / mb / 1e6:.2f} MB per MB of input ({size / max(n, 1):.1f} B a "
              f"finding); the earlier form {earlier / mb / 1e6:.2f} MB per MB ({earlier / max(n, 1):.1f} B)")
        print(f"{'step':14} {'s':>8} {'MB/s':>8}")
        for step, seconds in run["steps"].items():
            print(f"{step:14} {seconds:8.2f} {mb / seconds if seconds else float('inf'):8.1f}")
        print(f"{'outside steps':14} {run['wall'] - sum(run['steps'].values()):8.2f}   (start-up, planning, "
              f"the reports; the run itself {run['run_s']:.2f} s)")
        if args.no_dual:
            return
        small = work / "prefix.csv"
        prefix(path, small, args.row_mb)
        smb = small.stat().st_size / 1e6
        print(f"\nrow path against columnar path, same stages, on the first {smb:.1f} MB:")
        print(f"{'stage':14} {'rows MB/s':>10} {'columns MB/s':>13} {'speed-up':>9}")
        timings = dual_timings(small, work)
        for name in DUAL:
            r, c = timings[name]["rows"], timings[name]["columns"]
            print(f"{name:14} {smb / r:10.1f} {smb / c:13.1f} {r / c:8.1f}x")
        old, new = (deidentify_seconds(small, work, bytewise) for bytewise in (False, True))
        print(f"\ndeidentify on the first {smb:.1f} MB: value-by-value writer {old:.2f} s ({smb / old:.2f} MB/s), "
              f"byte copy {new:.2f} s ({smb / new:.2f} MB/s), ratio {old / new:.2f}")


if __name__ == "__main__":
    main()
