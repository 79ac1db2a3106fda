"""What the benchmarks that run this tree against another checkout share (``--base``, alternating trees).

Each measurement is ``python -m engine ...`` in a fresh subprocess with ``PYTHONPATH`` set to the
tree and a fixed PHI key; the trees take turns within each round, so that a slower moment of a
shared machine falls on both. Used by ``bench/phi_cli_ab.py`` and ``bench/wide_file.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark-key-0123456789"
T = TypeVar("T")


def ab_parser(doc: str, repeat: int) -> argparse.ArgumentParser:
    """A parser with ``--base`` (the other checkout) and ``--repeat`` (rounds), described by ``doc``'s first line."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--repeat", type=int, default=repeat)
    return ap


def run_engine(tree: Path, args: Sequence[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """``python -m engine ARGS`` with ``tree``'s code in ``cwd``: wall seconds, CPU seconds (user +
    system of the child) and the finished process (its output captured)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "RFLOW_PHI_KEY": KEY}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "engine", *args], env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def alternate(trees: Mapping[str, Path], repeat: int, run: Callable[[str, Path, int], T]) -> dict[str, list[T]]:
    """``run(name, tree, round)`` of each tree for ``repeat`` rounds, the trees in turn within a round."""
    got: dict[str, list[T]] = {name: [] for name in trees}
    for n in range(repeat):
        for name, tree in trees.items():
            got[name].append(run(name, tree, n))
    return got


@contextlib.contextmanager
def bench_folder() -> Iterator[Path]:
    """A temporary folder for the files and runs, the load average printed before and after."""
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        yield Path(tmp_name)
    print(f"\nload average: {os.getloadavg()}")
