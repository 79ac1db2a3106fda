"""Polars vs DuckDB vs PyArrow on the operations the tabular stages need, on one generated CSV.

Operations (each engine, same file, all columns read as text first, as the stages do):
  read   - parse the CSV into a table of strings
  types  - count cells of one column that are not integers (regex), of one that are not ISO dates
  regex  - count cells not fully matching a user pattern
  groups - value counts of a categorical column
  quant  - exact quartiles of a numeric column

Usage: python bench/dataplane_engines.py [--rows 300000] [--repeat 3]
Prints the median seconds of ``--repeat`` runs per engine and operation, and MB/s for the total.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

INT = r"^[+-]?[0-9]+$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PATTERN = r"^S-[0-9]{5}$"


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["subject_id", "age", "sex", "visit_date", "weight", "note"])
        for i in range(rows):
            age = str(rng.randint(18, 95)) if rng.random() > 0.02 else "NA"
            w.writerow([f"S-{i:05d}" if rng.random() > 0.01 else f"X{i}", age, rng.choice("FMU"),
                        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", f"{rng.uniform(40, 140):.1f}",
                        "free text " * rng.randint(0, 4)])


def polars_ops(path: Path) -> dict[str, Callable[[], object]]:
    import polars as pl

    def read() -> object:
        return pl.read_csv(path, infer_schema=False)

    df = pl.read_csv(path, infer_schema=False)
    return {
        "read": read,
        "types": lambda: df.select((~pl.col("age").str.contains(INT)).sum(),
                                   (~pl.col("visit_date").str.contains(DATE)).sum()),
        "regex": lambda: df.select((~pl.col("subject_id").str.contains(PATTERN)).sum()),
        "groups": lambda: df.group_by("sex").len(),
        "quant": lambda: df.select(pl.col("weight").cast(pl.Float64, strict=False).quantile(q, "linear")
                                   .alias(f"q{q}") for q in (0.25, 0.5, 0.75)),
    }


def duckdb_ops(path: Path) -> dict[str, Callable[[], object]]:
    import duckdb

    con = duckdb.connect()
    src = f"read_csv('{path}', all_varchar=true, header=true)"

    def read() -> object:
        return con.sql(f"select * from {src}").to_arrow_table()

    con.execute(f"create table t as select * from {src}")
    return {
        "read": read,
        "types": lambda: con.execute(
            f"select count(*) filter (where not regexp_full_match(age, '{INT[1:-1]}')), "
            f"count(*) filter (where not regexp_full_match(visit_date, '{DATE[1:-1]}')) from t").fetchall(),
        "regex": lambda: con.execute(
            f"select count(*) filter (where not regexp_full_match(subject_id, '{PATTERN[1:-1]}')) from t").fetchall(),
        "groups": lambda: con.execute("select sex, count(*) from t group by sex").fetchall(),
        "quant": lambda: con.execute("select quantile_cont(try_cast(weight as double), [0.25, 0.5, 0.75]) "
                                     "from t").fetchall(),
    }


def pyarrow_ops(path: Path) -> dict[str, Callable[[], object]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    names = ["subject_id", "age", "sex", "visit_date", "weight", "note"]
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False)

    def read() -> object:
        return pacsv.read_csv(path, convert_options=convert)

    t = pacsv.read_csv(path, convert_options=convert)

    def quant() -> object:
        w = pc.cast(pc.if_else(pc.match_substring_regex(t["weight"], r"^[0-9.]+$"), t["weight"], None), pa.float64())
        return pc.quantile(w, q=[0.25, 0.5, 0.75])

    return {
        "read": read,
        "types": lambda: (pc.sum(pc.invert(pc.match_substring_regex(t["age"], INT))),
                          pc.sum(pc.invert(pc.match_substring_regex(t["visit_date"], DATE)))),
        "regex": lambda: pc.sum(pc.invert(pc.match_substring_regex(t["subject_id"], PATTERN))),
        "groups": lambda: pc.value_counts(t["sex"]),
        "quant": quant,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        make_csv(path, args.rows)
        mb = path.stat().st_size / 1e6
        print(f"file: {args.rows} rows, {mb:.1f} MB; median of {args.repeat} runs, seconds")
        ops = ("read", "types", "regex", "groups", "quant")
        print(f"{'engine':8} " + " ".join(f"{o:>7}" for o in ops) + f" {'total':>7} {'MB/s':>7}")
        for name, build in (("polars", polars_ops), ("duckdb", duckdb_ops), ("pyarrow", pyarrow_ops)):
            fns = build(path)
            medians = []
            for op in ops:
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    fns[op]()
                    times.append(time.perf_counter() - t0)
                medians.append(statistics.median(times))
            total = sum(medians)
            print(f"{name:8} " + " ".join(f"{m:7.3f}" for m in medians) + f" {total:7.3f} {mb / total:7.1f}")


if __name__ == "__main__":
    main()
