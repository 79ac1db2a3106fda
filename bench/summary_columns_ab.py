"""summary's columnar pass against an earlier revision's, in one run, on the bundled study repeated.

Usage: python bench/summary_columns_ab.py --base REV [--copies 20] [--repeat 3]
``--base``: a git revision whose ``stages/columnar/summary.py`` is the baseline (loaded from
``git show REV:stages/columnar/summary.py`` into a module of its own). Both run
:func:`stages.stage_20_summary.column_statistics` with ``engine="columns"`` on the same temporary CSV
(the bundled study concatenated ``--copies`` times, one header), interleaved ``--repeat`` times;
medians of wall and CPU seconds and MB/s are printed, and the two outputs must be equal.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from study_copies import study_rows, write_study_copies

from stages.columnar import summary as current
from stages.stage_20_summary import SummaryConfig, column_statistics

ROOT = Path(__file__).resolve().parents[1]


def base_module(rev: str, tmp: Path) -> ModuleType:
    """``stages/columnar/summary.py`` as it is at ``rev``, as a module of its own."""
    source = subprocess.run(["git", "show", f"{rev}:stages/columnar/summary.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = tmp / "summary_base.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("summary_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["summary_base"] = module
    spec.loader.exec_module(module)
    return module


def timed(path: Path, accumulate: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds of ``column_statistics(path)`` with ``accumulate`` as its columnar pass; its output."""
    saved = current.accumulate
    current.accumulate = accumulate
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        out = column_statistics(path, SummaryConfig(), engine="columns")
        return time.perf_counter() - wall, time.process_time() - cpu, out
    finally:
        current.accumulate = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.csv"
        header = write_study_copies(path, args.copies)
        mb = path.stat().st_size / 1e6
        runs = {args.base: base_module(args.base, Path(tmp)).accumulate, "this tree": current.accumulate}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        outputs: dict[str, Any] = {}
        for accumulate in runs.values():  # warm up both (imports, compiled patterns)
            timed(path, accumulate)
        for _ in range(args.repeat):
            for name, accumulate in runs.items():
                wall, cpu, outputs[name] = timed(path, accumulate)
                times[name].append((wall, cpu))
        print(f"copy: {study_rows() * args.copies} rows x {len(header)} columns, {mb:.1f} MB; median of {args.repeat}")
        base_wall = statistics.median(w for w, _ in times[args.base])
        for name, values in times.items():
            wall = statistics.median(w for w, _ in values)
            cpu = statistics.median(c for _, c in values)
            print(f"{name:12} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {mb / wall:7.1f} MB/s  {base_wall / wall:5.2f}x")
        same = outputs[args.base] == outputs["this tree"]
        print("outputs equal:", same)
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
