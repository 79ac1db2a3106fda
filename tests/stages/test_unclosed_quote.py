"""An unclosed quote that swallows the rest of a CSV file is reported with its row and line,
whatever the table; a closed quoted field that spans lines is not."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import StageStatus
from stages.tabular import TableReader, TabularError, sniff
from tests.stages.conftest import run, write

CELL = st.text(alphabet="abcdefgh 0123456789\n,", min_size=0, max_size=12)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _read(path: Path) -> list[list[str]]:
    with TableReader(path, sniff(path, declared="csv", encoding="utf-8", delimiter=",")) as reader:
        return list(reader)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), width=st.integers(2, 4), height=st.integers(2, 12))
def test_an_unclosed_quote_names_its_row_and_line(tmp_path_factory, data, width: int, height: int) -> None:
    header = [f"c{i}" for i in range(width)]
    rows = [[data.draw(CELL) for _ in range(width)] for _ in range(height)]
    bad = data.draw(st.integers(0, height - 2))  # at least one line follows it
    text = _csv([header, *rows[:bad]])
    first_line = text.count("\n") + 1
    tail = "\n".join(",".join(f"r{r}c{c}" for c in range(width)) for r in range(bad + 1, height)) + "\n"
    text += 'x,"an open quote\n' + tail
    path = tmp_path_factory.mktemp("q") / "q.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TabularError) as caught:
        _read(path)
    message = str(caught.value)
    assert f"unclosed quote in data row {bad + 1} (line {first_line})" in message
    assert "an open quote" not in message  # positions only, never the cell


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=10))
def test_closed_quoted_fields_that_span_lines_read_as_written(tmp_path_factory, rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(r)] or [["a", "b\nc", "d"]]
    path = tmp_path_factory.mktemp("ok") / "ok.csv"
    path.write_text(_csv([["x", "y", "z"], *rows]), encoding="utf-8")
    assert _read(path) == rows


def test_upload_fails_on_it_with_one_line_not_a_ragged_row(tmp_path: Path, ws: Path) -> None:
    body = "id,name,notes\n1,a,ok\n2,b,\"starts here\n3,c,ok\n4,d,ok\n"
    r = run(["upload"], write(tmp_path / "q.csv", body), ws, {"upload": {}})
    result = r.result("upload")
    assert result.status is StageStatus.FAILED and result.unusable_input
    assert result.errors == ("input 'dataset': an unclosed quote in data row 2 (line 3) runs to the end of the "
                             "file, so every line after it was read as part of one field; close the quote or "
                             "remove it",)
    assert not any("ragged" in w for w in result.warnings)
