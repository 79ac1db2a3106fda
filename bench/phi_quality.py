"""Precision and recall of the PHI scan tier per category on the labelled synthetic corpus.

A finding is a true positive when an expected ``(row, column, category)`` is still unmatched;
clean clinical columns (ICD-10, LOINC, labs, vitals, record ids, dosages) must yield nothing.

    python bench/phi_quality.py --rows 3000
    python bench/phi_quality.py --names --rows 2000     # issue 10: names, addresses, ages, columns
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_corpus import CLEAN_COLUMNS, HARD_NEGATIVES, NAME_CLEAN_COLUMNS, NAME_COLUMNS, write

from engine.phi import Finding, scan_file


def evaluate(rows: int, seed: int) -> tuple[dict[str, tuple[int, int, int]], int]:
    """Per category ``(tp, fp, fn)``, and the number of findings in clean columns."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "corpus.csv"
        labels = write(path, rows, seed)
        expected: Counter[tuple[int, str, str]] = Counter()
        for line in labels.read_text().splitlines():
            d = json.loads(line)
            expected[(d["row"], d["column"], d["category"])] += 1
        return score(scan_file(path, key=b"quality-benchmark-key"), expected, CLEAN_COLUMNS)


def score(
    findings: Iterable[Finding], expected: Counter[tuple[int, str, str]], clean: Collection[str]
) -> tuple[dict[str, tuple[int, int, int]], int]:
    """Per category ``(tp, fp, fn)`` of findings against ``(row, column, category)`` labels (a
    label matches one finding), and how many findings fell in the ``clean`` columns."""
    remaining = expected.copy()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    clean_hits = 0
    for f in findings:
        if f.column in clean:
            clean_hits += 1
        k = (f.row or 0, f.column or "", f.category)
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


# --- issue 10 ---------------------------------------------------------------------------------------

EXPECTED_CLASSES = {
    "patient_name": "NAME",
    "first_name": "NAME",
    "last_name": "NAME",
    "pt_alias": "NAME",
    "address": "ADDRESS",
    "city": "CITY",
    "age": "AGE_OVER_89",
}
NOTE_KINDS = ("NAME_CONTEXT", "NAME_FREE", "ADDRESS", "CITY", "ZIP", "AGE_OVER_89")


def _category(kind: str) -> str:
    return "NAME" if kind.startswith("NAME_") else kind


def evaluate_names(rows: int, seed: int) -> dict[str, object]:
    """Column findings, note spans, column classification and clean-column hits on the issue-10 corpus."""
    import csv

    from engine.phi import classify_file, find_spans

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "names.csv"
        labels = [json.loads(line) for line in write(path, rows, seed, names=True).read_text().splitlines()]
        classes = {c.column: c for c in classify_file(path)}
        out["classification"] = [
            (col, EXPECTED_CLASSES.get(col), classes[col].category, classes[col].evidence) for col in NAME_COLUMNS
        ]
        # Columns: scanner findings against (row, column, category) labels.
        expected: Counter[tuple[int, str, str]] = Counter(
            (d["row"], d["column"], d["category"]) for d in labels if d["column"] != "note"
        )
        column_findings = (f for f in scan_file(path, key=b"quality-benchmark-key") if f.column != "note")
        out["columns"], out["clean_hits"] = score(column_findings, expected, NAME_CLEAN_COLUMNS)
        # Notes: spans (same registry and matcher as the scanner) against the labelled mentions.
        mentions: dict[int, list[dict[str, str]]] = {}
        for d in labels:
            if d["column"] == "note":
                mentions.setdefault(d["row"], []).append(d)
        with path.open(newline="") as fh:
            notes = [row["note"] for row in csv.DictReader(fh)]
        out["notes"] = _score_notes(notes, mentions, find_spans)
    return out


def _score_notes(
    notes: list[str], mentions: dict[int, list[dict[str, str]]], find_spans: object, verbose: bool = False
) -> dict[str, object]:
    tp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    hard_hits = 0
    for i, note in enumerate(notes, start=1):
        spans = find_spans(note)  # type: ignore[operator]
        used = [False] * len(spans)
        for m in mentions.get(i, []):
            cat = _category(m["category"])
            places = [k for k in range(len(note)) if note.startswith(m["value"], k)]  # every occurrence
            hit = next(
                (
                    j
                    for j, s in enumerate(spans)
                    if s.category == cat
                    and not used[j]
                    and any(s.start < k + len(m["value"]) and s.end > k for k in places)
                ),
                None,
            )
            if hit is None:
                fn[m["category"]] += 1
            else:
                tp[m["category"]] += 1
                used[hit] = True
        for j, s in enumerate(spans):
            if not used[j]:
                fp[s.category] += 1
                if verbose:
                    print(f"  unlabelled {s.category} span: {note[max(0, s.start - 20) : s.end + 20]!r}")
                if any(neg in note and note.find(neg) <= s.start < note.find(neg) + len(neg) for neg in HARD_NEGATIVES):
                    hard_hits += 1
    return {"tp": tp, "fn": fn, "fp": fp, "hard_negative_hits": hard_hits}


def _pr(tp: int, fp: int, fn: int) -> tuple[str, str]:
    return (f"{tp / (tp + fp):.4f}" if tp + fp else "-"), (f"{tp / (tp + fn):.4f}" if tp + fn else "-")


