"""summary reads the de-identified copy once: Polars' reader checks its blocks as it parses them.

No stage has checked the copy's quoting, so summary assumes Polars reads it as the row reader
would and falls back to the row reader when a block says otherwise. These tests damage a copy in
its first block, in a later block (after batches were already counted) and not at all, and
require the statistics of the row-by-row reference every time, without a checking pass beforehand.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stages.columnar import csvchunks
from stages.stage_20_summary import SummaryConfig, column_statistics
from stages.tabular import TabularError
from tests.dataplane.test_upload_summary_differential import DAMAGE, _close

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _copy(path: Path, rows: int, damage: bytes | None, at: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["n", "x", "g"])
        writer.writerows([[str(i), f"{(i * 37) % 101}.5", "AB"[i % 2]] for i in range(rows)])
    if damage is not None:
        lines = path.read_bytes().split(b"\n")
        lines.insert(1 + at, damage)
        path.write_bytes(b"\n".join(lines))


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 4 KiB, so a copy of a few hundred rows spans many of them."""
    monkeypatch.setattr(csvchunks, "BLOCK_BYTES", 4096)


@pytest.fixture
def no_checking_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> bool:
        raise AssertionError("the copy was read once more only to check it")

    monkeypatch.setattr(csvchunks, "faithful", refuse)


@given(rows=st.integers(50, 900), damage=st.sampled_from([None, *DAMAGE]), where=st.floats(0, 1))
@SETTINGS
def test_the_copy_is_summarised_as_the_row_reader_reads_it(tmp_path: Path, small_blocks: None, no_checking_pass: None,
                                                            rows: int, damage: bytes | None, where: float) -> None:
    path = tmp_path / "copy.csv"
    _copy(path, rows, damage, int(where * rows))
    config = SummaryConfig(min_cell_count=3)
    try:
        reference = column_statistics(path, config, engine="rows")
    except TabularError as error:  # a copy the row reader refuses (not UTF-8, a quote left open)
        with pytest.raises(TabularError) as refused:
            column_statistics(path, config, engine="columns")
        assert str(refused.value) == str(error)
        return
    columns = column_statistics(path, config, engine="columns")
    assert reference[0] == columns[0] and _close(reference[1], columns[1]), (reference, columns)


def test_damage_after_the_first_blocks_still_gives_the_reference(tmp_path: Path, small_blocks: None,
                                                                 no_checking_pass: None) -> None:
    path = tmp_path / "copy.csv"
    _copy(path, 2000, b'"ab"c,1,2', 1900)
    assert path.stat().st_size > 5 * csvchunks.BLOCK_BYTES
    config = SummaryConfig(min_cell_count=3)
    reference = column_statistics(path, config, engine="rows")
    columns = column_statistics(path, config, engine="columns")
    assert reference[0] == columns[0] == 2001 and _close(reference[1], columns[1])
