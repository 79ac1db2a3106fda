"""PHI scan throughput: the scanner vs a naive baseline, memory, and workers=2 speed-up.

The dense CSV has 13 identifier columns, an address with a ZIP, 0-2 identifiers in a free-text
note, and 7 clean clinical columns per row (~14 findings per row). The naive baseline is what a
first implementation would do: parse with the csv module and run every scan-tier pattern over
every cell with Python ``re`` (validators, digests and Finding objects included). Both run in
the same process and session.

    python bench/phi_scan.py --mb 100 --repeat 3             # throughput, baseline, workers=2
    python bench/phi_scan.py --mb 20 --distinct-blocks 1     # every value repeats (digest cache hits)
    python bench/phi_scan.py --memory-mb 1024                # peak RSS while scanning a 1 GB file
    python bench/phi_scan.py --mb 20 --engines native,re      # both regex paths in one run
    python bench/phi_scan.py --mb 20 --sparse                 # mostly clean data: notes + clinical columns

``--engines`` sets ``RFLOW_PHI_REGEX`` for each scanner run: ``native`` (``auto`` with the native
core built: the default) and ``re`` (the Python reference path, the one an install without a
Rust toolchain runs). Both give the same findings; the run checks the counts agree.

Files go to /tmp and are deleted afterwards. The machine is small and noisy: medians are reported.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_corpus import dense_block

from engine.phi import Finding, load_registry, native_match, resolve_key, scan_file
from engine.phi.accept import accepts

KEY = b"benchmark-key-0123456789"


def sparse_block(block: bytes) -> bytes:
    """The clean clinical columns and the free-text note of a dense block (~6 findings per row)."""
    from phi_corpus import CLEAN_COLUMNS, COLUMNS

    keep = [COLUMNS.index(c) for c in (*CLEAN_COLUMNS, "note")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(block.decode())):
        writer.writerow([row[i] for i in keep])
    return out.getvalue().encode()


def make_file(path: Path, mb: float, distinct: int = 1, sparse: bool = False) -> int:
    """Write a dense CSV of about ``mb`` megabytes (``distinct`` generated blocks cycled); returns rows.

    Each block is 2000 rows (~1.2 MB, ~34,000 findings). With one block every value repeats every
    2000 rows, which flatters the scanner's digest cache (32,768 entries); with 8 blocks a value
    comes back only after ~270,000 others, so the cache never hits - the worst case for it.
    """
    from phi_corpus import CLEAN_COLUMNS, COLUMNS

    blocks = [dense_block(2000, seed=11 + i) for i in range(max(1, distinct))]
    columns: tuple[str, ...] = COLUMNS
    if sparse:
        blocks = [sparse_block(b) for b in blocks]
        columns = (*CLEAN_COLUMNS, "note")
    rows_per_block = 2000
    target = int(mb * 1e6)
    rows = 0
    with path.open("wb") as out:
        out.write((",".join(columns) + "\n").encode())
        written = 0
        while written < target:
            block = blocks[(rows // rows_per_block) % len(blocks)]
            out.write(block)
            written += len(block)
            rows += rows_per_block
    return rows


def use_engine(engine: str) -> None:
    """Select the regex path for this process and the worker processes it starts."""
    os.environ[native_match.ENV_ENGINE] = "auto" if engine == "native" else engine
    if native_match.regex_engine() != engine:
        raise SystemExit(f"engine {engine} is not available here (got {native_match.regex_engine()})")
    native_match.matcher_for(load_registry().scan)  # compile outside the timed region


def run_scanner(path: Path, workers: int = 1) -> tuple[float, int]:
    t = time.perf_counter()
    me0, ch0 = _cpu()
    n = sum(1 for _ in scan_file(path, key=KEY, workers=workers))
    me1, ch1 = _cpu()
    dt = time.perf_counter() - t
    print(f"    cpu seconds: this process {me1 - me0:.1f}, worker processes {ch1 - ch0:.1f}, wall {dt:.1f}")
    return dt, n


def _cpu() -> tuple[float, float]:
    """CPU seconds (user+sys) of this process and of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, ch.ru_utime + ch.ru_stime


