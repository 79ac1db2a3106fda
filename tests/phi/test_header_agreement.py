"""A header that names a category by itself (``name``, ``Name``, ``naam``, ``nom``, ``nombre``,
``patient``) makes the column that category in ``phi_scan`` as it does in ``deidentify``: one rule,
the registry's ``context.headers`` and column words, however few and short the cells.

Checked where a user meets it: ``rflow phi scan`` in a subprocess on both regex paths, the
classification both stages compute, and a DEMO run whose copy keeps none of the cells.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.phi import load_registry
from engine.phi.columns import classify_column as phi_classify
from stages.stage_06_deidentify import DeidentifyConfig
from stages.stage_06_deidentify import classify_column as deid_classify
from tests.phi.unseen_support import scan_cli_both

ROOT = Path(__file__).resolve().parents[2]
SHORT = ["Ann", "Bo"]
HEADERS = ["name", "Name", "NAME", "naam", "nom", "nombre", "Patient", "patient name", "Nachname"]


def _table(tmp_path: Path, header: str, cells: list[str]) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(f"id,{header}\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells, 1)), encoding="utf-8")
    return path


@pytest.mark.parametrize("header", HEADERS)
def test_a_name_header_over_two_short_cells_is_a_name_column_in_the_cli(tmp_path: Path, header: str) -> None:
    found = scan_cli_both(_table(tmp_path, header, SHORT), "header-agreement-key-0123", "--limit", "0")
    assert sorted((f["row"], f["column"], f["category"]) for f in found) == [(1, header, "NAME"), (2, header, "NAME")]


def _every_header() -> list[tuple[str, str]]:
    reg = load_registry()
    return [(h, c.name) for c in reg.categories for h in c.headers]


@pytest.mark.parametrize(("header", "category"), _every_header())
@pytest.mark.parametrize("cells", [SHORT, ["x"], []])
def test_phi_scan_and_deidentify_read_a_header_alike(header: str, category: str, cells: list[str]) -> None:
    # every header the registry lists whole, with cells too few or too short to tell anything
    scanned = phi_classify(header, cells)
    _action, kind, evidence = deid_classify(header, DeidentifyConfig(), None, cells)
    assert (scanned.category, scanned.evidence) == (category, "header")
    assert (kind, evidence) == (category, "header")
    # written as exports write it (capitals, camel case, spaces) it is the same column
    for form in (header.upper(), header.replace("_", " ").title(), header.title().replace("_", "")):
        assert phi_classify(form, cells).category == deid_classify(form, DeidentifyConfig(), None, cells)[1], form


def test_a_name_column_of_two_rows_leaves_the_demo_run_pseudonymized(tmp_path: Path) -> None:
    from engine.orchestrate import run_manifest

    data = tmp_path / "export.csv"
    data.write_text("subject_id,name,note\nP-0001,Ann,ok\nP-0002,Bo,ok\n", encoding="utf-8")
    report = run_manifest(ROOT / "manifests/demo.yaml", inputs={"dataset": str(data)}, out_dir=tmp_path / "run")
    assert report.status == "completed", [s.status for s in report.steps]
    steps = {s.step_id: s for s in report.steps}
    scanned = steps["phi_scan"].output["inputs"]["dataset"]["columns_classified"]
    classified = {c["column"]: c["category"] for c in scanned}
    assert classified.get("name") == "NAME"
    actions = steps["deidentify"].output["inputs"]["dataset"]["actions"]
    assert actions["name"]["kind"] == "NAME"
    rows = (tmp_path / "run" / "deidentified" / "dataset.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[1] for r in rows] != SHORT and not any(",Ann," in r or ",Bo," in r for r in rows)
