"""The DEMO pipeline on a wide CSV (many columns, few rows), this tree against another checkout, in one run.

    git worktree add --detach /tmp/base <commit>     # the code before (then build or copy its core)
    python bench/wide_file.py --base /tmp/base --columns 20000 --rows 50 --repeat 1

The file: a header of ``lab_c0``, ``visit_c2``, ``email_c4``, ``dob_c5``, ``notes_c6``, ``phone_c8``,
``zip_c11``... (a repeating mix of twelve kinds of column) and ``--rows`` rows of numbers, dates,
short text, e-mail addresses, record numbers, phone numbers and ZIP codes, all made up, from a
fixed seed. Each run is ``rflow run manifests/demo.yaml --input dataset=FILE`` in a fresh
subprocess (``PYTHONPATH`` set to the tree, a fixed PHI key), the trees alternate, and the median
seconds of every step (from ``report.json``) and of the whole process are printed. The two trees
must give the same step outputs, findings, de-identified copy and summary (run ids and times
aside); the run stops otherwise.
"""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path
from typing import Any

from trees_ab import ROOT, ab_parser, alternate, bench_folder, run_engine

KINDS = ("lab", "lab", "visit", "remark", "email", "dob", "notes", "record", "phone", "lab", "remark", "zip")
WORDS = ("stable", "improved", "follow up", "no change", "pain", "mild", "ok", "see note")


def make_file(path: Path, columns: int, rows: int, seed: int = 20) -> None:
    """A made-up wide CSV: ``columns`` columns of twelve repeating kinds, ``rows`` rows."""
    r = random.Random(seed)

    def cell(kind: str) -> str:
        if kind == "lab":
            return str(r.randint(0, 999))
        if kind in ("visit", "dob"):
            return f"19{r.randint(40, 99)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}"
        if kind == "remark":
            return r.choice(WORDS)
        if kind == "email":
            return f"p{r.randint(0, 9999)}@example.org"
        if kind == "notes":
            return r.choice(WORDS) + (f" call 617-555-{r.randint(1000, 9999)}" if r.random() < 0.2 else "")
        if kind == "record":
            return f"MRN{r.randint(100000, 999999)}"
        if kind == "phone":
            return f"617-555-{r.randint(1000, 9999)}"
        return f"0{r.randint(2100, 2199)}"

    kinds = [KINDS[i % len(KINDS)] for i in range(columns)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(f"{k}_c{i}" for i, k in enumerate(kinds)) + "\n")
        for _ in range(rows):
            fh.write(",".join(cell(k) for k in kinds) + "\n")


def run(tree: Path, path: Path, work: Path) -> tuple[float, dict[str, float], Any]:
    """One DEMO run of ``path`` with ``tree``'s code in ``work``: wall seconds, seconds per step, outputs."""
    work.mkdir()
    wall, _, proc = run_engine(tree, ["run", str(tree / "manifests" / "demo.yaml"), "--input", f"dataset={path}"], work)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"rflow run failed in {tree} (exit {proc.returncode})")
    (folder,) = (work / "rflow-runs").iterdir()
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    run_id = report["run_id"]
    steps = {s["step_id"]: s["duration_s"] for s in report["steps"]}

    def same(text: str) -> str:
        return text.replace(run_id, "RUN")

    outputs = {
        "steps": same(json.dumps([{k: s[k] for k in ("step_id", "status", "output", "errors", "warnings")}
                                  for s in report["steps"]], sort_keys=True)),
        "findings": (folder / "phi" / "dataset.findings.jsonl").read_bytes(),
        "deidentified": (folder / "deidentified" / "dataset.csv").read_bytes(),
    }
    summary = json.loads((folder / "summary" / "study_summary.json").read_text(encoding="utf-8"))
    summary.pop("generated_at")
    outputs["summary"] = same(json.dumps(summary, sort_keys=True))
    return wall, steps, outputs


def main() -> None:
    ap = ab_parser(__doc__, 1)
    ap.add_argument("--columns", type=int, default=20000)
    ap.add_argument("--rows", type=int, default=50)
    args = ap.parse_args()
    with bench_folder() as tmp:
        path = tmp / "wide.csv"
        make_file(path, args.columns, args.rows)
        trees = {"before": args.base.resolve(), "after": ROOT}
        done = alternate(trees, args.repeat, lambda name, tree, n: run(tree, path, tmp / f"{name}-{n}"))
        walls = {k: [wall for wall, _, _ in got] for k, got in done.items()}
        steps = {k: [per_step for _, per_step, _ in got] for k, got in done.items()}
        outputs = {k: got[-1][2] for k, got in done.items()}
        for part in outputs["after"]:
            if outputs["before"][part] != outputs["after"][part]:
                raise SystemExit(f"the trees give different {part}")
        print(f"file: {args.columns} columns x {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB; "
              f"median of {args.repeat}; outputs equal")
        names = list(steps["after"][0])
        print(f"{'step':14} {'before s':>9} {'after s':>9} {'ratio':>7}")
        for step in [*names, "whole run"]:
            got = {k: statistics.median(walls[k] if step == "whole run" else [s[step] for s in steps[k]])
                   for k in trees}
            ratio = got["before"] / got["after"] if got["after"] else float("inf")
            print(f"{step:14} {got['before']:9.2f} {got['after']:9.2f} {ratio:6.1f}x")


if __name__ == "__main__":
    main()
