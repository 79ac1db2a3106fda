"""CPU seconds of upload, schema_check, validate and summary, each alone, on a file of any size.

Usage: python bench/dataplane_cpu.py INPUT.csv COPY.csv
INPUT: a DEMO-shaped export (bench/dataplane_e2e.py's dense CSV); COPY: its de-identified copy (the
``deidentified/`` file of a run on it), which summary reads. Each stage function runs once with
``engine="columns"``; wall and CPU seconds (``time.process_time()``: every thread of the process)
and MB/s of each are printed with the load average at its start. CPU seconds are the figure to
compare on a shared machine.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import InputDataset
from stages.dictionary import load_dictionary
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_02_schema_check import SchemaCheckConfig, check_input
from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input
from stages.stage_20_summary import SummaryConfig, column_statistics


def run(name: str, fn: Callable[[], Any], megabytes: float) -> Any:
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{name:13} wall {wall:6.2f} s cpu {cpu:6.2f} s  {megabytes / wall:6.1f} MB/s wall  "
          f"{megabytes / cpu:6.1f} MB/CPU-s  load {load:.1f}", flush=True)
    return out


def main() -> None:
    path, copy = Path(sys.argv[1]), Path(sys.argv[2])
    mb, copy_mb = path.stat().st_size / 1e6, copy.stat().st_size / 1e6
    dataset = InputDataset(name="dataset", path=str(path))
    profile, errors, _ = run("upload", lambda: profile_input("dataset", dataset, UploadConfig(max_bytes="4GiB")), mb)
    assert profile is not None, errors
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    vconfig = ValidateConfig(dictionary="bundled:demo_dictionary.yaml", max_missing_default=0.2)
    rules = collect_rules(dictionary, vconfig)
    run("schema_check", lambda: check_input(path, profile, dictionary, SchemaCheckConfig()), mb)
    run("validate", lambda: validate_input(path, profile, dictionary, rules, vconfig), mb)
    run("summary", lambda: column_statistics(copy, SummaryConfig()), copy_mb)


if __name__ == "__main__":
    main()
