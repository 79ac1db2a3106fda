"""summary on wide frames: the long-form pass gives what the per-column query and the row path give.

A batch of many columns is summarized in long form (one group-by) instead of one query with several
expressions per column. These tests run the long form on narrow files too (the threshold lowered),
over many batches and past the quantile reservoir, and a file wider than the threshold as it is, and
require the same statistics as the per-column query and as the row-by-row reference.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stages.columnar import csvchunks
from stages.columnar import summary as columnar_summary
from stages.stage_20_summary import RESERVOIR, SummaryConfig, column_statistics
from tests.dataplane.test_upload_summary_differential import _close

CELLS = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats(-1e6, 1e6).map(lambda x: f"{x:.3f}"),
                  st.sampled_from(["", " ", "007", "0.5", " 12 ", "inf", "NaN", "1e3", "-0", "A", "b", "Zoë",
                                   "\u00a03"]),
                  st.text(max_size=6))


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([f"col{i}" for i in range(len(rows[0]))])
        writer.writerows(rows)


def _both(path: Path, config: SummaryConfig, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """``(per-column query, long form)`` statistics of ``path``."""
    monkeypatch.setattr(columnar_summary, "WIDE_COLUMNS", 10**9)
    per_column = column_statistics(path, config)
    monkeypatch.setattr(columnar_summary, "WIDE_COLUMNS", 1)
    return per_column, column_statistics(path, config)


@given(table=st.integers(1, 6).flatmap(lambda width: st.lists(st.lists(CELLS, min_size=width, max_size=width),
                                                               min_size=1, max_size=40)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(table=[["0"], ["15"], ["1.891"], ["1.438"]])  # mean 4.58225: a rounding tie the sums' order decides
def test_long_form_equals_the_row_path_on_generated_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          table: list[list[str]]) -> None:
    path = tmp_path / "copy.csv"
    table = [[cell.replace("\r", " ").replace("\x00", " ") for cell in row] for row in table]
    _write(path, table)
    config = SummaryConfig(min_cell_count=2)
    reference = column_statistics(path, config, engine="rows")
    per_column, long_form = _both(path, config, monkeypatch)
    # mean and sd: sums in another order (per batch and merged, or Welford's), equal to the last bits of a
    # double, so a rounded figure may differ by one in its last digit at a rounding tie (4.58225)
    assert _close(long_form, per_column), (long_form, per_column)
    assert _close(long_form, reference), (long_form, reference)


def test_long_form_over_many_batches_and_past_the_reservoir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvchunks, "BLOCK_BYTES", 64 * 1024)  # many batches
    rng = random.Random(7)
    rows = [[str(rng.randint(0, 10**6)), f"{rng.gauss(50, 9):.3f}", rng.choice(["A", "B", "C", ""]),
             rng.choice(["007", "12", " 4 ", "x"])] for _ in range(RESERVOIR + 5_000)]
    path = tmp_path / "copy.csv"
    _write(path, rows)
    per_column, long_form = _both(path, SummaryConfig(), monkeypatch)
    assert long_form == per_column
    assert long_form[1]["col1"]["kind"] == "numeric"  # the numbers' figures were compared, not only counts


def test_a_file_wider_than_the_threshold_matches_the_row_path(tmp_path: Path) -> None:
    rng = random.Random(11)
    width = columnar_summary.WIDE_COLUMNS + 44
    rows = [[rng.choice((str(rng.randint(0, 99)), f"{rng.random():.2f}", "", "n/a", "0042", "ok"))
             for _ in range(width)] for _ in range(30)]
    path = tmp_path / "wide.csv"
    _write(path, rows)
    config = SummaryConfig(min_cell_count=2)
    assert _close(column_statistics(path, config), column_statistics(path, config, engine="rows"))
