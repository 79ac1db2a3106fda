"""phi_scan: scanner path and per-cell path, policy decisions, edge cases."""

from __future__ import annotations

import json
from pathlib import Path

from engine import StageStatus
from engine.phi.scan.findings_file import read_findings
from stages.components import PhiFindingsSummary
from tests.stages.conftest import run, write

ENTITY = "input:dataset"
TEXT = "id,notes\n1,SSN 234-56-7890 on file\n2,BP 120/80 and pain 5/10\n3,mail jane.doe@example.org\n"


def _scan(path: Path, ws: Path, policy: str = "warn", **config: object):
    r = run(["upload", "phi_scan"], path, ws, {"phi_scan": config}, policy={"phi_policy": policy})
    return r.result("phi_scan"), r.component(ENTITY, PhiFindingsSummary)


def test_findings_counted_never_quoted(tmp_path: Path, ws: Path) -> None:
    result, summary = _scan(write(tmp_path / "a.csv", TEXT), ws)
    assert result.status is StageStatus.COMPLETED
    out = result.output
    assert out["findings_total"] == 2 and out["rows_with_findings"] == 2
    assert out["inputs"]["dataset"]["by_category"] == {"EMAIL": 1, "SSN": 1}
    assert out["inputs"]["dataset"]["scanner"] == "scan_file" and summary.decision == "warn"
    text = json.dumps(result.to_dict()) + (ws / summary.findings_path).read_text()
    assert "234-56-7890" not in text and "jane.doe" not in text
    rows = [f.row for f in read_findings(ws / summary.findings_path)]
    assert rows == [1, 3]


def test_policy_block_and_on_findings_fail(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "a.csv", TEXT)
    result, summary = _scan(path, ws, policy="block")
    assert result.status is StageStatus.COMPLETED and summary.decision == "deidentify_only"
    result, _ = _scan(path, ws, on_findings="fail")
    assert result.status is StageStatus.FAILED and "2 PHI finding(s)" in result.errors[0]


def test_clean_header_only_and_empty(tmp_path: Path, ws: Path) -> None:
    result, summary = _scan(write(tmp_path / "c.csv", "id,bp\n1,120/80\n2,E11.9\n"), ws)
    assert result.output["findings_total"] == 0 and summary.decision == "clear"
    result, _ = _scan(write(tmp_path / "h.csv", "id,notes\n"), ws)
    assert result.status is StageStatus.COMPLETED and result.output["findings_total"] == 0
    r = run(["upload", "phi_scan"], write(tmp_path / "e.csv", b""), ws, {"upload": {"allow_empty": True}})
    assert r.result("phi_scan").status is StageStatus.COMPLETED


def test_cp1252_and_semicolons_use_the_per_cell_path(tmp_path: Path, ws: Path) -> None:
    body = "id;name;notes\n1;Jos\u00e9;SSN 234-56-7890\n2;Ren\u00e9e;call 617-555-0143\n"
    result, summary = _scan(write(tmp_path / "s.csv", body, encoding="cp1252"), ws)
    assert result.status is StageStatus.COMPLETED, result.errors
    inp = result.output["inputs"]["dataset"]
    assert inp["scanner"] == "per_cell" and inp["by_category"].get("SSN") == 1
    rows = [f.row for f in read_findings(ws / summary.findings_path)]
    assert rows[0] == 1


def test_columns_filter_and_config_errors(tmp_path: Path, ws: Path) -> None:
    path = write(tmp_path / "a.csv", TEXT)
    result, _ = _scan(path, ws, columns=["id"])
    assert result.output["findings_total"] == 0
    result, _ = _scan(path, ws, columns=["nope"])
    assert result.status is StageStatus.FAILED and "no column 'nope'" in result.errors[0]
    result, _ = _scan(path, ws, inputs=["other"])
    assert result.status is StageStatus.FAILED


def test_jsonl_and_text_inputs(tmp_path: Path, ws: Path) -> None:
    lines = [json.dumps({"id": 1, "note": "SSN 234-56-7890"}), json.dumps({"id": 2, "note": "fine"})]
    result, _ = _scan(write(tmp_path / "a.jsonl", "\n".join(lines) + "\n"), ws)
    assert result.output["findings_total"] == 1
    result, _ = _scan(write(tmp_path / "a.txt", "first line\nreach me at jane.doe@example.org\n"), ws)
    assert result.output["inputs"]["dataset"]["by_category"] == {"EMAIL": 1}


def test_no_findings_file(tmp_path: Path, ws: Path) -> None:
    result, summary = _scan(write(tmp_path / "a.csv", TEXT), ws, findings_file=False)
    assert result.artifacts == () and summary.findings_path == ""
