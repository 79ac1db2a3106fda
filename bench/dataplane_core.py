"""The data plane's loops in the native core against their Python references, same run.

Usage: python bench/dataplane_core.py [--copies 20] [--repeat 5]
The bundled study (quoted fields with commas and newlines inside) is concatenated ``--copies`` times
into memory and cut into the blocks a columnar pass reads (``record_blocks``); each block is checked
by ``check_reference`` and by the core's ``csv_block_check``, interleaved, ``--repeat`` times.
Prints the median seconds and MB/s of each, the ratio, and asserts both gave the same verdicts.
Then upload's profile of the same file, with the core (which also counts the records, so upload
skips the Polars parse) and with ``RFLOW_DATAPLANE_CORE=0`` (the reference check, then the parse);
and validate's columnar pass with the bundled dictionary's rules (its ``unique`` rule's keys in the
core, or in the Python loop), upload's answer given so the file is read once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine import InputDataset, native_block_check
from stages._common import bundled_path
from stages.columnar.csvchunks import check_reference, record_blocks
from stages.components import DatasetProfile
from stages.dictionary import load_dictionary
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    core = native_block_check()
    if core is None:
        raise SystemExit("the native core is not built (or RFLOW_DATAPLANE_CORE=0): nothing to compare")
    header, _, body = bundled_path("demo_study.csv").read_bytes().partition(b"\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.csv"
        path.write_bytes(header + b"\n" + body * args.copies)
        width = header.count(b",") + 1
        profile = DatasetProfile(name="s", format="csv", encoding="utf-8", delimiter=",", sha256="",
                                 size_bytes=path.stat().st_size, rows=0, columns=tuple(f"c{i}" for i in range(width)))
        blocks = [block.data for block in record_blocks(path, profile, width)]
        uploads = _time_upload(path, args.repeat)
        validates = _time_validate(path, args.repeat)
    mb = sum(map(len, blocks)) / 1e6
    times: dict[str, list[float]] = {"reference": [], "core": []}
    verdicts: dict[str, list[object]] = {}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        verdicts["reference"] = [check_reference(b, b",", width) for b in blocks]
        times["reference"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        verdicts["core"] = [core(b, ord(","), width)[1] for b in blocks]
        times["core"].append(time.perf_counter() - t0)
    assert verdicts["reference"] == verdicts["core"]
    ref, nat = statistics.median(times["reference"]), statistics.median(times["core"])
    print(f"{len(blocks)} blocks, {mb:.1f} MB, median of {args.repeat}")
    print(f"reference (Python)  {ref:7.3f} s  {mb / ref:8.1f} MB/s")
    print(f"native core         {nat:7.3f} s  {mb / nat:8.1f} MB/s   {ref / nat:.1f}x")
    ref, nat = uploads["reference"], uploads["core"]
    print(f"upload, reference   {ref:7.3f} s  {mb / ref:8.1f} MB/s")
    print(f"upload, core        {nat:7.3f} s  {mb / nat:8.1f} MB/s   {ref / nat:.1f}x")
    ref, nat = validates["reference"], validates["core"]
    print(f"validate, reference {ref:7.3f} s  {mb / ref:8.1f} MB/s")
    print(f"validate, core      {nat:7.3f} s  {mb / nat:8.1f} MB/s   {ref / nat:.1f}x")


def _interleaved(repeat: int, run: Callable[[], object]) -> dict[str, float]:
    """Median seconds of ``run`` with the core and with the references, interleaved; results must agree."""
    times: dict[str, list[float]] = {"reference": [], "core": []}
    results: list[object] = []
    for _ in range(repeat):
        for which in ("reference", "core"):
            os.environ["RFLOW_DATAPLANE_CORE"] = "0" if which == "reference" else "1"
            t0 = time.perf_counter()
            results.append(run())
            times[which].append(time.perf_counter() - t0)
    os.environ.pop("RFLOW_DATAPLANE_CORE")
    assert all(r == results[0] for r in results)
    return {which: statistics.median(t) for which, t in times.items()}


def _time_validate(path: Path, repeat: int) -> dict[str, float]:
    dataset = InputDataset(name="d", path=str(path))
    profile, _, _ = profile_input("d", dataset, UploadConfig())
    assert profile is not None and profile.native_csv
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    config = ValidateConfig(dictionary="bundled:demo_dictionary.yaml")
    rules = collect_rules(dictionary, config)
    assert any(rule.kind == "unique" for rule in rules)
    return _interleaved(repeat, lambda: validate_input(path, profile, dictionary, rules, config))


def _time_upload(path: Path, repeat: int) -> dict[str, float]:
    """Median seconds of upload's profile of ``path`` with and without the core, interleaved."""
    dataset, config = InputDataset(name="d", path=str(path)), UploadConfig()

    def run() -> object:
        profile, _, _ = profile_input("d", dataset, config)
        assert profile is not None and profile.native_csv
        return profile.rows, profile.sha256

    return _interleaved(repeat, run)


if __name__ == "__main__":
    main()
