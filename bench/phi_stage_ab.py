"""phi_scan's and deidentify's task alone, this tree against another checkout, interleaved, in CPU seconds.

phi_scan also reports the CPU seconds of planning its task (``plan_parts``: the column
classification's pass over the first rows), which runs once per input before the tasks, and of a
process's first plan and task together (what a run pays once: compiles, vocabularies, the core).

    git worktree add --detach /tmp/base <commit>     # the code before a change (then build or copy its core)
    python bench/phi_stage_ab.py --base /tmp/base --mb 4 --repeat 3

Why CPU seconds and one task: on a shared machine the wall time of a whole run moves with the
load by more than a change in per-finding work; the CPU time of one task (``scan_part``: the scan
with its findings file written; ``deidentify_part``: the copy with its rescan) moves much less.
Each measurement is a fresh subprocess (``PYTHONPATH`` set to the tree), the trees alternate, the
median is reported. The file is ``bench/dataplane_e2e.py``'s dense CSV (the bundled study's rows
repeated, subject ids unique per copy).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from pathlib import Path
from engine import InputDataset
from engine.phi import stage_key
from stages.dictionary import load_dictionary
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_04_phi_scan import PhiScanConfig, plan_parts, scan_part
from stages.stage_06_deidentify.config import DeidentifyConfig
from stages.stage_06_deidentify.ranges import deidentify_part, plan_parts as deid_parts, prepare_input

path, work, stage = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
settings = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
profile, _, _ = profile_input("dataset", InputDataset(name="dataset", path=str(path)), UploadConfig(max_bytes="4GiB"))
work.mkdir(parents=True, exist_ok=True)
if stage == "phi_scan":
    t = time.process_time()  # cold: the process's first plan and task (compiles, vocabularies, the core)
    scan_part(plan_parts(path, profile, PhiScanConfig(), stage_key(b"k" * 32, "explicit"), 1 << 40, work)[0])
    cold = time.process_time() - t
    t = time.process_time()
    part = plan_parts(path, profile, PhiScanConfig(), stage_key(b"k" * 32, "explicit"), 1 << 40, work)[0]
    plan = time.process_time() - t
    t = time.process_time()
    out = scan_part(part)
    cpu = time.process_time() - t
    extra = {"plan": plan, "cold": cold, "findings": out["findings_total"], "file_bytes": Path(part.out).stat().st_size,
             "file_sha256": __import__("hashlib").sha256(Path(part.out).read_bytes()).hexdigest()}
else:
    config = DeidentifyConfig(dictionary="bundled:demo_dictionary.yaml", **settings)
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    prep = prepare_input(path, profile, config, dictionary, b"k" * 32, 1 << 40)
    part = deid_parts(path, profile, config, prep, b"k" * 32, work)[0]
    deidentify_part(part)  # warm
    t = time.process_time()
    done = deidentify_part(part)
    cpu = time.process_time() - t
    extra = {"copy_sha256": __import__("hashlib").sha256(Path(part.out).read_bytes()).hexdigest(),
             "output_sha256": __import__("hashlib").sha256(
                 json.dumps(done, sort_keys=True, default=str).encode()).hexdigest()}
print(json.dumps({"cpu": cpu, **extra}))
"""


def measure(tree: Path, path: Path, work: Path, stage: str,
            extra_env: dict[str, str] | None = None, settings: str = "{}") -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree), **(extra_env or {})}
    if stage == "cli":  # the whole `rflow phi scan --format json` process, start-up included
        env["RFLOW_PHI_KEY"] = "bench-key-0123456789abcdef"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "engine", "phi", "scan", str(path), "--format", "json"],
                              cwd=tree, env=env, capture_output=True, text=True, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"rflow phi scan in {tree} failed: {proc.stderr.strip().splitlines()[-1:]}")
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return {"cpu": cpu, "report_sha256": hashlib.sha256(proc.stdout.encode()).hexdigest()}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(work), stage, settings], cwd=tree, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{stage} in {tree} failed: {proc.stderr.strip().splitlines()[-1:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the other checkout (the code before)")
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--base-env", action="append", default=[], metavar="NAME=VALUE",
                    help="environment of the base runs only (e.g. --base . --base-env RFLOW_PHI_CORE_DEID=0)")
    ap.add_argument("--stage", choices=("phi_scan", "deidentify", "cli"), action="append",
                    help="the task(s) to time (default: phi_scan and deidentify; cli: the whole "
                         "`rflow phi scan --format json` process)")
    ap.add_argument("--deid-settings", default="{}", metavar="JSON",
                    help='deidentify settings besides the bundled dictionary, e.g. the DEMO pipeline\'s: '
                         '\'{"dates": "shift", "identifiers": "pseudonym"}\'')
    args = ap.parse_args()
    base_env = dict(item.split("=", 1) for item in args.base_env)
    sys.path.insert(0, str(ROOT / "bench"))
    from dataplane_e2e import write_dense_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.csv"
        write_dense_csv(path, args.mb)
        mb = path.stat().st_size / 1e6
        print(f"dense CSV {mb:.1f} MB; CPU seconds of one task, median of {args.repeat}, trees alternating")
        for stage in args.stage or ("phi_scan", "deidentify"):
            runs: dict[str, list[dict[str, object]]] = {"base": [], "this": []}
            for n in range(args.repeat):
                for name, tree in (("base", args.base.resolve()), ("this", ROOT)):
                    env = base_env if name == "base" else None
                    runs[name].append(measure(tree, path, Path(tmp) / f"{stage}-{name}-{n}", stage, env,
                                              args.deid_settings))
            cpu = {name: statistics.median(float(str(r["cpu"])) for r in rs) for name, rs in runs.items()}
            line = (f"{stage}: base {cpu['base']:.2f} s ({mb / cpu['base']:.2f} MB per CPU-s), "
                    f"this {cpu['this']:.2f} s ({mb / cpu['this']:.2f} MB per CPU-s), {cpu['base'] / cpu['this']:.2f}x")
            if stage == "phi_scan":
                plan = {name: statistics.median(float(str(r["plan"])) for r in rs) for name, rs in runs.items()}
                cold = {name: statistics.median(float(str(r["cold"])) for r in rs) for name, rs in runs.items()}
                line += (f"; planning the task (the column classification's sample pass): base {plan['base']:.3f} s, "
                         f"this {plan['this']:.3f} s; a process's first plan and task: base {cold['base']:.2f} s, "
                         f"this {cold['this']:.2f} s")
                b, t = runs["base"][0], runs["this"][0]
                size_b, size_t = (float(str(r["file_bytes"])) / mb / 1e6 for r in (b, t))
                same = b.get("file_sha256") == t.get("file_sha256")
                line += (f"; findings {t['findings']} (base {b['findings']}), findings file "
                         f"{size_t:.2f} MB per MB (base {size_b:.2f}), files {'identical' if same else 'DIFFER'}")
            elif stage == "cli":
                same = runs["base"][0]["report_sha256"] == runs["this"][0]["report_sha256"]
                line += f"; JSON reports {'identical' if same else 'DIFFER'}"
            else:
                b, t = runs["base"][0], runs["this"][0]
                same = b["copy_sha256"] == t["copy_sha256"]
                line += f"; de-identified copies {'identical' if same else 'DIFFER'}"
                same = b["output_sha256"] == t["output_sha256"]
                line += f", task outputs (the rescan's counts) {'identical' if same else 'DIFFER'}"
            print(line)


if __name__ == "__main__":
    main()
