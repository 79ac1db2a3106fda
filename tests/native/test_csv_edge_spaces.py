"""The core's block check names exactly the columns that stripping changes (its spaced columns).

The columnar stages strip only the columns the core's block check names for a block
(``Counted.spaced``, then ``source.Batch.spaced``), so a column it missed would be checked
unstripped. Blocks are written by Python's ``csv`` module from cells that start or end with every
character ``str.isspace`` accepts (and some it does not: zero-width space, BOM, letters whose UTF-8
ends in the same bytes as a space's), quoted or not, with ``\\n`` or ``\\r\\n``; each is parsed as the
stages parse it and compared with the truth.
"""

from __future__ import annotations

import csv
import io
import os

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native_block_check
from engine.phi import native
from stages.columnar import cells
from stages.columnar.csvchunks import check_block, parse

pytestmark = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)

SPACES = [c for c in map(chr, range(0x3001)) if c.isspace()]
EDGES = [*SPACES, "\u200b", "\ufeff", "\u00e0", "\u00e9", "\u0101", "\u2020", "\u3001", "a", '"', ",", ";"]
cell = st.tuples(st.sampled_from(["", *EDGES]), st.sampled_from(["", "x", "a b", "7", '"q"', "\n"]),
                 st.sampled_from(["", *EDGES])).map("".join)


def test_the_spaces_are_pythons() -> None:
    assert "".join(SPACES) == cells.PY_WHITESPACE


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]), ending=st.sampled_from(["\n", "\r\n"]),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
def test_a_column_not_named_is_unchanged_by_stripping(rows: list[list[str]], delimiter: str, ending: str,
                                                      quoting: int) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=ending, quoting=quoting).writerows(rows)
    data = out.getvalue().encode()
    try:
        block = check_block(data, delimiter.encode(), 3)
    except Exception:
        return  # a block the stages would not read with Polars (a lone \r, a blank line): never asked
    assert block.counted is not None, "the core did not check the block: a stale build"
    frame = parse(block.data, ["c0", "c1", "c2"], delimiter, block.quoted)
    for i in range(3):
        column = frame.get_column(f"c{i}")
        changed = bool((cells.strip(column) != column).any())
        assert (i in block.counted.spaced) == changed, (i, column.to_list())


def test_a_rejected_block_names_no_column() -> None:
    check = native_block_check()
    assert check is not None
    assert check(b"a,b,c\n", ord(","), 2) == ("a ragged record", False, 0, 0, [])
    assert check(b"a, b\r\n\" c\",d\n", ord(","), 2)[4] == [0, 1]
    assert check(b"a,b\r\n", ord(","), 2)[4] == []


def test_stripped_strips_only_the_named_columns_and_the_reference_strips_all(
        monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pl.DataFrame({"c0": ["a", " b"], "c1": ["x", "y"]})
    assert frame.select(cells.stripped(0, frozenset({0}))).to_series().to_list() == ["a", "b"]
    assert frame.select(cells.stripped(0, frozenset())).to_series().to_list() == ["a", " b"]
    assert frame.select(cells.stripped(0, None)).to_series().to_list() == ["a", "b"]
    monkeypatch.setenv("RFLOW_DATAPLANE_CORE", "0")
    assert native_block_check() is None
