"""The scan's row and field splitters read CSV/TSV as Python's ``csv`` module does.

A quote opens a quoted field only at a field start; one inside an unquoted field (``5'10"``) is a
plain character. Generated text mixes stray quotes, quoted fields with doubled quotes, delimiters
and newlines inside, rows ended by CRLF, LF and a lone CR in one text, for both delimiters. The
oracle is ``csv.reader`` itself (on a file opened with ``newline=""``, where a lone CR ends a row
too): the whole text's records against each row span read alone, each field span read alone, and
where the reader ends each row; a block cut anywhere (right after a CR above all) gives only the
row ends nothing after the cut can move.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.csvrows import complete_row_ends
from engine.phi.scan.chunks import iter_chunks
from engine.phi.scan.rows import field_starts, first_boundary, last_boundary, row_ends, unclosed_quote
from tests.phi.csv_oracle import certain_ends, csv_row_ends


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@st.composite
def csv_texts(draw: Any) -> tuple[str, str]:
    delim = draw(st.sampled_from([",", "\t"]))
    inner = st.lists(st.sampled_from(["a", "5", " ", "é", delim, '"', "\n", "\r\n", "\r", "'", ",", "\t"]), max_size=6)
    plain = st.lists(st.sampled_from(["a", "5", " ", "é", '"', "'", "10\"", "x\"y"]), max_size=4).map("".join)
    quoted = inner.map("".join).map(_quote)
    after = st.tuples(quoted, plain).map("".join)  # text after the closing quote stays in the field
    field = st.one_of(plain, quoted, after)
    eol = st.sampled_from(["\n", "\r\n", "\r"])
    row = st.tuples(st.lists(field, min_size=1, max_size=5).map(delim.join), eol).map("".join)
    text = "".join(draw(st.lists(row, max_size=8)))
    if text and draw(st.booleans()):
        text = text[: -2 if text.endswith("\r\n") else -1]  # the last row unterminated
    soup = st.lists(st.sampled_from(["a", delim, '"', '""', "\n", "\r\n", "\r", " ", "5"]), max_size=40).map("".join)
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


@settings(max_examples=500, deadline=None)
@given(csv_texts())
def test_row_ends_are_where_the_csv_reader_ends_each_row(case: tuple[str, str]) -> None:
    delim, text = case
    data = text.encode()
    assert row_ends(data, delim.encode()) == csv_row_ends(data, delim)


@settings(max_examples=300, deadline=None)
@given(csv_texts(), st.data())
def test_a_block_cut_anywhere_ends_only_where_nothing_after_it_moves_the_end(case: tuple[str, str], data: Any) -> None:
    delim, text = case
    whole, d = text.encode(), delim.encode()
    if len(whole) < 2:
        return
    after_cr = [k for k in range(1, len(whole)) if whole[k - 1 : k] == b"\r"]
    cuts = st.sampled_from(after_cr) if after_cr and data.draw(st.booleans()) else st.integers(1, len(whole) - 1)
    k = data.draw(cuts)
    block = whole[:k]
    certain = certain_ends(whole, delim, k)
    assert complete_row_ends(block, d) == certain
    assert last_boundary(block, d) == (certain[-1] if certain else 0)
    assert first_boundary(block, d) == (certain[0] if certain else 0)


@settings(max_examples=200, deadline=None)
@given(csv_texts(), st.integers(1, 12))
def test_chunks_of_whole_rows_read_the_rows_of_the_whole(case: tuple[str, str], chunk_size: int) -> None:
    delim, text = case
    whole, d = text.encode(), delim.encode()
    if unclosed_quote(whole, 0, len(whole), d) >= 0:
        return  # refused (tests below)
    ends = []
    with io.BufferedReader(io.BytesIO(whole)) as fh:
        for offset, chunk in iter_chunks(fh, 0, len(whole), chunk_size, d):
            ends.extend(offset + e for e in row_ends(chunk, d))
    assert ends == csv_row_ends(whole, delim)


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


def test_a_lone_cr_ends_a_row_and_a_quote_after_it_opens_a_field() -> None:
    data = b'1,x\r2,"a\rb",536-22-8410\r\n"3",y\r'
    assert row_ends(data, b",") == [4, 25, 31] == csv_row_ends(data, ",")
    assert field_starts(data, 4, 25, b",") == [4, 6, 12]
    assert last_boundary(data, b",") == 25  # the last CR may be the first half of CRLF
    assert last_boundary(data + b"\n", b",") == 32
    assert first_boundary(b"id,mrn\r1,2", b",") == 7
    assert first_boundary(b"id,mrn\r", b",") == 0
