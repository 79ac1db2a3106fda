"""What the name and place cue rules cost a dense scan: ``scan_file`` with and without them.

The same process scans the PHI scan benchmark's dense CSV (bench/phi_scan.py) with the cue rules
(``engine.phi.cue_matches.matches``) and with them switched off, interleaved, per regex path, and reports
the CPU seconds of each (best of ``--repeat``), the ratio, and what the cue pass itself spends
(``cue_matches.find`` on the file's chunks, timed alone). On the native path it runs twice: the cue
rules in the core, and in Python (``RFLOW_PHI_CORE_CUES=0``, the path before the core had them).

    python bench/phi_cue_cost.py --mb 1 --repeat 3
    RFLOW_PHI_REGEX=re python bench/phi_cue_cost.py --mb 1 --engines re
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_scan import KEY, make_file, use_engine

from engine.phi import cue_matches, native_cues, scan_file


def cpu(fn) -> tuple[float, int]:
    t = time.process_time()
    n = fn()
    return time.process_time() - t, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engines", default=os.environ.get("RFLOW_PHI_REGEX", "re,auto"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        path = Path(tmp) / "dense.csv"
        make_file(path, args.mb)
        size = path.stat().st_size / 1e6
        text = path.read_bytes().decode("latin-1")
        print(f"file: {size:.2f} MB")
        print(
            "| engine | cue rules in | with cues (CPU s) | without (CPU s) | ratio | findings with / without "
            "| cue_matches.find alone (CPU s) |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        runs = [
            (e, where)
            for e in args.engines.split(",")
            for where in (("core", "python") if e == "auto" else ("python",))
        ]
        for engine, where in runs:
            use_engine(engine)
            os.environ[native_cues.ENV] = "1" if where == "core" else "0"

            def scan() -> int:
                return sum(1 for _ in scan_file(path, key=KEY))

            scan()  # compile outside the timed runs
            on, off = [], []
            n_on = n_off = 0
            for _ in range(args.repeat):
                t, n_on = cpu(scan)
                on.append(t)
                with mock.patch.object(cue_matches, "matches", lambda data: []):
                    t, n_off = cpu(scan)
                off.append(t)
            alone = min(cpu(lambda: len(cue_matches.find(text, bytes_mode=True)))[0] for _ in range(args.repeat))
            ratio = min(on) / min(off)
            print(f"| {engine} | {where} | {min(on):.2f} | {min(off):.2f} | {ratio:.2f} | {n_on} / {n_off} "
                  f"| {alone:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
