"""The native core against the Python paths and the issue's naive six-regex loop, in one run.

    python bench/phi_native.py --mb 4 --repeat 3

On one generated dense CSV (bench/phi_scan.py's corpus, 8 distinct blocks) and on its mostly
clean variant (clinical columns and the note), it times:

- the naive baseline: ``csv.reader`` and, for every cell, the six patterns below with
  ``re.finditer`` (nothing validated, nothing hashed: the cheapest loop there is);
- the regex stage alone (``matcher.pattern_matches`` over the whole buffer, validators and the
  candidate walk included) on each engine: ``re`` (Python reference), ``native``,
  and ``native-pywalk``: the core's candidates walked, validated and mapped to rows and columns
  in Python (``RFLOW_PHI_CORE_WALK=0``, the path before the core did that per chunk);
- ``scan_file`` whole (findings, digests, row and column mapping) on each engine, workers=1;
- the core's candidate stage in 1 and 2 threads (the GIL is released);
- ``rflow phi scan`` on the dense file as a whole process (start-up included), each engine;
- start-up: ``rflow phi scan`` on a one-row file, each engine, as a subprocess.

Every engine must give the same findings; the run stops if they differ. Medians are reported.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_scan import KEY, make_file

from engine.phi import Finding, load_registry, matcher, native_match, scan_file
from engine.phi.scan.findings_file import encode_findings

NAIVE = [
    r"\b\d{3}-\d{2}-\d{4}\b",
    r"\bMRN[:\s#]*\d+\b",
    r"\b\d{3}[-.\s]?\d{3}[-.\s]?\d{4}\b",
    r"[\w.+-]+@[\w-]+\.[\w.]+",
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
]
ENGINES = ("re", "native-pywalk", "native")


def naive(path: Path) -> tuple[float, int]:
    patterns = [re.compile(p) for p in NAIVE]
    t = time.perf_counter()
    n = 0
    with path.open(newline="") as fh:
        for row in csv.reader(fh):
            for cell in row:
                for rx in patterns:
                    for _m in rx.finditer(cell):
                        n += 1
    return time.perf_counter() - t, n


def settings(engine: str) -> dict[str, str]:
    """The environment that selects ``engine`` (``native-pywalk``: the core without its walk)."""
    walk = "0" if engine == "native-pywalk" else "1"
    return {native_match.ENV_ENGINE: "auto" if engine.startswith("native") else engine, native_match.WALK_ENV: walk}


def use(engine: str) -> None:
    os.environ.update(settings(engine))
    if native_match.regex_engine() != engine.split("-")[0]:
        raise SystemExit(f"engine {engine} is not available here (got {native_match.regex_engine()})")
    native_match.matcher_for(load_registry().scan)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def regex_stage(data: bytes) -> list[tuple[str, int, int, int, int]]:
    return [(p.id, *r) for p, *r in matcher.pattern_matches(load_registry().scan, data)]


def scanner(path: Path) -> list[object]:
    return list(scan_file(path, key=KEY))


def findings_file_size(findings: list[Finding], size: float) -> None:
    """Bytes of the findings file per MB of input: the compact form (core and Python writers,
    which must agree) and the earlier one JSON object a finding."""
    compact = encode_findings(findings, native=True)
    if compact != encode_findings(findings, native=False):
        raise SystemExit("findings file: the core and Python writers disagree")
    t, _ = timed(lambda: encode_findings(findings, native=True))
    tp, _ = timed(lambda: encode_findings(findings, native=False))
    earlier = sum(len(json.dumps(f._asdict(), separators=(",", ":"))) + 1 for f in findings)
    n = max(1, len(findings))
    print(f"findings file: compact {len(compact) / size / 1e6:.2f} MB per MB of input ({len(compact) / n:.1f} B a "
          f"finding), earlier form {earlier / size / 1e6:.2f} MB per MB ({earlier / n:.1f} B); writing it "
          f"{t * 1e3 / size:.0f} ms per MB in the core, {tp * 1e3 / size:.0f} ms per MB in Python")


def threads(data: bytes, n: int) -> float:
    core = native_match.matcher_for(load_registry().scan)
    assert core is not None
    pieces = [data[i * len(data) // n : (i + 1) * len(data) // n] for i in range(n)]
    workers = [threading.Thread(target=core.candidates, args=(p,)) for p in pieces]
    t = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - t


def process(path: Path, engine: str, repeat: int) -> float:
    """Median seconds of ``rflow phi scan FILE --format json`` as a subprocess (start-up included)."""
    env = {**os.environ, **settings(engine), "RFLOW_PHI_KEY": KEY.decode()}
    rflow = str(Path(sys.executable).with_name("rflow"))
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run([rflow, "phi", "scan", str(path), "--format", "json"], env=env,
                              capture_output=True, check=False)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"rflow phi scan failed on the {engine} engine (exit {proc.returncode})")
    return statistics.median(times)


def startup(tmp: Path, engine: str, repeat: int) -> float:
    one = tmp / "one.csv"
    one.write_text("name,ssn,note\nJane Roe,536-22-8410,seen today\n")
    return process(one, engine, repeat)


def section(name: str, path: Path, repeat: int) -> None:
    data = path.read_bytes()
    size = len(data) / 1e6
    print(f"\n## {name}: {size:.1f} MB")
    nv = [naive(path) for _ in range(repeat)]
    base = size / statistics.median(t for t, _ in nv)
    print(f"naive six-regex loop: {base:.2f} MB/s ({nv[0][1]} matches)")
    for what, fn in (("regex stage", lambda: regex_stage(data)), ("scan_file", lambda: scanner(path))):
        results: dict[str, object] = {}
        for engine in ENGINES:
            use(engine)
            runs = [timed(fn) for _ in range(repeat)]
            results[engine] = runs[0][1]
            mbps = size / statistics.median(t for t, _ in runs)
            n = len(runs[0][1])  # type: ignore[arg-type]
            print(f"{what} [{engine}]: {mbps:.2f} MB/s, {mbps / base:.1f}x naive ({n} found)")
        if any(results[e] != results["re"] for e in ENGINES):
            raise SystemExit(f"{what}: the engines disagree")
        if what == "scan_file":
            findings_file_size(results["native"], size)  # type: ignore[arg-type]
    use("native")
    one = statistics.median(threads(data, 1) for _ in range(repeat))
    two = statistics.median(threads(data, 2) for _ in range(repeat))
    print(f"core candidates: 1 thread {size / one:.1f} MB/s, 2 threads {size / two:.1f} MB/s ({one / two:.2f}x)")
    for engine in ("re", "native-pywalk", "native"):
        print(f"rflow phi scan, whole process [{engine}]: {size / process(path, engine, repeat):.2f} MB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=4.0, help="size of the dense CSV (default 4)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        root = Path(tmp)
        dense, sparse = root / "dense.csv", root / "sparse.csv"
        make_file(dense, args.mb, 8)
        make_file(sparse, args.mb, 8, sparse=True)
        section("dense CSV", dense, args.repeat)
        section("mostly clean CSV", sparse, args.repeat)
        print()
        for engine in ("re", "native"):
            print(f"start-up, rflow phi scan on a one-row file [{engine}]: {startup(root, engine, args.repeat):.2f} s")


if __name__ == "__main__":
    main()
