"""deidentify's byte copy alone, the Python reference against the native core, in one process.

    python bench/deid_bytecopy.py --mb 3

The file is ``bench/dataplane_e2e.py``'s dense CSV; the rows are read once with the ``csv``
module and each writer rewrites the same output cells (four columns changed, the study's six
identifier columns dropped) over the text, best of five, CPU seconds. Both copies must be equal.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]


def _best(text: str, rows: list[list[str]], outs: list[list[str]], make: Callable[[IO[str], IO[str]], Any],
          repeat: int) -> tuple[float, str]:
    best, copy = float("inf"), ""
    for _ in range(repeat):
        out, lines = io.StringIO(), io.StringIO(text, newline="")
        start = time.process_time()
        writer = make(out, lines)
        for row, cells in zip(rows, outs, strict=True):
            writer.write_row(row, cells)
        writer.finish()
        best = min(best, time.process_time() - start)
        copy = out.getvalue()
    return best, copy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=3.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from dataplane_e2e import write_dense_csv

    from engine.phi import native_deid
    from stages.stage_06_deidentify import native_copy
    from stages.stage_06_deidentify.bytecopy import ByteCopyWriter

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.csv"
        write_dense_csv(path, args.mb)
        text = path.read_text(encoding="utf-8")
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    dropped = {"visit_number", "patient_name", "mrn", "ssn", "phone", "email"}
    kept = [i for i, name in enumerate(header) if name not in dropped]
    changed = {header.index(name) for name in ("subject_id", "enrollment_date", "visit_date", "dob")}
    outs = [["X" if i in changed else row[i] for i in kept] for row in rows]
    python, ref = _best(text, rows, outs, lambda out, lines: ByteCopyWriter(out, lines, kept, ",", skip_first=True),
                        args.repeat)
    if native_deid.byte_copy(",", kept, True) is None:
        raise SystemExit("the native core is not in use here (not built, stale, or RFLOW_PHI_CORE_DEID=0)")
    core, got = _best(text, rows, outs, lambda out, lines: native_copy.NativeByteCopyWriter(
        out, lines, native_deid.byte_copy(",", kept, True)), args.repeat)
    mb = len(text.encode("utf-8")) / 1e6
    print(f"dense CSV {mb:.1f} MB, {len(rows)} rows; byte copy, CPU s (best of {args.repeat}): "
          f"Python {python:.3f} s ({mb / python:.1f} MB/s), core {core:.3f} s ({mb / core:.1f} MB/s), "
          f"{python / core:.1f}x; copies {'identical' if got == ref else 'DIFFER'}")


if __name__ == "__main__":
    main()
