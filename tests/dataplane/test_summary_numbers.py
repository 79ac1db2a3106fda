"""summary's numbers in Polars are the row path's: the same cells, the same values.

The columnar summary takes a cell as a number when Polars' cast to Float64 gives a finite value (and
the cell is not a code); the row path when the cell matches its number pattern and ``float`` gives a
finite value. The columnar side no longer runs the pattern, so the cast must accept no finite
number the pattern rejects: this holds the two to each other on cells built from every character
either could read as part of a number (signs, points, exponents, ``inf``/``nan`` spellings, other
digits and spaces, separators), so a Polars release that reads more would fail here.
"""

from __future__ import annotations

import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from stages.columnar.summary import number_candidate
from stages.dictionary import parse_number

PIECES = [*"0123456789", "+", "-", ".", "e", "E", "inf", "Inf", "INFINITY", "nan", "NaN", "_", ",", "x", "d",
          "f", "0x", "1e400", "\u0663", "\uff11", "\u00b2", "\u00a0", " ", "\t", "'"]  # fmt: skip
cell = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


def row_number(value: str) -> float | None:
    """The row path's number of a stripped cell (``stages.stage_20_summary.ColumnStats.add``)."""
    if len(value) > 1 and value[0] == "0" and value[1] != ".":
        return None
    number = parse_number(value)
    return number if number is not None and math.isfinite(number) else None


def columnar_numbers(values: list[str]) -> list[float | None]:
    frame = pl.DataFrame({"s": pl.Series("s", values, dtype=pl.String)})
    return frame.select(number_candidate(pl.col("s"))).to_series().to_list()


@settings(max_examples=400, deadline=None)
@given(values=st.lists(cell, min_size=1, max_size=50))
def test_the_cast_takes_exactly_the_row_paths_numbers(values: list[str]) -> None:
    values = [v.strip() for v in values]
    assert columnar_numbers(values) == [row_number(v) for v in values]


def test_the_spellings_the_cast_alone_would_take_are_not_numbers() -> None:
    values = ["inf", "-Infinity", "NaN", "1e400", "5", "-.5e-3", "1.", "0.5", "007", "+3", "1_0", "\u0663", ""]
    assert columnar_numbers(values) == [None, None, None, None, 5.0, -0.0005, 1.0, 0.5, None, 3.0, None, None, None]
    assert columnar_numbers(values) == [row_number(v) for v in values]
