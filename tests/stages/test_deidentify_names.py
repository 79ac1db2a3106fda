"""deidentify with issue-10 categories: name columns, addresses to ZIP3, ages in text, consistent pseudonyms."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.execution.executors.local import LocalExecutor
from stages.components import DeidentifiedDataset, PhiFindingsSummary
from tests.stages.conftest import write

ENTITY = "input:dataset"
ROWS = [
    ("S1", "Zyx Qwerty", "1420 Alder Creek Rd, Springfield, MA 02139", "Maria Gonzalez called; she is age 93."),
    ("S2", "Oyelaran Kwabena", "PO Box 44, Boston, MA 03601", "seen by Dr. Okafor, 95-year-old"),
    ("S3", "Maria Gonzalez", "12 Elm", "Patient: Maria Gonzalez, lives at 9 Oak Avenue"),
]


def _csv(tmp_path: Path, copies: int = 1) -> Path:
    lines = ["subject_id,patient_name,home_address,notes"]
    for _ in range(copies):
        lines.extend(",".join(f'"{c}"' for c in row) for row in ROWS)
    return write(tmp_path / "in.csv", "\n".join(lines) + "\n")


def _run(
    path: Path, ws: Path, config: dict[str, Any], partition_bytes: int | None = None
) -> tuple[Any, Any, list[dict[str, str]]]:
    world = World()
    world.add(ENTITY, InputDataset("dataset", str(path), "auto"))
    context = StageContext(
        world=world,
        workspace=ws,
        mode="DEMO",
        policy={"phi_policy": "warn"},
        approvals=(),
        phi_key=b"k" * 32,
        executor=LocalExecutor(partition_bytes=partition_bytes),
    )
    results = asyncio.run(run_stages(["upload", "phi_scan", "deidentify"], context, configs={"deidentify": config}))
    result = next(r for r in results if r.stage_key == "deidentify")
    deid = world.get(ENTITY, DeidentifiedDataset)
    rows: list[dict[str, str]] = []
    if deid is not None:
        with (ws / deid.path).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    return result, world.get(ENTITY, PhiFindingsSummary), rows


def test_name_and_address_columns(tmp_path: Path) -> None:
    ws = tmp_path / "run"
    ws.mkdir()
    result, summary, rows = _run(_csv(tmp_path), ws, {"identifiers": "pseudonym"})
    assert result.status is StageStatus.COMPLETED, result.errors
    assert summary.columns_classified["patient_name"] == "NAME"
    assert summary.columns_classified["home_address"] == "ADDRESS"
    actions = result.output["inputs"]["dataset"]["actions"]
    assert actions["patient_name"]["action"] == "pseudonym" and actions["home_address"]["action"] == "address"
    assert [r["home_address"] for r in rows] == ["021", "000", ""]
    # The same person gets the same pseudonym in the name column and in free text.
    maria = rows[2]["patient_name"]
    assert maria.startswith("NAME_") and maria in rows[0]["notes"] and maria in rows[2]["notes"]
    assert "90+" in rows[0]["notes"] and "90+" in rows[1]["notes"]
    text = (ws / "deidentified" / "dataset.csv").read_text() if (ws / "deidentified").exists() else ""
    data = text or "".join(",".join(r.values()) for r in rows)
    for value in ("Zyx", "Qwerty", "Oyelaran", "Gonzalez", "Okafor", "Alder", "Springfield", "02139", "Oak Avenue"):
        assert value not in data


def test_partitions_agree_on_pseudonyms(tmp_path: Path) -> None:
    path = _csv(tmp_path, copies=40)
    one, many = tmp_path / "one", tmp_path / "many"
    one.mkdir()
    many.mkdir()
    _, _, rows_one = _run(path, one, {"identifiers": "pseudonym"})
    result, _, rows_many = _run(path, many, {"identifiers": "pseudonym"}, partition_bytes=4096)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert rows_one == rows_many and len(rows_one) == 120


def test_override_none_keeps_a_column_out_of_whole_cell_treatment(tmp_path: Path) -> None:
    ws = tmp_path / "run"
    ws.mkdir()
    result, _, rows = _run(_csv(tmp_path), ws, {"phi_columns": {"patient_name": "none"}, "fail_on_residual": False})
    assert result.output["inputs"]["dataset"]["actions"]["patient_name"]["action"] == "scrub"
    assert rows[0]["patient_name"] == "Zyx Qwerty"  # the user said so; patterns still scrub known names
    assert rows[2]["patient_name"] == "[PHI:NAME]"


# Names and towns that no dictionary or gazetteer lists, each after a cue, in the free-text column.
FOREIGN_NOTES = [
    ("Seen by Dr. Nwachukwu; daughter Chidinma at bedside.", ["Nwachukwu", "Chidinma"]),
    ("NOK: OKONKWO, Adebayo. Lives in Bellwood Heights with her son.", ["OKONKWO", "Adebayo", "Bellwood"]),
    ("Spoke with Herr Wiśniewski, moved to Okemah, OK 74859 last year.", ["Wiśniewski", "Okemah", "74859"]),
    ('Mrs. Takahashi ("Yuzu") called from Kwabenaville; referred by Cook County clinic.',
     ["Takahashi", "Yuzu", "Kwabenaville", "Cook County"]),
    ("Accompanied by husband Tariq al-Hashimi. Parkinson disease, Apgar 9, started Lasix.", ["Tariq", "Hashimi"]),
]


def test_names_and_places_after_cues_leave_the_free_text(tmp_path: Path) -> None:
    lines = ["subject_id,notes"] + [f'S{i},"{note}"' for i, (note, _) in enumerate(FOREIGN_NOTES)]
    path = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    ws = tmp_path / "run"
    ws.mkdir()
    result, _, _rows = _run(path, ws, {"identifiers": "pseudonym"})
    assert result.status is StageStatus.COMPLETED, result.errors
    assert result.output["inputs"]["dataset"]["rescan"]["residual_findings"] == 0
    data = (ws / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for _, values in FOREIGN_NOTES:
        for value in values:
            assert value not in data, value
    # Hard negatives stay: eponyms and drug names are clinical content.
    assert "Parkinson disease" in data and "Apgar 9" in data and "Lasix" in data
