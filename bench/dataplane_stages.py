"""Per-stage throughput of schema_check and validate: the columnar path against the row path, same run.

Usage: python bench/dataplane_stages.py [--copies 3] [--repeat 3] [--plain]
The bundled study is concatenated ``--copies`` times (one header) into a temporary CSV; each stage
function runs with ``engine="rows"`` (the implementation before the data plane) and
``engine="columns"``, interleaved, ``--repeat`` times; medians and MB/s are printed. upload and
summary are timed by bench/dataplane_e2e.py. ``--plain`` writes the cells' commas as semicolons, so
no field needs quotes; both files are read by Polars' CSV reader, whose quoted fields are well formed
(see stages/columnar/csvchunks.py).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from study_copies import study_rows, write_study_copies

from stages.components import DatasetProfile
from stages.dictionary import load_dictionary
from stages.stage_02_schema_check import SchemaCheckConfig, check_input
from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.csv"
        header = write_study_copies(path, args.copies, lineterminator="\r\n", plain=args.plain)
        mb = path.stat().st_size / 1e6
        profile = DatasetProfile(name="s", format="csv", encoding="utf-8", delimiter=",", sha256="",
                                 size_bytes=path.stat().st_size, rows=study_rows() * args.copies, columns=tuple(header))
        vconfig = ValidateConfig(dictionary="bundled:demo_dictionary.yaml")
        rules = collect_rules(dictionary, vconfig)
        cases = {
            "schema_check": lambda engine: check_input(path, profile, dictionary, SchemaCheckConfig(), engine=engine),
            "validate": lambda engine: validate_input(path, profile, dictionary, rules, vconfig, engine=engine),
        }
        from stages.columnar.source import native_csv_ok

        reader = "Polars CSV reader" if native_csv_ok(path, profile) else "row reader"
        print(f"file: {profile.rows} rows, {mb:.1f} MB, columns path through the {reader}; median of {args.repeat}")
        print(f"{'stage':14} {'rows s':>8} {'MB/s':>7} {'columns s':>10} {'MB/s':>7} {'speed-up':>9}")
        for name, fn in cases.items():
            times: dict[str, list[float]] = {"rows": [], "columns": []}
            results = {}
            for _ in range(args.repeat):
                for engine in ("rows", "columns"):
                    t0 = time.perf_counter()
                    results[engine] = fn(engine)
                    times[engine].append(time.perf_counter() - t0)
            assert results["rows"] == results["columns"], name
            r, c = statistics.median(times["rows"]), statistics.median(times["columns"])
            print(f"{name:14} {r:8.3f} {mb / r:7.1f} {c:10.3f} {mb / c:7.1f} {r / c:8.1f}x")


if __name__ == "__main__":
    main()
