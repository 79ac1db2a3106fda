"""The bundled study exported as each typed format gives the same step outputs (counts) as its CSV.

Each file is written during the test by the library a user's tools use (see writers.py), with typed
columns; upload, schema_check, validate and phi_scan then run on it and on the CSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import StageStatus, bundled_path
from stages.components import DatasetProfile
from stages.dictionary import load_dictionary
from tests.dataplane.writers import WRITABLE, typed_columns, write_as
from tests.stages.conftest import run

DICT = "bundled:demo_dictionary.yaml"
KEYS = ["upload", "schema_check", "validate", "phi_scan"]
CONFIGS = {"schema_check": {"dictionary": DICT, "on_errors": "report"}, "validate": {"dictionary": DICT}}


def _outputs(path: Path, ws: Path) -> dict[str, Any]:
    result = run(KEYS, path, ws, CONFIGS)
    for r in result.results:
        assert r.status is StageStatus.COMPLETED, (r.stage_key, r.errors)
    profile = result.component("input:dataset", DatasetProfile)
    return {"profile": (profile.rows, profile.columns, profile.ragged_rows),
            **{key: result.result(key).output for key in KEYS[1:]}}


@pytest.fixture(scope="module")
def csv_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _outputs(bundled_path("demo_study.csv"), tmp_path_factory.mktemp("csv"))


@pytest.fixture(scope="module")
def columns() -> dict[str, list[Any]]:
    return typed_columns(bundled_path("demo_study.csv"), load_dictionary(DICT))


@pytest.mark.parametrize("fmt", WRITABLE)
def test_typed_export_counts_as_its_csv(fmt: str, csv_outputs: dict[str, Any], columns: dict[str, list[Any]],
                                        tmp_path: Path) -> None:
    path = write_as(columns, fmt, tmp_path / f"demo_study.{fmt}")
    ws = tmp_path / "run"
    ws.mkdir()
    got = _outputs(path, ws)
    assert got["profile"] == csv_outputs["profile"]
    assert got["schema_check"]["inputs"] == csv_outputs["schema_check"]["inputs"]
    assert got["validate"]["inputs"] == csv_outputs["validate"]["inputs"]
    # The CSV is scanned by the byte scanner, a typed file cell by cell: the same identifiers by category.
    scanned, expected = got["phi_scan"]["inputs"]["dataset"], csv_outputs["phi_scan"]["inputs"]["dataset"]
    # A workbook's properties hold its created/modified dates: metadata findings, counted apart.
    in_metadata = scanned["by_column"].pop("<metadata>", 0)
    assert scanned["by_column"] == expected["by_column"]
    assert scanned["findings_total"] - in_metadata == expected["findings_total"]
    if not in_metadata:
        assert scanned["by_category"] == expected["by_category"]