def run_naive(path: Path, limit_bytes: int) -> tuple[float, int, int]:
    """The same findings the naive way: each cell x each scan-tier pattern with ``re``.

    It produces the same kind of output (a Finding with a keyed digest per validated match), so
    the comparison is between two implementations of one contract.
    """
    patterns = load_registry().scan.patterns
    key = resolve_key(KEY)
    t = time.perf_counter()
    n = 0
    size = 0
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for r, row in enumerate(reader, start=1):
            for c, cell in enumerate(row):
                size += len(cell) + 1
                for pat in patterns:
                    for m in pat.str_re.finditer(cell):
                        value = m.group("value") if "value" in pat.str_re.groupindex else m.group(0)
                        if accepts(pat, value):
                            cat = pat.category.name
                            Finding(cat, r, header[c], None, len(value), key.digest(cat, pat.normalizer(value)))
                            n += 1
            if size >= limit_bytes:
                break
    return time.perf_counter() - t, n, size


def throughput(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "dense.csv"
        rows = make_file(path, args.mb, args.distinct_blocks, sparse=args.sparse)
        size = path.stat().st_size
        print(
            f"file: {size / 1e6:.1f} MB, {rows} rows, {size / rows:.0f} bytes/row, "
            f"{args.distinct_blocks} distinct blocks"
        )
        engines = args.engines.split(",")
        singles: dict[str, list[float]] = {e: [] for e in engines}
        counts: dict[str, int] = {}
        for _ in range(args.repeat):
            for engine in engines:  # interleaved, so load on the machine spreads over both
                use_engine(engine)
                dt, n = run_scanner(path)
                singles[engine].append(dt)
                counts[engine] = n
                rate = size / 1e6 / dt
                print(f"  scanner [{engine}] workers=1: {dt:.2f} s, {rate:.2f} MB/s, {n} findings ({n / rows:.1f}/row)")
        if len(set(counts.values())) != 1:
            raise SystemExit(f"engines disagree on the number of findings: {counts}")
        naive = []
        for _ in range(args.repeat):
            dt, nn, scanned = run_naive(path, int(args.naive_mb * 1e6))
            naive.append(scanned / 1e6 / dt)
            print(f"  naive baseline on first {scanned / 1e6:.1f} MB: {dt:.2f} s, {naive[-1]:.2f} MB/s, {nn} findings")
        best = engines[0]
        use_engine(best)
        doubles = []
        for _ in range(args.repeat):
            dt, n2 = run_scanner(path, workers=2)
            doubles.append(dt)
            print(f"  scanner [{best}] workers=2: {dt:.2f} s, {size / 1e6 / dt:.2f} MB/s, {n2} findings")
        naive_med = statistics.median(naive)
        for engine in engines:
            mbps = size / 1e6 / statistics.median(singles[engine])
            print(f"median [{engine}]: workers=1 {mbps:.2f} MB/s; ratio to naive {mbps / naive_med:.1f}x")
        s_med, d_med = statistics.median(singles[best]), statistics.median(doubles)
        print(
            f"median: naive {naive_med:.2f} MB/s; [{best}] workers=2 {size / 1e6 / d_med:.2f} MB/s "
            f"(speed-up {s_med / d_med:.2f}x over workers=1)"
        )


def memory(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "big.csv"
        make_file(path, args.memory_mb, args.distinct_blocks)
        size = path.stat().st_size
        root = str(Path(__file__).resolve().parents[1])
        code = (
            f"import resource,sys,time;sys.path.insert(0,{root!r});from engine.phi import scan_file;"
            f"t=time.perf_counter();n=sum(1 for _ in scan_file({str(path)!r},key=b'k'*20,workers={args.workers}));"
            "print(n,time.perf_counter()-t,resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        n, dt, rss_self, rss_children = int(out[0]), float(out[1]), int(out[2]), int(out[3])
        print(
            f"{size / 1e6:.0f} MB, workers={args.workers}: {n} findings in {dt:.1f} s; peak RSS "
            f"parent {rss_self / 1024:.0f} MB, largest worker {rss_children / 1024:.0f} MB"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="size of the dense CSV (default 100)")
    ap.add_argument("--naive-mb", type=float, default=2.0, help="how much of it the naive baseline scans")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--distinct-blocks", type=int, default=8, help="distinct 2000-row blocks cycled (1: the old, repetitive data)"
    )
    ap.add_argument("--memory-mb", type=float, default=0, help="measure peak RSS on a file this large instead")
    ap.add_argument("--workers", type=int, default=1, help="workers for --memory-mb")
    ap.add_argument("--sparse", action="store_true", help="only the clean columns and the note (mostly clean data)")
    ap.add_argument(
        "--engines", default="native,re", help="regex paths to time, comma-separated (first one runs workers=2)"
    )
    args = ap.parse_args()
    if args.memory_mb:
        memory(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
