"""Behaviour check for a refactoring: the shipped manifests give the same reports and artifacts on two revisions.

Each revision is checked out in a worktree under a temporary folder, built into a wheel (pure Python: no
cargo on PATH, so both sides run the reference PHI path) and installed into its own target folder. The same
runs then go through ``python -S -m engine run`` with one fixed ``RFLOW_PHI_KEY``, and every file of each
run folder is compared byte for byte after one normalizer removes what differs between any two runs:
times, run ids, durations, hash-chain links, process ids, host and absolute paths.

    python bench/redesign_golden.py 76fc45e HEAD            # exit 0: identical, 1: a difference (listed)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHI_KEY = "redesign-golden-key-0123456789abcdef0123456789"
# Keys whose values are a time, an id of the run, a duration or a link of the hash chain.
VOLATILE_KEYS = {
    "started_at", "finished_at", "duration_s", "at", "ts", "generated_at", "since",
    "run_id", "job_id", "hash", "prev", "head", "pid", "host",
}
RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{6}\b")
ISO_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z\b")
SKIPPED_FILES = {".rflow.lock"}  # the run folder's owner record: pid, host and start time only
# report.html's step timeline draws each step at its start and duration: its bar geometry and its
# "completed 0.65s" texts are times too (the other charts draw counts and are compared as they are).
TIMELINE = re.compile(r'(<svg[^>]*aria-labelledby="timeline-t".*?</svg>)', re.S)
# A duration as reports write it (engine.reporting.values): 0.65s, 35.3s (one decimal from 10 s),
# 1m 49s from a minute, 1h 02m from an hour.
DURATION = r"[0-9]+\.[0-9]{1,2}s|[0-9]+m [0-9]{2}s|[0-9]+h [0-9]{2}m"
TIMELINE_TIMES = re.compile(rf'\b(x|width)="[0-9.]+"|\b(?:{DURATION})\b')
DURATION_CELL = re.compile(rf"\b(?:{DURATION})\b")


def runs(demo_csv: Path) -> dict[str, list[str]]:
    """The runs compared: every shipped manifest, in its default mode (and LIVE with and without approval)."""
    return {
        "demo": ["demo.yaml"],
        "live_approved": ["study-live.yaml", "--input", f"dataset={demo_csv}",
                          "--approval", "irb_approval=IRB-2026-0142:2099-06-30:dataset"],
        "live_refused": ["study-live.yaml", "--input", f"dataset={demo_csv}"],
    }


def _cargo_free_path() -> str:
    return os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep)
                           if d and not shutil.which("cargo", path=d))


def install(rev: str, side: str, work: Path) -> Path:
    """Build ``rev`` into a wheel and install it into ``site-SIDE``; its manifests go to ``manifests-SIDE``."""
    tree = work / f"tree-{side}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev],
                   check=True, capture_output=True)
    try:
        env = {**os.environ, "PATH": _cargo_free_path()}
        shutil.copytree(tree / "manifests", work / f"manifests-{side}")
        wheels = work / f"wheel-{side}"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(tree)],
                       check=True, capture_output=True, env=env)
        site = work / f"site-{side}"
        [wheel] = wheels.glob("rflow-*.whl")
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                       check=True, capture_output=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    return site


def run_all(site: Path, manifests: Path, out: Path, demo_csv: Path) -> dict[str, int]:
    """Run every comparison run with the wheel in ``site`` and the manifests in ``manifests``; exit codes."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]]),
           "RFLOW_PHI_KEY": PHI_KEY, "NO_COLOR": "1", "TZ": "UTC"}
    env.pop("RFLOW_REQUIRE_NATIVE", None)
    codes = {}
    for name, args in runs(demo_csv).items():
        manifest = manifests / args[0]
        done = subprocess.run([sys.executable, "-S", "-m", "engine", "run", str(manifest), *args[1:],
                               "--out", str(out / name)], capture_output=True, text=True, env=env, cwd=out)
        codes[name] = done.returncode
    return codes


def normalize_text(text: str, roots: list[Path]) -> str:
    for root in sorted(roots, key=lambda p: len(str(p)), reverse=True):
        text = text.replace(str(root), "<ROOT>")
    return ISO_TIME.sub("<TIME>", RUN_ID.sub("<RUN_ID>", text))


def normalize_json(value: Any, roots: list[Path]) -> Any:
    if isinstance(value, dict):
        return {k: "<removed>" if k in VOLATILE_KEYS else normalize_json(v, roots) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_json(v, roots) for v in value]
    if isinstance(value, str):
        return normalize_text(value, roots)
    return value


def normalized(path: Path, roots: list[Path]) -> bytes:
    """A run file with its volatile parts removed (JSON and JSON lines by key, other text by pattern)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if path.suffix == ".json":
        return json.dumps(normalize_json(json.loads(text), roots), sort_keys=True, indent=1).encode()
    if path.suffix == ".jsonl":
        lines = [json.dumps(normalize_json(json.loads(line), roots), sort_keys=True) for line in text.splitlines()]
        return "\n".join(lines).encode()
    if path.suffix == ".html":
        text = TIMELINE.sub(lambda m: TIMELINE_TIMES.sub("<TIME>", m.group(1)), text)
        text = DURATION_CELL.sub("<DURATION>", text)
    return normalize_text(text, roots).encode()


def compare(a: Path, b: Path, roots: list[Path]) -> list[str]:
    """Differences between two run folders, one line each (empty: identical after normalizing)."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name not in SKIPPED_FILES}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name not in SKIPPED_FILES}
    problems = [f"only in {a.name} of the base: {p}" for p in sorted(files_a - files_b)]
    problems += [f"only in {b.name} of the head: {p}" for p in sorted(files_b - files_a)]
    for rel in sorted(files_a & files_b):
        if normalized(a / rel, roots) != normalized(b / rel, roots):
            problems.append(f"differs: {a.name}/{rel}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--keep", action="store_true", help="keep the run folders (printed) for inspection")
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rflow-golden-"))
    demo_csv = work / "export.csv"
    shutil.copy(ROOT / "engine" / "data" / "demo_study.csv", demo_csv)
    results = {}
    for side, rev in (("base", opts.base), ("head", opts.head)):
        site = install(rev, side, work)
        out = work / f"runs-{side}"
        out.mkdir()
        results[side] = (out, run_all(site, work / f"manifests-{side}", out, demo_csv))
    roots = [work / f"{kind}-{side}" for kind in ("site", "runs", "manifests") for side in ("base", "head")]
    roots += [work, ROOT]
    problems = []
    for name in runs(demo_csv):
        code_a, code_b = results["base"][1][name], results["head"][1][name]
        if code_a != code_b:
            problems.append(f"{name}: exit {code_a} on the base, {code_b} on the head")
        problems += compare(results["base"][0] / name, results["head"][0] / name, roots)
    files = sum(1 for p in results["base"][0].rglob("*") if p.is_file() and p.name not in SKIPPED_FILES)
    print(f"base {opts.base} vs head {opts.head}: {len(runs(demo_csv))} runs, exit codes {results['base'][1]}, "
          f"{files} files compared")
    for line in problems:
        print(line)
    print("identical after normalizing" if not problems else f"{len(problems)} difference(s)")
    if opts.keep:
        print(f"run folders kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
