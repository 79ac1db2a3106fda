"""A date column's cell that no date rule reads leaves no element of the date in the copy.

Exports write birth dates in forms the date rules cannot read whole: a two-digit year
(``06-FEB-63``, ``15/mar/27``), a weekday in front (``Wednesday, 8 April 1992``), words around the
date. Scrubbing such a cell left its remainder (``[PHI:DATE]-63``: a year that may say the person
is over 89; ``Wednesday, [PHI:DATE]``: another element of the date). The cell is replaced whole;
a cell of letters only in which nothing was found (``unknown``) stays as it is.
"""

from __future__ import annotations

import asyncio
import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.execution.executors.local import LocalExecutor
from stages.components import DeidentifiedDataset

MONTHS = ["JAN", "Feb", "mar", "APR", "May", "JUNE", "Jul", "AUG", "Sept", "oct", "NOV", "December"]
DAYS = ["Monday", "TUESDAY", "Wed", "Thursday", "fri", "Saturday", "Sun."]

two_digit_year = st.builds(lambda d, m, y, sep: f"{d:02d}{sep}{m}{sep}{y:02d}",
                           st.integers(1, 28), st.sampled_from(MONTHS), st.integers(0, 99), st.sampled_from("-/ "))
with_weekday = st.builds(lambda w, d, m, y, comma: f"{w}{comma} {d} {m} {y}",
                         st.sampled_from(DAYS), st.integers(1, 28), st.sampled_from(MONTHS), st.integers(1920, 2020),
                         st.sampled_from([",", ""]))  # fmt: skip
odd_date = st.one_of(two_digit_year, with_weekday)


def _deidentify(rows: list[list[str]]) -> list[list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)
        ws = Path(tmp) / "run"
        ws.mkdir()
        world = World()
        world.add("input:dataset", InputDataset("dataset", str(path), "auto"))
        context = StageContext(world=world, workspace=ws, mode="DEMO", policy={"phi_policy": "warn"}, approvals=(),
                               phi_key=b"k" * 32, executor=LocalExecutor())
        results = asyncio.run(run_stages(["upload", "deidentify"], context, configs={"deidentify": {}}))
        assert all(r.status is StageStatus.COMPLETED for r in results), [r.errors for r in results]
        deid = world.get("input:dataset", DeidentifiedDataset)
        assert deid is not None
        with (ws / deid.path).open(encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(odd_date, min_size=5, max_size=30))
def test_no_element_of_an_unreadable_birth_date_stays(values: list[str]) -> None:
    rows = [["record_id", "date_of_birth", "result"]]
    rows += [[str(i), v, f"{i}.5"] for i, v in enumerate(values, 1)]
    rows += [[str(len(values) + 1), "1950-03-04", "1.5"], [str(len(values) + 2), "unknown", "2.5"]]
    copy = _deidentify(rows)
    assert copy[0] == rows[0]
    born = [r[1] for r in copy[1:]]
    for original, written in zip(values, born, strict=False):
        if written == "90+" or (written.isdigit() and len(written) == 4):
            continue  # read as a date: its year (or 90+), as Safe Harbor allows
        assert not any(c.isdigit() for c in written), (original, written)
        words = {w.strip(",.").casefold() for w in original.split()}
        assert not words & {w.strip(",.").casefold() for w in written.split()}, (original, written)
    assert born[-1] == "unknown"
