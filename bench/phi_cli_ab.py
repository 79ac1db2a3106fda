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

import functools
import json
import statistics
import sys
from pathlib import Path

from trees_ab import ROOT, ab_parser, alternate, bench_folder, run_engine

sys.path.insert(0, str(ROOT / "bench"))
WORKERS = "after, --workers 2"


def run(tree: Path, path: Path, *extra: str) -> tuple[float, float, dict[str, object]]:
    """Wall and CPU seconds of one ``rflow phi scan`` of ``path`` with ``tree``'s code, and its report."""
    wall, cpu, proc = run_engine(tree, ["phi", "scan", str(path), "--format", "json", *extra], tree)
    if proc.returncode != 0:
        raise SystemExit(f"rflow phi scan failed in {tree} (exit {proc.returncode})")
    report = json.loads(proc.stdout)
    if report.get("regex_engine") != "native":
        raise SystemExit(f"the native core did not run in {tree} ({report.get('regex_engine')})")
    return wall, cpu, report


def turn(path: Path, name: str, tree: Path, _round: int) -> tuple[float, float, dict[str, object]]:
    """One turn of a round: :func:`run` of ``path`` with ``tree``'s code (two processes on the WORKERS turn)."""
    return run(tree, path, *(("--workers", "2") if name == WORKERS else ()))


def main() -> None:
    ap = ab_parser(__doc__, 3)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--naive-mb", type=float, default=2.0)
    args = ap.parse_args()
    from phi_native import naive
    from phi_scan import make_file

    with bench_folder() as tmp:
        files = {"dense": tmp / "dense.csv", "mostly clean": tmp / "clean.csv"}
        make_file(files["dense"], args.mb, 8)
        make_file(files["mostly clean"], args.mb, 8, sparse=True)
        one = tmp / "one.csv"
        lines = files["dense"].read_bytes()[:20000].split(b"\n")
        one.write_bytes(lines[0] + b"\n" + lines[1] + b"\n")
        trees = {"before": args.base, "after": ROOT}
        for label, path in [*files.items(), ("one row (start-up)", one)]:
            mb = path.stat().st_size / 1e6
            # this tree's scan with two processes too, after both trees in each round
            turns = {**trees, WORKERS: ROOT} if label != "one row (start-up)" else trees
            done = alternate(turns, args.repeat, functools.partial(turn, path))
            runs = {k: [(wall, cpu) for wall, cpu, _ in done.get(k, [])] for k in (*trees, WORKERS)}
            if any(w[2] != a[2] for w, a in zip(done.get(WORKERS, []), done["after"], strict=False)):
                raise SystemExit("--workers 2 gives another report")
            reports = {name: done[name][-1][2] for name in trees}
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


if __name__ == "__main__":
    main()
