"""Precision and recall of the PHI scan tier per category on the labelled synthetic corpus.

A finding is a true positive when an expected ``(row, column, category)`` is still unmatched;
clean clinical columns (ICD-10, LOINC, labs, vitals, record ids, dosages) must yield nothing.

    python bench/phi_quality.py --rows 3000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_corpus import CLEAN_COLUMNS, write

from engine.phi import scan_file


def evaluate(rows: int, seed: int) -> tuple[dict[str, tuple[int, int, int]], int]:
    """Per category ``(tp, fp, fn)``, and the number of findings in clean columns."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        labels = write(path, rows, seed)
        expected: Counter[tuple[int, str, str]] = Counter()
        for line in labels.read_text().splitlines():
            d = json.loads(line)
            expected[(d["row"], d["column"], d["category"])] += 1
        remaining = expected.copy()
        tp: Counter[str] = Counter()
        fp: Counter[str] = Counter()
        clean_hits = 0
        for f in scan_file(path, key=b"quality-benchmark-key"):
            k = (f.row or 0, f.column or "", f.category)
            if f.column in CLEAN_COLUMNS:
                clean_hits += 1
            if remaining[k] > 0:
                remaining[k] -= 1
                tp[f.category] += 1
            else:
                fp[f.category] += 1
        fn: Counter[str] = Counter()
        for (_, _, cat), n in remaining.items():
            fn[cat] += n
    cats = sorted(set(tp) | set(fp) | set(fn))
    return {c: (tp[c], fp[c], fn[c]) for c in cats}, clean_hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    table, clean_hits = evaluate(args.rows, args.seed)
    print("| category | expected | found | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for cat, (tp, fp, fn) in table.items():
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        print(f"| {cat} | {tp + fn} | {tp + fp} | {tp} | {fp} | {fn} | {prec:.4f} | {rec:.4f} |")
    print(f"\nfindings in clean clinical columns ({', '.join(CLEAN_COLUMNS)}): {clean_hits}")


if __name__ == "__main__":
    main()