def print_names(result: dict[str, object]) -> None:
    """Markdown tables of :func:`evaluate_names`."""
    notes = result["notes"]
    assert isinstance(notes, dict)
    tp, fn, fp = notes["tp"], notes["fn"], notes["fp"]
    print("Free-text notes (a mention counts when a span of its category overlaps it):\n")
    print("| kind | expected | TP | FN | recall |")
    print("|---|---:|---:|---:|---:|")
    for kind in NOTE_KINDS:
        print(f"| {kind} | {tp[kind] + fn[kind]} | {tp[kind]} | {fn[kind]} | {_pr(tp[kind], 0, fn[kind])[1]} |")
    print("\n| category | TP | FP | precision |")
    print("|---|---:|---:|---:|")
    for cat in ("NAME", "ADDRESS", "CITY", "ZIP", "AGE_OVER_89"):
        t = sum(v for k, v in tp.items() if _category(k) == cat)
        print(f"| {cat} | {t} | {fp[cat]} | {_pr(t, fp[cat], 0)[0]} |")
    other = {k: v for k, v in fp.items() if k not in ("NAME", "ADDRESS", "CITY", "ZIP", "AGE_OVER_89")}
    print(f"\nother findings in notes: {dict(other) or 0}; spans inside hard negatives: {notes['hard_negative_hits']}")
    print("\nColumns (scanner findings per cell):\n")
    print("| category | TP | FP | FN | precision | recall |")
    print("|---|---:|---:|---:|---:|---:|")
    columns = result["columns"]
    assert isinstance(columns, dict)
    for cat, (t, f, n) in columns.items():
        p, r = _pr(t, f, n)
        print(f"| {cat} | {t} | {f} | {n} | {p} | {r} |")
    print(f"\nfindings in clean columns ({', '.join(NAME_CLEAN_COLUMNS)}): {result['clean_hits']}")
    print("\nColumn classification:\n")
    print("| column | expected | classified | evidence | right |")
    print("|---|---|---|---|---|")
    classification = result["classification"]
    assert isinstance(classification, list)
    right = 0
    for col, want, got, evidence in classification:
        ok = want == got
        right += ok
        print(f"| {col} | {want or 'none'} | {got or 'none'} | {evidence} | {'yes' if ok else 'NO'} |")
    print(f"\nclassification accuracy: {right}/{len(classification)}")


# Title Case phrases and sentence starts that are not names, made of dictionary names: what the
# ambiguity rules are for. (The corpus notes hold few of them, so they are scored apart.)
AMBIGUOUS_NEGATIVES = [
    "May Day parade", "Will Power", "Hope Lodge stay", "Grace Period applies", "Joy Ride", "Art Therapy Group",
    "Bill Pay Portal", "Rich Text Format", "Gene Expression Panel", "Forest Green", "Sunny Hill", "Young Adult",
    "Spring Valley", "Chase Bank", "Page Break", "Major Depression", "Chance Of Rain", "Star Rating",
    "Mercy General", "Liberty Mutual", "Harmony Home", "Destiny Church", "Holly Springs", "Rose Hill",
    "Crystal Lake", "Ruby Slippers", "Amber Alert", "Heather Glen", "Pearl Harbor", "Iris Scanner",
    "Ray Tracing", "Sandy Hook", "Dawn Phenomenon", "Angel Wings", "Summer Camp", "Autumn Leaves",
    "June Bug", "April Showers", "August Rush", "Christian Science",
    "Long Beach", "Sterling Silver", "Carol Singers",
]  # fmt: skip


def ablation(rows: int, seed: int) -> None:
    """NAME precision and recall in notes with each dictionary rule switched off in turn."""
    import attrs

    from engine.phi import names

    full = names.dictionaries()
    variants = {
        "all rules": full,
        "no needs-context list (Will, May, Hope...)": attrs.evolve(full, needs_context=frozenset()),
        "no common-word pair rule (Forest Green)": attrs.evolve(full, common=frozenset()),
        "neither": attrs.evolve(full, needs_context=frozenset(), common=frozenset()),
    }
    from engine.phi import find_spans

    print(
        "\n| NAME rules | context recall | free-text recall | precision | spans in hard negatives |"
        f" Title Case non-names flagged (of {len(AMBIGUOUS_NEGATIVES)}) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    original = names.dictionaries
    try:
        for label, dicts in variants.items():
            names.dictionaries = lambda d=dicts: d  # type: ignore[assignment]
            notes = evaluate_names(rows, seed)["notes"]
            assert isinstance(notes, dict)
            tp, fn, fp = notes["tp"], notes["fn"], notes["fp"]
            t = tp["NAME_CONTEXT"] + tp["NAME_FREE"]
            print(
                f"| {label} | {_pr(tp['NAME_CONTEXT'], 0, fn['NAME_CONTEXT'])[1]} | "
                f"{_pr(tp['NAME_FREE'], 0, fn['NAME_FREE'])[1]} | {_pr(t, fp['NAME'], 0)[0]} | "
                f"{notes['hard_negative_hits']} | {sum(1 for text in AMBIGUOUS_NEGATIVES if find_spans(text))} |"
            )
    finally:
        names.dictionaries = original


def main_names(rows: int, seed: int, with_ablation: bool) -> None:
    """Print the issue-10 quality tables."""
    print_names(evaluate_names(rows, seed))
    if with_ablation:
        ablation(rows, seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--names", action="store_true", help="the issue-10 corpus and checks")
    ap.add_argument("--ablation", action="store_true", help="with --names: what each NAME rule costs")
    args = ap.parse_args()
    if args.names:
        main_names(args.rows, args.seed, args.ablation)
        return
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
