"""Metadata inside typed files is scanned for PHI, and none of it reaches the de-identified copy.

Each file is written during the test with the metadata its format can carry: SPSS/Stata file,
variable and value labels and notes, Parquet key-value metadata, Excel comments, document
properties and a hidden sheet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import StageStatus
from engine.dataplane.metadata import metadata_texts
from stages.components import DeidentifiedDataset
from tests.stages.conftest import run

SSN, PHONE, NAME = "123-45-6789", "(617) 555-0142", "Margaret Hollingsworth"


def _spss(path: Path) -> Path:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"visit": [1.0, 2.0], "score": [3.5, 4.0]})
    pyreadstat.write_sav(frame, str(path), file_label=f"cohort of {NAME}", note=f"call {PHONE}",
                         column_labels={"visit": f"SSN {SSN}", "score": "score"},
                         variable_value_labels={"visit": {1.0: NAME, 2.0: "second"}})
    return path


def _stata(path: Path) -> Path:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame({"visit": [1, 2], "score": [3.5, 4.0]})
    pyreadstat.write_dta(frame, str(path), column_labels={"visit": f"SSN {SSN}", "score": "score"},
                         variable_value_labels={"visit": {1: NAME}})
    return path


def _parquet(path: Path) -> Path:
    import polars as pl

    pl.DataFrame({"visit": [1, 2], "score": [3.5, 4.0]}).write_parquet(
        path, metadata={"exported_by": f"SSN {SSN}, phone {PHONE}"})
    return path


def _excel(path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.comments import Comment

    book = Workbook()
    sheet = book.active
    sheet.title = "visits"
    sheet.append(["visit", "score"])
    sheet.append([1, 3.5])
    sheet.append([2, 4.0])
    sheet["B2"].comment = Comment(f"SSN {SSN}", "reviewer")
    hidden = book.create_sheet("contacts")
    hidden.append(["phone"])
    hidden.append([PHONE])
    hidden.sheet_state = "hidden"
    book.properties.creator = NAME
    book.save(path)
    return path


WRITERS = {"sav": _spss, "dta": _stata, "parquet": _parquet, "xlsx": _excel}


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_metadata_is_scanned_and_left_out_of_the_copy(fmt: str, tmp_path: Path) -> None:
    path = WRITERS[fmt](tmp_path / f"study.{fmt}")
    texts = " ".join(text for _, text in metadata_texts(path, fmt))
    assert SSN in texts or PHONE in texts
    ws = tmp_path / "run"
    ws.mkdir()
    result = run(["upload", "phi_scan", "deidentify"], path, ws)
    for r in result.results:
        assert r.status is StageStatus.COMPLETED, (r.stage_key, r.errors)
    scanned = result.result("phi_scan").output["inputs"]["dataset"]
    assert scanned["by_column"].get("<metadata>", 0) >= 1
    assert "<metadata>" not in scanned["columns_flagged"]
    copy_path = ws / result.component("input:dataset", DeidentifiedDataset).path
    if fmt == "parquet":  # a Parquet copy: its cells, its key-value metadata and its raw bytes
        import polars as pl

        assert copy_path.suffix == ".parquet"
        copy = (pl.read_parquet(copy_path).write_csv() + repr(pl.read_parquet_metadata(copy_path))
                + copy_path.read_bytes().decode("latin-1"))
    else:
        copy = copy_path.read_text(encoding="utf-8")
    assert copy.splitlines()[0] == "visit,score"
    for planted in (SSN, PHONE, NAME, "contacts", "reviewer"):
        assert planted not in copy
