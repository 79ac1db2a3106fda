"""phi_scan on a file read as headerless: the streaming scanner, under the generated names.

Findings of such a file carry byte offsets and data-row numbers as those of a file with a header
do (the first line is row 1, not a header line), so the planted bytes can be found from them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi.scan.findings_file import read_findings
from stages.components import DatasetProfile, PhiFindingsSummary
from tests.stages.conftest import run

ENTITY = "input:dataset"


@st.composite
def headerless_rows(draw: st.DrawFn) -> tuple[list[list[str]], int]:
    """Rows of numbers with an SSN in one column of every row (the first row is data too)."""
    width = draw(st.integers(2, 5))
    at = draw(st.integers(0, width - 1))
    rows = []
    for _ in range(draw(st.integers(2, 30))):
        row = [str(draw(st.integers(0, 999))) for _ in range(width)]
        row[at] = f"{draw(st.integers(100, 665))}-{draw(st.integers(10, 99))}-{draw(st.integers(1000, 9999))}"
        rows.append(row)
    return rows, at


@settings(max_examples=25, deadline=None)
@given(case=headerless_rows())
def test_findings_of_a_headerless_file_point_at_the_planted_bytes(case: tuple[list[list[str]], int]) -> None:
    rows, at = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        raw = "".join(",".join(r) + "\n" for r in rows).encode("utf-8")
        path.write_bytes(raw)
        ws = Path(tmp) / "run"
        ws.mkdir()
        r = run(["upload", "phi_scan"], path, ws, {"phi_scan": {}})
        profile = r.component(ENTITY, DatasetProfile)
        summary = r.component(ENTITY, PhiFindingsSummary)
        findings = [f._asdict() for f in read_findings(ws / summary.findings_path)]
    assert profile is not None and not profile.has_header
    ssn = [f for f in findings if f["category"] == "SSN"]
    assert [f["row"] for f in ssn] == list(range(1, len(rows) + 1))
    assert all(f["column"] == profile.columns[at] for f in ssn)
    for f, row in zip(ssn, rows, strict=True):
        assert raw[f["offset"]:f["offset"] + f["length"]].decode() == row[at]
