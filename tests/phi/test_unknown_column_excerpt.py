"""An unknown column named in a stage's settings is shown sanitized, then cut: no part of PHI in it shows.

The column name is user-typed and may hold PHI (a name pasted from the data, an SSN). The error
cuts it to 40 characters; an identifier straddling the cut must be gone, not halved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stages  # noqa: F401 - registers the built-in stages
from engine.testing import run_stages


@pytest.mark.parametrize(("stage", "setting"), [("deidentify", "columns"), ("deidentify", "phi_columns"),
                                                ("phi_scan", "columns"), ("phi_scan", "phi_columns")])
@settings(max_examples=8, deadline=None)
@given(pad=st.integers(20, 45), area=st.integers(101, 665), group=st.integers(10, 99), serial=st.integers(1000, 9999))
def test_an_unknown_column_with_an_ssn_is_never_shown_in_part(stage: str, setting: str, pad: int, area: int,
                                                              group: int, serial: int) -> None:
    ssn = f"{area}-{group}-{serial}"
    column = "q" * pad + " " + ssn
    config: object = {column: "keep" if setting == "columns" else "SSN"}
    if stage == "phi_scan" and setting == "columns":
        config = [column]
    with tempfile.TemporaryDirectory() as tmp:
        src, ws = Path(tmp) / "a.csv", Path(tmp) / "run"
        ws.mkdir()
        src.write_text("id,x\n1,2\n", encoding="utf-8")
        r = run_stages(["upload", stage], src, ws, {stage: {setting: config}})
    result = r.result(stage)
    shown = " ".join([*result.errors, *result.warnings])
    assert result.status.value == "failed", (result.status, shown)
    assert "no column" in shown, shown
    assert str(area) not in shown and f"{group}-" not in shown, shown
