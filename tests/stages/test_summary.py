"""summary: statistics of the de-identified copy, small-cell suppression, missing inputs."""

from __future__ import annotations

import json
from pathlib import Path

from engine import StageStatus
from stages.components import StudySummary
from tests.stages.conftest import run, write

KEYS = ["upload", "schema_check", "validate", "phi_scan", "deidentify", "summary"]


def test_small_cells_suppressed_and_stats(tmp_path: Path, ws: Path) -> None:
    rows = ["grp,val,code"] + [f"A,{i},0{i % 3}" for i in range(10)] + ["B,100,01", "C,7,02"]
    r = run(KEYS, write(tmp_path / "a.csv", "\n".join(rows) + "\n"), ws, {"summary": {"title": "T"}})
    result = r.result("summary")
    assert result.status is StageStatus.COMPLETED, result.errors
    summary = r.component("run", StudySummary)
    data = json.loads((ws / summary.path).read_text())
    stats = data["datasets"]["dataset"]["column_stats"]
    assert [t["value"] for t in stats["grp"]["top_values"]] == ["A"]  # B and C: 1 each, suppressed
    assert stats["val"]["kind"] == "numeric" and stats["val"]["min"] == 0 and stats["val"]["max"] == 100
    assert stats["code"]["kind"] == "categorical"
    assert result.output["rows"] == 12 and set(result.artifacts) == {summary.path, summary.markdown_path}
    assert (ws / summary.markdown_path).read_text().startswith("# T")


def test_header_only(tmp_path: Path, ws: Path) -> None:
    r = run(KEYS, write(tmp_path / "h.csv", "a,b\n"), ws)
    assert r.result("summary").status is StageStatus.COMPLETED
    assert r.result("summary").output["rows"] == 0


def test_skipped_without_deidentified_data(tmp_path: Path, ws: Path) -> None:
    r = run(["upload", "summary"], write(tmp_path / "a.csv", "a\n1\n"), ws)
    assert r.result("summary").status is StageStatus.SKIPPED
