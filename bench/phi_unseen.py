"""What the DEMO pipeline does with PHI in forms it was not written from, per case and category.

Runs the real CLI (``python -m engine run manifests/demo.yaml --input dataset=FILE``) on each file
of bench/phi_corpus_unseen.py and on the bundled study, then measures against the labels:

* scanner recall on identifier columns (a finding overlapping the planted bytes), goal >= 0.98;
* free text: share of planted values gone from the de-identified copy, goal >= 0.999 per case;
* identifier columns: planted values left in the de-identified copy, goal 0;
* planted values with letters in any other output (every file of the run folder, its file names,
  the CLI's stdout and stderr; for header and file-name cases the de-identified copy too), goal 0;
* hard negatives kept (note phrases as written, clean clinical cells unchanged), goal >= 0.95;
* false residuals: the de-identification rescan on the bundled study and in clean columns, goal 0.

    python bench/phi_unseen.py --rows 3000            # table; --json for JSON; --check exits 1 on a missed goal

A value "survives" when a reader would still see it: both sides are compared after NFKC with format
characters removed, case-folded, at token boundaries (a digit run inside a longer digit run is not
it); SSNs and phones also count when their digits survive in one cell with other separators.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_corpus_unseen import CLEAN_COLUMNS, Label, load_labels, write
from phi_unseen_ids import canonical

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"recall": 0.98, "removed": 0.999, "negatives_kept": 0.95}
TOKEN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    return canonical(text).casefold()


def occurrences(needle: str, hay: str) -> int:
    """How often ``needle`` stands in ``hay`` (both folded), not inside a longer run of its edges' kind."""
    n = 0
    start = hay.find(needle) if needle else -1
    while start >= 0:
        end = start + len(needle)
        before, after = hay[start - 1 : start], hay[end : end + 1]
        n += not (_same_kind(before, needle[0]) or _same_kind(after, needle[-1]))
        start = hay.find(needle, start + 1)
    return n


def found(needle: str, hay: str) -> bool:
    return occurrences(needle, hay) > 0


def _same_kind(a: str, b: str) -> bool:
    return bool(a) and ((a.isdigit() and b.isdigit()) or (a.isalpha() and b.isalpha()))


def survives(label: Label, out: str, source: str) -> bool:
    """Whether any part of the planted value is still readable in ``out``, the de-identified text.

    ``source`` is the same text before de-identification: a part counts only when ``out`` holds
    it more often than ``source`` does outside the planted span (a surname that is also a word
    elsewhere in the note is not a survivor).
    """
    start = source.find(label.value)
    other = fold(source[:start] + " " + source[start + len(label.value) :] if start >= 0 else source)
    text = fold(out)
    for needle in {fold(p) for p in label.parts} | {fold(label.value)}:
        if occurrences(needle, text) > occurrences(needle, other):
            return True
    digits = re.sub(r"\D", "", canonical(label.value))
    if label.category in ("SSN", "PHONE") and len(digits) >= 9:
        return re.sub(r"\D", "", text).count(digits) > re.sub(r"\D", "", other).count(digits)
    return False


