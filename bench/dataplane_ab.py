"""schema_check, validate and summary's columnar passes against an earlier revision's, in one run.

Usage: python bench/dataplane_ab.py --base REV [--mb 20] [--repeat 3]
``--base``: a git revision whose ``stages/columnar/{schema,validate,summary}.py`` are the baseline
(each loaded from ``git show`` into a module of its own, fed the batches as that revision read them).
On a dense CSV of about ``--mb`` MB (bench/dataplane_e2e.py's: the bundled study's rows repeated,
subject ids unique per copy), upload's profile first, then each stage function with
``engine="columns"``, baseline and current interleaved ``--repeat`` times; medians of wall and CPU
seconds (all threads) and MB/s are printed, and the two outputs must be equal.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataplane_e2e import write_dense_csv

from engine import InputDataset
from stages.columnar import schema, source, summary, validate
from stages.dictionary import load_dictionary
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_02_schema_check import SchemaCheckConfig, check_input
from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input
from stages.stage_20_summary import SummaryConfig, column_statistics

ROOT = Path(__file__).resolve().parents[1]
SWAPPED = {"schema": (schema, "count"), "validate": (validate, "feed"), "summary": (summary, "accumulate")}


def base_module(rev: str, name: str, tmp: Path) -> ModuleType:
    """``stages/columnar/NAME.py`` as it is at ``rev``, as a module of its own."""
    text = subprocess.run(["git", "show", f"{rev}:stages/columnar/{name}.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    path = tmp / f"{name}_base.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"{name}_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"{name}_base"] = module
    spec.loader.exec_module(module)
    module.READS_SPACED = "spaced" in text  # type: ignore[attr-defined]  # its batches name the spaced columns
    return module


@contextmanager
def baseline(modules: dict[str, ModuleType]) -> Iterator[None]:
    """The base revision's passes, fed the batches as it read them (``(offset, frame)``, every column
    stripped, before the spaced columns were named)."""
    saved = {name: getattr(mod, attr) for name, (mod, attr) in SWAPPED.items()}
    saved_batches = source.spaced_batches
    try:
        for name, (mod, attr) in SWAPPED.items():
            setattr(mod, attr, getattr(modules[name], attr))
        if not all(getattr(m, "READS_SPACED", False) for m in modules.values()):
            source.spaced_batches = source.text_batches  # type: ignore[assignment]
        yield
    finally:
        for name, (mod, attr) in SWAPPED.items():
            setattr(mod, attr, saved[name])
        source.spaced_batches = saved_batches


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        modules = {name: base_module(args.base, name, tmp) for name in SWAPPED}
        path = tmp / "dense.csv"
        rows = write_dense_csv(path, args.mb)
        mb = path.stat().st_size / 1e6
        profile, errors, _ = profile_input("dataset", InputDataset(name="dataset", path=str(path)),
                                           UploadConfig(max_bytes="4GiB"))
        assert profile is not None, errors
        dictionary = load_dictionary("bundled:demo_dictionary.yaml")
        vconfig = ValidateConfig(dictionary="bundled:demo_dictionary.yaml", max_missing_default=0.2)
        rules = collect_rules(dictionary, vconfig)
        cases: dict[str, Callable[[], Any]] = {
            "schema_check": lambda: check_input(path, profile, dictionary, SchemaCheckConfig()),
            "validate": lambda: validate_input(path, profile, dictionary, rules, vconfig),
            "summary": lambda: column_statistics(path, SummaryConfig()),
        }
        print(f"file: {rows} rows, {mb:.1f} MB; base {args.base}; medians of {args.repeat}")
        print(f"{'stage':13} {'base wall':>9} {'CPU':>6} {'MB/s':>6} {'now wall':>9} {'CPU':>6} {'MB/s':>6} "
              f"{'CPU ratio':>9}")
        for name, fn in cases.items():
            times: dict[str, list[tuple[float, float]]] = {"base": [], "now": []}
            outs: dict[str, Any] = {}
            for _ in range(args.repeat):
                with baseline(modules):
                    wall, cpu, outs["base"] = timed(fn)
                times["base"].append((wall, cpu))
                wall, cpu, outs["now"] = timed(fn)
                times["now"].append((wall, cpu))
            if name == "validate":  # the unique rule's salt is drawn per call; compare what is reported
                assert outs["base"]["rules"] == outs["now"]["rules"], name
            else:
                assert outs["base"] == outs["now"], name
            med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                   for k, v in times.items()}
            (bw, bc), (nw, nc) = med["base"], med["now"]
            print(f"{name:13} {bw:9.3f} {bc:6.3f} {mb / bw:6.1f} {nw:9.3f} {nc:6.3f} {mb / nw:6.1f} {bc / nc:8.2f}x")


if __name__ == "__main__":
    main()
