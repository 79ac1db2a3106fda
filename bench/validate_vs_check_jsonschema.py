"""Wall time of ``rflow validate`` vs ``check-jsonschema`` on the same manifests, interleaved.

Both tools validate the same files: 1 manifest, then 200 manifests (copies of the shipped
manifests with distinct names). check-jsonschema gets the bundled schema from
``rflow schema export`` (each step's config checked against its stage's schema), so both check the
same structure; rflow also reports line:col and runs the semantic checks (stages, versions, modes,
data flow, gates). Each round runs both tools once, alternating which goes first, so machine noise
hits both alike; the figures are medians over the rounds. Wall time is the criterion; CPU time
(user + system of the tool's process tree) is shown too, because on a shared machine the wall time
mostly measures what CPU was free.

Both tools run from compiled bytecode, as an installed package does (pip writes the ``.pyc`` files
at install time): the warm-up run writes any missing ones, with ``PYTHONDONTWRITEBYTECODE`` removed
from the tools' environment. Without that, an editable checkout would recompile every rflow module
on every run while check-jsonschema's wheel starts from bytecode, and the figure would measure the
compiler, not the validator.

    .venv/bin/python bench/validate_vs_check_jsonschema.py [--rounds 9] [--count 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def make_corpus(workdir: Path, count: int) -> tuple[list[Path], list[Path], Path]:
    sources = sorted((ROOT / "manifests").glob("*.yaml"))
    if not sources:
        raise SystemExit("no shipped manifests in manifests/ to benchmark with")
    one_dir, many_dir = workdir / "one", workdir / "many"
    one_dir.mkdir()
    many_dir.mkdir()
    one = [one_dir / sources[0].name]
    shutil.copy(sources[0], one[0])
    many = []
    for i in range(count):
        src = sources[i % len(sources)]
        text = src.read_text("utf-8").replace("  name: ", f"  name: p{i:03d}-", 1)
        path = many_dir / f"{i:03d}-{src.name}"
        path.write_text(text, "utf-8")
        many.append(path)
    schema = workdir / "bundled.schema.json"
    subprocess.run([_tool("rflow"), "schema", "export", "--out", str(schema)], check=True)
    return one, many, schema


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """``(wall s, CPU s, exit code)`` of one run; CPU from the children's rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=TOOL_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode


def run(rounds: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one, many, schema = make_corpus(Path(tmp), count)
        cases = {"1 manifest": one, f"{count} manifests": many}
        print(f"python {sys.version.split()[0]}, {rounds} interleaved rounds, medians\n")
        print("| case | rflow validate | check-jsonschema | ratio (rflow / cjs) | CPU rflow / cjs | exit codes |")
        print("|---|---|---|---|---|---|")
        for label, files in cases.items():
            args = [str(f) for f in files]
            rflow_cmd = [_tool("rflow"), "validate", "--quiet", *args]
            cjs_cmd = [_tool("check-jsonschema"), "--schemafile", str(schema), *args]
            times: dict[str, list[float]] = {"rflow": [], "cjs": []}
            cpus: dict[str, list[float]] = {"rflow": [], "cjs": []}
            codes: dict[str, set[int]] = {"rflow": set(), "cjs": set()}
            timed(rflow_cmd), timed(cjs_cmd)  # warm the OS file cache; write missing .pyc files
            for r in range(rounds):
                order = [("rflow", rflow_cmd), ("cjs", cjs_cmd)]
                for name, cmd in order if r % 2 == 0 else reversed(order):
                    elapsed, cpu, code = timed(cmd)
                    times[name].append(elapsed)
                    cpus[name].append(cpu)
                    codes[name].add(code)
            rf, cj = statistics.median(times["rflow"]), statistics.median(times["cjs"])
            rc, cc = statistics.median(cpus["rflow"]), statistics.median(cpus["cjs"])
            print(f"| {label} | {rf:.3f} s | {cj:.3f} s | {rf / cj:.2f} | {rc:.2f} s / {cc:.2f} s | "
                  f"{sorted(codes['rflow'])}, {sorted(codes['cjs'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    run(args.rounds, args.count)


if __name__ == "__main__":
    main()