def run_demo(data: Path | None, run_dir: Path) -> dict[str, Any]:
    """One real CLI run of the DEMO pipeline; its exit code, stdout, stderr and run folder."""
    args = [sys.executable, "-m", "engine", "run", str(ROOT / "manifests/demo.yaml"), "--out", str(run_dir)]
    if data is not None:
        args += ["--input", f"dataset={data}"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    return {"exit_code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "dir": run_dir}


def _text_of(path: Path) -> str:
    if path.name.endswith(".findings.jsonl"):
        # Read as every consumer does (read_findings): a digest is a keyed hash, not a value, and its
        # base64 letters would match short name parts by chance; categories and columns are kept.
        from engine.phi.scan.findings_file import read_findings

        return "\n".join(f"{f.category} {f.row} {f.column} {f.offset} {f.length}" for f in read_findings(path))
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            return json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            return raw
    if path.suffix == ".jsonl":
        out = []
        for line in raw.splitlines():
            try:
                out.append(json.dumps(json.loads(line), ensure_ascii=False))
            except ValueError:
                out.append(line)
        return "\n".join(out)
    return raw


class Outputs:
    """Every output of one run but the de-identified copy, folded, with a token index for speed."""

    def __init__(self, run: dict[str, Any], with_copy: bool = False, common: frozenset[str] = frozenset()) -> None:
        run_dir: Path = run["dir"]
        texts = [run["stdout"], run["stderr"]]
        for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
            texts.append(str(path.relative_to(run_dir)))
            if with_copy or "deidentified" not in path.parts:
                texts.append(_text_of(path))
        self.text = fold("\n".join(texts))
        self.tokens = set(TOKEN.findall(self.text))
        self.common = common  # the tool's own words (from a run on the bundled study): not evidence alone

    def holds(self, label: Label, digits_too: bool = False) -> bool:
        for part in {label.value, *label.parts}:
            needle = fold(part)
            if not digits_too and not re.search(r"[^\W\d_]", needle):
                continue  # only values with letters: digits alone match counts and digests
            tokens = TOKEN.findall(needle)
            if part != label.value and all(t in self.common for t in tokens):
                continue  # a name part such as "Share" that the tool's own output holds anyway
            if all(t in self.tokens for t in tokens) and found(needle, self.text):
                return True
        return False


def _deid_lines(run_dir: Path) -> list[list[str]]:
    copies = sorted((run_dir / "deidentified").glob("*.csv")) if (run_dir / "deidentified").is_dir() else []
    if not copies:
        return []
    with copies[0].open(newline="", encoding="utf-8", errors="replace") as fh:
        return list(csv.reader(fh))


def _findings(run_dir: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    from engine.phi.scan.findings_file import read_findings

    for path in sorted(run_dir.glob("phi/*.findings.jsonl")):
        out += [f._asdict() for f in read_findings(path)]
    return out


def _rescan(run_dir: Path) -> dict[str, Any]:
    try:
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    for step in report.get("steps", []):
        if step.get("step_id") == "deidentify":
            inputs: dict[str, Any] = (step.get("output") or {}).get("inputs") or {}
            first: dict[str, Any] = next(iter(inputs.values()), {})
            return dict(first.get("rescan") or {})
    return {}


def _cells(label: Label, header: list[str], src: list[str], out: list[str]) -> tuple[str, str]:
    """The planted value's cell before and after, or the whole rows when the columns moved."""
    tail = label.column.removeprefix("column ")
    i = int(tail) - 1 if tail.isdigit() and label.column != tail else header.index(label.column)
    if len(out) == len(src) and i < len(src):
        return src[i], out[i]
    return " | ".join(src), " | ".join(out)


def measure_file(name: str, corpus: Path, labels: list[Label], run: dict[str, Any],
                 common: frozenset[str]) -> dict[str, Any]:  # fmt: skip
    """Per-label outcomes of one run: detected, survived, leaked, kept."""
    run_dir: Path = run["dir"]
    with (corpus / name).open(newline="", encoding="utf-8") as fh:
        src_rows = list(csv.reader(fh))
    out_rows = _deid_lines(run_dir)
    shift = max(0, len(out_rows) - len(src_rows))  # a generated header line moves every row down one
    spans = sorted((f["offset"], f["offset"] + f["length"]) for f in _findings(run_dir) if f.get("offset") is not None)
    outputs, everything = Outputs(run, common=common), Outputs(run, with_copy=True, common=common)
    results = []
    for lab in labels:
        r: dict[str, Any] = {"label": lab}
        if lab.kind in ("header", "file_name"):  # shown anywhere counts, the de-identified copy included
            r["leaked"] = everything.holds(lab, digits_too=True)
            results.append(r)
            continue
        k = lab.line - 1 + shift
        src, out = _cells(lab, src_rows[0], src_rows[lab.line - 1], out_rows[k] if 0 <= k < len(out_rows) else [])
        if lab.kind == "negative":
            r["kept"] = lab.value in out
        else:
            r["survived"] = survives(lab, out, src)
            r["leaked"] = outputs.holds(lab)
        if lab.kind == "column":
            r["detected"] = any(s < lab.byte_end and e > lab.byte_start for s, e in spans)
        results.append(r)
    return {"results": results, "rows_out": out_rows, "rescan": _rescan(run_dir), "exit_code": run["exit_code"],
            "findings": len(spans)}  # fmt: skip


def clean_kept(corpus: Path, out_rows: list[list[str]]) -> tuple[int, int]:
    """Clean clinical cells of unseen.csv written back unchanged, of all of them."""
    with (corpus / "unseen.csv").open(newline="", encoding="utf-8") as fh:
        src = list(csv.reader(fh))
    if not out_rows:
        return 0, (len(src) - 1) * len(CLEAN_COLUMNS)
    where = {c: i for i, c in enumerate(out_rows[0])}
    kept = total = 0
    for col in CLEAN_COLUMNS:
        i = src[0].index(col)
        j = where.get(col)
        for k in range(1, len(src)):
            total += 1
            kept += j is not None and k < len(out_rows) and j < len(out_rows[k]) and out_rows[k][j] == src[k][i]
    return kept, total


def evaluate(rows: int, seed: int, work: Path) -> dict[str, Any]:
    """Generate the corpus under ``work``, run the DEMO pipeline on every file, score per case."""
    corpus = work / "corpus"
    desc = write(corpus, rows, seed)
    labels = load_labels(corpus)
    bundled = run_demo(None, work / "run_bundled")
    common = frozenset(Outputs(bundled, with_copy=True).tokens)
    by_file: dict[str, list[Label]] = defaultdict(list)
    for lab in labels:
        by_file[lab.file].append(lab)
    runs: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    unseen_rows: list[list[str]] = []
    for i, name in enumerate(desc["files"]):
        run = run_demo(corpus / name, work / f"run{i}")
        m = measure_file(name, corpus, by_file[name], run, common)
        runs[name] = {"exit_code": m["exit_code"], "findings": m["findings"], "rescan": m["rescan"]}
        results += m["results"]
        if name == "unseen.csv":
            unseen_rows = m["rows_out"]
    return summarize(results, runs, clean_kept(corpus, unseen_rows), _rescan(bundled["dir"]), bundled["exit_code"])


def _share(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarize(results: list[dict[str, Any]], runs: dict[str, Any], clean: tuple[int, int],
              bundled_rescan: dict[str, Any], bundled_exit: int) -> dict[str, Any]:
    """The figures and which goals are met."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        lab = r["label"]
        groups[(lab.kind, lab.case, lab.category)].append(r)
    table = []
    for (kind, case, cat), rs in sorted(groups.items()):
        n = len(rs)
        row: dict[str, Any] = {"kind": kind, "case": case, "category": cat, "n": n}
        if kind == "column":
            row["recall"] = _share(sum(r["detected"] for r in rs), n)
            row["survived"] = sum(r["survived"] for r in rs)
        if kind == "note":
            row["removed"] = _share(sum(not r["survived"] for r in rs), n)
        if kind == "negative":
            row["kept"] = _share(sum(r["kept"] for r in rs), n)
        if "leaked" in rs[0]:
            every = kind in ("header", "file_name")  # these count with digits alone too
            with_letters = [r for r in rs if every or re.search(r"[^\W\d_]", canonical(r["label"].value))]
            row["with_letters"] = len(with_letters)
            row["leaked"] = sum(r["leaked"] for r in with_letters)
        table.append(row)
    clean_residual = sum(v for k, v in (runs.get("unseen.csv", {}).get("rescan", {}).get("by_column") or {}).items()
                         if k in CLEAN_COLUMNS)  # fmt: skip
    false_residuals = {"bundled_study": bundled_rescan.get("residual_findings"), "clean_columns": clean_residual}
    misses = []
    for row in table:
        what = f"{row['kind']} {row['case']} {row['category']}"
        if row.get("recall") is not None and row["recall"] < GOALS["recall"]:
            misses.append(f"{what}: recall {row['recall']}")
        if row.get("survived"):
            misses.append(f"{what}: {row['survived']} left in the de-identified copy")
        if row.get("removed") is not None and row["removed"] < GOALS["removed"]:
            misses.append(f"{what}: {row['removed']} removed")
        if row.get("kept") is not None and row["kept"] < GOALS["negatives_kept"]:
            misses.append(f"{what}: {row['kept']} kept")
        if row.get("leaked"):
            misses.append(f"{what}: {row['leaked']} in other outputs")
    clean_share = _share(*clean)
    if clean_share is not None and clean_share < GOALS["negatives_kept"]:
        misses.append(f"clean clinical cells: {clean_share} kept")
    if bundled_rescan.get("residual_findings") != 0 or clean_residual:
        misses.append(f"false residuals: {false_residuals}")
    return {"goals": GOALS, "table": table, "clean_cells_kept": clean_share, "false_residuals": false_residuals,
            "runs": runs, "bundled_exit_code": bundled_exit, "missed": misses}  # fmt: skip


def print_table(res: dict[str, Any]) -> None:
    print("| output | case | category | n | scanner recall | left in copy | removed (notes) | kept |"
          " leaked (with letters) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in res["table"]:
        cells = [r["kind"], r["case"], r["category"], str(r["n"])]
        cells += [_fmt(r.get("recall")), _fmt(r.get("survived")), _fmt(r.get("removed")), _fmt(r.get("kept"))]
        cells.append(f"{r['leaked']} / {r['with_letters']}" if "leaked" in r else "-")
        print("| " + " | ".join(cells) + " |")
    print(f"\nclean clinical cells kept: {res['clean_cells_kept']}; false residuals: {res['false_residuals']}")
    print("runs: " + ", ".join(f"{k}: exit {v['exit_code']}, {v['findings']} findings, "
                               f"{v['rescan'].get('residual_findings')} residual" for k, v in res["runs"].items())
          + f"; bundled study: exit {res['bundled_exit_code']}")  # fmt: skip
    print(f"\ngoals missed: {len(res['missed'])}")
    for m in res["missed"]:
        print(f"  {m}")


def _fmt(v: object) -> str:
    return "-" if v is None else str(v)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    ap.add_argument("--keep", type=Path, help="write the corpus and run folders here (must be new) and keep them")
    args = ap.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True)
        res = evaluate(args.rows, args.seed, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="phi-unseen-") as tmp:
            res = evaluate(args.rows, args.seed, Path(tmp))
    if args.json:
        print(json.dumps(res, indent=1, default=str))
    else:
        print_table(res)
    return 1 if args.check and res["missed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
