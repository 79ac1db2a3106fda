"""The scan's row and field splitters read CSV/TSV as Python's ``csv`` module does.

A quote opens a quoted field only at a field start; one inside an unquoted field (``5'10"``) is a
plain character. Generated text mixes stray quotes, quoted fields with doubled quotes, delimiters
and newlines inside, CRLF and LF, for both delimiters. The oracle is ``csv.reader`` itself: the
whole text's records against each row span read alone, and each field span read alone.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.csvrows import complete_row_ends
from engine.phi.scan.rows import field_starts, first_boundary, last_boundary, row_ends, unclosed_quote


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@st.composite
def csv_texts(draw: Any) -> tuple[str, str]:
    delim = draw(st.sampled_from([",", "\t"]))
    inner = st.lists(st.sampled_from(["a", "5", " ", "é", delim, '"', "\n", "\r\n", "'", ",", "\t"]), max_size=6)
    plain = st.lists(st.sampled_from(["a", "5", " ", "é", '"', "'", "10\"", "x\"y"]), max_size=4).map("".join)
    quoted = inner.map("".join).map(_quote)
    after = st.tuples(quoted, plain).map("".join)  # text after the closing quote stays in the field
    field = st.one_of(plain, quoted, after)
    rows = st.lists(st.lists(field, min_size=1, max_size=5).map(delim.join), max_size=8)
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    text = eol.join(draw(rows)) + draw(st.sampled_from(["", eol]))
    soup = st.lists(st.sampled_from(["a", delim, '"', '""', "\n", "\r\n", " ", "5"]), max_size=40).map("".join)
    return delim, draw(st.one_of(st.just(text), soup))


def _read(text: str, delim: str) -> list[list[str]]:
    return [row or [""] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delim)]


def _field(text: str, delim: str) -> str:
    rows = _read(text, delim)
    assert len(rows) <= 1, text
    return rows[0][0] if rows else ""


def _split(data: bytes, delim: str) -> list[list[str]]:
    d = delim.encode()
    rows = []
    start = 0
    complete = set(complete_row_ends(data, d))  # a row left in an open quote keeps its last newline
    for end in row_ends(data, d):
        starts = field_starts(data, start, end, d)
        body_end = end - (end in complete)
        body_end -= data[body_end - 1 : body_end] == b"\r" and body_end < end
        bounds = [*(s - 1 for s in starts[1:]), body_end]
        rows.append([_field(data[s:e].decode(), delim) for s, e in zip(starts, bounds, strict=True)])
        start = end
    return rows


@settings(max_examples=500, deadline=None)
@given(csv_texts())
def test_rows_and_fields_are_the_csv_modules(case: tuple[str, str]) -> None:
    delim, text = case
    data = text.encode()
    assert _split(data, delim) == _read(text, delim)


@settings(max_examples=300, deadline=None)
@given(csv_texts())
def test_chunk_boundaries_are_row_ends(case: tuple[str, str]) -> None:
    delim, text = case
    data, d = text.encode(), delim.encode()
    ends = complete_row_ends(data, d)
    assert last_boundary(data, d) == (ends[-1] if ends else 0)
    assert first_boundary(data, d) == (ends[0] if ends else 0)
    full = row_ends(data, d)
    for k, end in enumerate(full[:-1]):
        # a chunk cut at a row end reads the same rows as the whole
        assert [end + e for e in row_ends(data[end:], d)] == full[k + 1 :]


@settings(max_examples=300, deadline=None)
@given(csv_texts())
def test_an_open_quote_is_found_where_csv_reads_to_the_end(case: tuple[str, str]) -> None:
    delim, text = case
    # A quoted field left open takes a line added after the text; otherwise that line is a row.
    runs_on = _read(text + "\nEND", delim)[-1] != ["END"]
    assert (unclosed_quote(text.encode(), 0, len(text.encode()), delim.encode()) >= 0) == runs_on


def test_the_reported_cases() -> None:
    data = b'1,5",18815984\n2,ok,28815985\n3,ok,38815986\n'
    assert row_ends(data, b",") == [14, 28, 42]
    assert field_starts(data, 0, 14, b",") == [0, 2, 5]
    assert row_ends(b"1\t5'10\"\ta@b.org\n2\tx\tc@d.org\n", b"\t") == [16, 28]
    assert unclosed_quote(b'1,"123-45-6789,a@b.com\n2,x,y\n', 0, 29, b",") == 2
