"""summary over a de-identified copy: one pass (blocks checked as they are parsed) against check-then-parse.

Usage: python bench/summary_one_pass.py [--copies 20] [--repeat 3]
The bundled study is concatenated ``--copies`` times (one header) into a temporary CSV, standing in
for a de-identified copy. ``check first`` runs the quoting check over the whole file
(:func:`stages.columnar.csvchunks.faithful`, what summary did before it assumed the copy reads
natively) and then the statistics; ``one pass`` runs the statistics alone, which check each block
as Polars parses it. Interleaved, ``--repeat`` times; medians and MB/s are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from study_copies import study_rows, write_study_copies

from stages.columnar import csvchunks
from stages.stage_20_summary import SummaryConfig, _CopyShape, column_statistics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.csv"
        header = write_study_copies(path, args.copies)
        mb = path.stat().st_size / 1e6
        config = SummaryConfig()

        shape = _CopyShape(columns=tuple(header), encoding="utf-8-sig")

        def check_first() -> None:
            assert csvchunks.faithful(path, shape)
            column_statistics(path, config)

        def one_pass() -> None:
            column_statistics(path, config)

        times: dict[str, list[float]] = {"check first": [], "one pass": []}
        for _ in range(args.repeat):
            for name, fn in (("check first", check_first), ("one pass", one_pass)):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        print(f"copy: {study_rows() * args.copies} rows, {mb:.1f} MB; median of {args.repeat}")
        base = statistics.median(times["check first"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:12} {median:7.2f} s {mb / median:7.1f} MB/s  {base / median:5.2f}x")


if __name__ == "__main__":
    main()
