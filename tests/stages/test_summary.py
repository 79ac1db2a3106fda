"""summary: statistics of the de-identified copy, small-cell suppression, missing inputs."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import StageStatus
from stages.components import DeidentifiedDataset, StudySummary
from stages.stage_20_summary import ColumnStats, SummaryConfig
from tests.stages.conftest import run, write

KEYS = ["upload", "schema_check", "validate", "phi_scan", "deidentify", "summary"]


def _summary(r: Any, ws: Path) -> tuple[dict[str, Any], str, str]:
    summary = r.component("run", StudySummary)
    text = (ws / summary.path).read_text()
    return json.loads(text), text, (ws / summary.markdown_path).read_text()


def test_small_cells_suppressed_and_stats(tmp_path: Path, ws: Path) -> None:
    rows = ["grp,val,code"] + [f"A,{i},0{i % 3}" for i in range(40)] + ["B,100,01", "C,7,02"]
    r = run(KEYS, write(tmp_path / "a.csv", "\n".join(rows) + "\n"), ws, {"summary": {"title": "T"}})
    result = r.result("summary")
    assert result.status is StageStatus.COMPLETED, result.errors
    data, _, md = _summary(r, ws)
    stats = data["datasets"]["dataset"]["column_stats"]
    assert [t["value"] for t in stats["grp"]["top_values"]] == ["A"]  # B and C: 1 each, suppressed
    # low/high are the 11th smallest and largest values, not the raw extremes (0 and the lone 100).
    assert stats["val"]["kind"] == "numeric" and stats["val"]["low"] == 9 and stats["val"]["high"] == 30
    assert "min" not in stats["val"] and "max" not in stats["val"]
    assert stats["code"]["kind"] == "categorical"
    assert result.output["rows"] == 42 and set(result.artifacts) == {r.component("run", StudySummary).path,
                                                                      r.component("run", StudySummary).markdown_path}
    assert md.startswith("# T")


def test_default_small_cell_threshold_is_eleven(tmp_path: Path, ws: Path) -> None:
    rows = ["grp"] + ["A"] * 11 + ["B"] * 10
    r = run(KEYS, write(tmp_path / "a.csv", "\n".join(rows) + "\n"), ws)
    data, _, _ = _summary(r, ws)
    assert [t["value"] for t in data["datasets"]["dataset"]["column_stats"]["grp"]["top_values"]] == ["A"]


def test_an_outlier_and_a_near_constant_column_reveal_no_lone_value(tmp_path: Path, ws: Path) -> None:
    rows = ["score,flag"] + [f"{i},7" for i in range(60)] + ["98765,4321"]
    r = run(KEYS, write(tmp_path / "a.csv", "\n".join(rows) + "\n"), ws)
    data, text, md = _summary(r, ws)
    stats = data["datasets"]["dataset"]["column_stats"]
    assert stats["score"]["high"] == 50 and stats["score"]["low"] == 10
    # flag: two distinct values (fewer than 11), so it is counted as categories; the lone 4321 is a small cell.
    assert stats["flag"]["kind"] == "categorical" and stats["flag"]["top_values"] == [{"value": "7", "count": 60}]
    assert "98765" not in text + md and "4321" not in text + md


def test_phi_columns_show_counts_never_values(tmp_path: Path, ws: Path) -> None:
    rows = ["patient_name,zip,dob,mrn,visit"] + [
        f"Person{chr(65 + i % 26)} Example,021{i % 10:02d},1960-0{1 + i % 9}-1{i % 10},{4000000 + i},1"
        for i in range(40)]
    config = {"deidentify": {"identifiers": "pseudonym", "columns": {"mrn": "keep"}, "fail_on_residual": False}}
    r = run(KEYS, write(tmp_path / "a.csv", "\n".join(rows) + "\n"), ws, config)
    assert r.result("summary").status is StageStatus.COMPLETED, r.result("summary").errors
    data, text, md = _summary(r, ws)
    stats = data["datasets"]["dataset"]["column_stats"]
    for column in ("patient_name", "zip", "dob", "mrn"):
        assert stats[column]["kind"] == "phi" and set(stats[column]) == {"kind", "count", "missing"}, column
    # Neither a raw value nor a PHI column's de-identified value (a pseudonym, the year, the ZIP3
    # "021") may appear as a value of its own. Whole tokens only: a hex digest or the run id may
    # hold "021" or "1960" among other hex digits, which is no value of the data.
    raw = {cell for line in rows[1:] for cell in line.split(",")[:4]}
    copy = (ws / r.component("input:dataset", DeidentifiedDataset).path).read_text()
    shown = {cell for line in copy.splitlines()[1:] for cell in line.split(",")[:4]} - {""}
    assert raw and shown and "021" in shown
    def alone(value: str, body: str) -> bool:
        return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", body) is not None
    assert not [v for v in sorted(raw | shown) if alone(v, text) or alone(v, md)]


def test_title_is_sanitized(tmp_path: Path, ws: Path) -> None:
    r = run(KEYS, write(tmp_path / "a.csv", "a\n1\n"), ws, {"summary": {"title": "Export of 512-73-4891"}})
    data, text, md = _summary(r, ws)
    assert "512-73" not in text + md and data["title"].startswith("Export of [PHI:")


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.integers(min_value=-50, max_value=50), min_size=0, max_size=80),
       k=st.integers(min_value=1, max_value=15))
def test_every_shown_order_statistic_has_k_values_on_each_side(values: list[int], k: int) -> None:
    stats = ColumnStats(30, k, random.Random(0))
    for v in values:
        stats.add(str(v))
    out = stats.result(SummaryConfig(min_cell_count=k))
    for name in ("low", "p25", "median", "p75", "high"):
        if name in out:
            shown = out[name]
            assert sum(v <= shown for v in values) >= k and sum(v >= shown for v in values) >= k, (name, out)
    for item in out.get("top_values", []):
        assert values.count(int(item["value"])) >= k
    if len(set(values)) < k:
        assert not {"low", "high", "median", "p25", "p75"} & set(out)


def test_header_only(tmp_path: Path, ws: Path) -> None:
    r = run(KEYS, write(tmp_path / "h.csv", "a,b\n"), ws)
    assert r.result("summary").status is StageStatus.COMPLETED
    assert r.result("summary").output["rows"] == 0


def test_skipped_without_deidentified_data(tmp_path: Path, ws: Path) -> None:
    r = run(["upload", "summary"], write(tmp_path / "a.csv", "a\n1\n"), ws)
    assert r.result("summary").status is StageStatus.SKIPPED
