"""A wide file (5,000 columns, a few rows) through the whole DEMO pipeline, as a user runs it.

Each column is judged on its own, so a wide file made of one narrow file's columns repeated (same
cells, new names) must give every copy of a column what the narrow file gives that column: the
same classification, findings, de-identified cells' fate and summary statistics.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from engine.phi.columns import classify_columns

from .conftest import ROOT, rflow

KEY = {"RFLOW_PHI_KEY": "wide-file-test-key-0123456789"}
KINDS = ("lab", "visit", "remark", "email", "dob", "notes", "record", "phone", "zip", "score", "comment", "lab")
ROWS = 12


def _cell(kind: str, r: random.Random) -> str:
    if kind in ("lab", "score"):
        return str(r.randint(0, 999))
    if kind in ("visit", "dob"):
        return f"19{r.randint(40, 99)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}"
    if kind in ("remark", "comment"):
        return r.choice(("stable", "improved", "no change", "mild"))
    if kind == "email":
        return f"p{r.randint(0, 9999)}@example.org"
    if kind == "notes":
        return f"call 617-555-{r.randint(1000, 9999)}"
    if kind == "record":
        return f"MRN{r.randint(100000, 999999)}"
    if kind == "phone":
        return f"617-555-{r.randint(1000, 9999)}"
    return f"0{r.randint(2100, 2199)}"


def _narrow() -> tuple[list[str], list[list[str]]]:
    r = random.Random(7)
    header = [f"{k}_c{i}" for i, k in enumerate(KINDS)]
    return header, [[_cell(k, r) for k in KINDS] for _ in range(ROWS)]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(line) for line in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _widen(copies: int) -> tuple[list[str], list[list[str]], list[int]]:
    """The narrow file's columns ``copies`` times, renamed ``kind_cN``; each wide column's narrow column."""
    header, rows = _narrow()
    source = [i % len(header) for i in range(copies * len(header))]
    wide_header = [f"{KINDS[j]}_c{n}" for n, j in enumerate(source)]
    return wide_header, [[row[j] for j in source] for row in rows], source


def _run(tmp_path: Path, name: str, data: Path) -> dict[str, Any]:
    out = tmp_path / f"run-{name}"
    proc = rflow("run", str(ROOT / "manifests" / "demo.yaml"), "--input", f"dataset={data}", "--out", str(out),
                 cwd=tmp_path, env=KEY, timeout=600)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    report["_steps"] = {s["step_id"]: s for s in report["steps"]}
    report["_summary"] = json.loads((out / "summary" / "study_summary.json").read_text(encoding="utf-8"))
    report["_deid"] = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8").splitlines()
    return report


def test_a_5000_column_file_gives_each_column_what_its_narrow_twin_gets(tmp_path: Path) -> None:
    narrow_header, narrow_rows = _narrow()
    wide_header, wide_rows, source = _widen(417)  # 5,004 columns
    narrow = _run(tmp_path, "narrow", _write(tmp_path / "narrow.csv", narrow_header, narrow_rows))
    wide = _run(tmp_path, "wide", _write(tmp_path / "wide.csv", wide_header, wide_rows))
    assert [s["status"] for s in wide["steps"]] == [s["status"] for s in narrow["steps"]]

    n_scan, w_scan = narrow["_steps"]["phi_scan"]["output"], wide["_steps"]["phi_scan"]["output"]
    n_classes = {c["column"]: {**c, "column": None} for c in n_scan["inputs"]["dataset"]["columns_classified"]}
    w_classes = {c["column"]: {**c, "column": None} for c in w_scan["inputs"]["dataset"]["columns_classified"]}
    n_by_column = n_scan["inputs"]["dataset"]["by_column"]
    w_by_column = w_scan["inputs"]["dataset"]["by_column"]
    assert {c["category"] for c in n_classes.values()} >= {"EMAIL", "PHONE", "DATE"}  # the test holds identifiers
    for n, j in enumerate(source):
        assert w_classes.get(wide_header[n]) == n_classes.get(narrow_header[j]), wide_header[n]
        assert w_by_column.get(wide_header[n], 0) == n_by_column.get(narrow_header[j], 0), wide_header[n]
    assert w_scan["findings_total"] == 417 * n_scan["findings_total"]

    # The copy: a column's cells are replaced in the wide file exactly where they are in the narrow one.
    n_cells = [line.split(",") for line in narrow["_deid"][1:]]
    w_cells = [line.split(",") for line in wide["_deid"][1:]]
    assert len(w_cells) == ROWS and all(len(row) == len(wide_header) for row in w_cells)
    for n, j in enumerate(source):
        for r in range(ROWS):
            changed_narrow = n_cells[r][j] != narrow_rows[r][j]
            assert (w_cells[r][n] != wide_rows[r][n]) == changed_narrow, (wide_header[n], r)
    raw = {row[j] for row in narrow_rows for j, k in enumerate(KINDS) if k in ("email", "record", "phone")}
    assert not raw & {cell for row in w_cells for cell in row}

    n_stats = next(iter(narrow["_summary"]["datasets"].values()))["column_stats"]
    w_stats = next(iter(wide["_summary"]["datasets"].values()))["column_stats"]
    assert len(w_stats) == len(wide_header)
    for n, j in enumerate(source):
        assert w_stats[wide_header[n]] == n_stats[narrow_header[j]], wide_header[n]
    n_rules = narrow["_steps"]["validate"]["output"]["inputs"]["dataset"]["rules_checked"]
    w_rules = wide["_steps"]["validate"]["output"]["inputs"]["dataset"]["rules_checked"]
    assert w_rules - len(wide_header) == n_rules - len(narrow_header)  # one missing-value rule per column


class _CountingEnviron(dict[str, str]):
    """``os.environ`` stand-in that counts reads."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        type(self).reads += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        type(self).reads += 1
        return super().__getitem__(key)


def _reads(monkeypatch: Any, copies: int) -> int:
    header, rows, _ = _widen(copies)
    classify_columns(header[:12], rows)  # the first call loads the registry and the core
    environ = _CountingEnviron(os.environ)
    monkeypatch.setattr(os, "environ", environ)
    _CountingEnviron.reads = 0
    classify_columns(header, rows)
    monkeypatch.undo()
    return _CountingEnviron.reads


def test_the_engine_settings_are_read_once_per_classification_not_per_column(monkeypatch: Any) -> None:
    few, many = _reads(monkeypatch, 2), _reads(monkeypatch, 100)
    assert 0 < few <= 20  # the settings are read (a change counts at the next classification) ...
    assert many == few  # ... once per table: 1,200 columns read no more than 24
