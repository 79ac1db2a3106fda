"""The core's CSV block check against the Python reference: the same verdict for any bytes.

The verdict decides whether a columnar pass reads a block with Polars or sends the file to the row
reader, so a disagreement would change what a stage reads. Blocks are built from the bytes that
matter (quotes, delimiters, CR, LF, NUL, non-UTF-8, multi-byte UTF-8) and from well-formed records,
for every delimiter upload sniffs and several widths; plain random bytes reach the rest.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native_block_check
from engine.phi import native
from stages.columnar.csvchunks import NotFaithful, check_reference, parse
from stages.columnar.upload import checksum_and_rows

pytestmark = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)

DELIMITERS = [b",", b";", b"\t", b"|"]


def reference(block: bytes, delim: bytes, width: int) -> tuple[str | None, bool]:
    try:
        return None, check_reference(block, delim, width)
    except NotFaithful as exc:
        return str(exc), False


def core(block: bytes, delim: bytes, width: int) -> tuple[str | None, bool]:
    check = native_block_check()
    assert check is not None, "the core has no CSV block check: a stale build"
    reason, quoted, _, _, _ = check(block, delim[0], width)
    return reason, quoted


_pieces = st.sampled_from([b"a", b"7", b"\"", b"\"\"", b"\n", b"\r\n", b"\r", b",", b";", b"\t", b"|", b" ",
                           b"\x00", b"\xff", b"\xc3\xa9", b"\xe2\x80\x8b", b"x\"y", b"\"q\""])  # fmt: skip


@st.composite
def records(draw: st.DrawFn) -> tuple[bytes, bytes, int]:
    """Well-formed records of ``width`` fields, some quoted (with delimiters, quotes, newlines inside)."""
    delim = draw(st.sampled_from(DELIMITERS))
    width = draw(st.integers(1, 5))
    plain = st.text(st.sampled_from("ab1 é-"), max_size=4).map(str.encode)
    inside = st.lists(st.sampled_from([b"a", b"\"\"", delim, b"\n", b"\r\n", b" "]), max_size=5).map(b"".join)
    field = st.one_of(plain, inside.map(lambda b: b"\"" + b + b"\""))
    rows = draw(st.lists(st.lists(field, min_size=width, max_size=width), min_size=1, max_size=6))
    end = draw(st.sampled_from([b"\n", b"\r\n"]))
    block = end.join(delim.join(row) for row in rows) + draw(st.sampled_from([end, b""]))
    return block, delim, width


@settings(max_examples=600, deadline=None)
@given(st.lists(_pieces, max_size=40).map(b"".join), st.sampled_from(DELIMITERS), st.integers(0, 4))
def test_the_core_gives_the_reference_verdict_on_hostile_blocks(block: bytes, delim: bytes, width: int) -> None:
    assert core(block, delim, width) == reference(block, delim, width)


@settings(max_examples=400, deadline=None)
@given(records())
def test_the_core_gives_the_reference_verdict_on_well_formed_records(case: tuple[bytes, bytes, int]) -> None:
    block, delim, width = case
    assert core(block, delim, width) == reference(block, delim, width)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(DELIMITERS), st.integers(0, 4))
def test_the_core_gives_the_reference_verdict_on_random_bytes(block: bytes, delim: bytes, width: int) -> None:
    assert core(block, delim, width) == reference(block, delim, width)


def test_a_faithful_block_is_passed_and_each_kind_of_fault_named() -> None:
    assert core(b"1,\"a,\n\"\"b\"\"\"\r\n2,c\n", b",", 2) == (None, True)
    assert core(b"1,a\n\n2,b\n", b",", 2) == ("a blank line", False)
    assert core(b"1,a\n2\n", b",", 2) == ("a ragged record", False)
    assert core(b"1,a\"b\n", b",", 2) == ("a quote", False)


def test_the_switch_selects_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_DATAPLANE_CORE", "0")
    assert native_block_check() is None
    monkeypatch.delenv("RFLOW_DATAPLANE_CORE")
    assert native_block_check() is not None


@settings(max_examples=300, deadline=None)
@given(records())
def test_the_cores_count_and_widest_field_bound_what_polars_parses(case: tuple[bytes, bytes, int]) -> None:
    """upload counts rows from the core and skips the parse when no field can be over its limit."""
    import polars as pl

    block, delim, width = case
    check = native_block_check()
    assert check is not None
    reason, quoted, records, widest, _ = check(block, delim[0], width)
    if reason is not None:
        return
    frame = parse(block, [f"c{i}" for i in range(width)], delim.decode(), quoted)
    assert records == frame.height
    longest = frame.select(pl.max_horizontal(pl.all().str.len_chars()).max()).item() or 0
    assert widest >= longest


@settings(max_examples=60, deadline=None)
@given(records(), st.integers(0, 12))
def test_upload_counts_the_same_rows_with_and_without_the_core(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, bytes, int], limit: int,
) -> None:
    block, delim, width = case
    path = tmp_path_factory.mktemp("up") / "t.csv"
    path.write_bytes(delim.join(b"h%d" % i for i in range(width)) + b"\n" + block)
    fmt = SimpleNamespace(format="csv", encoding="utf-8", delimiter=delim.decode(), has_header=True)
    columns = [f"h{i}" for i in range(width)]
    with_core = checksum_and_rows(path, fmt, columns, limit)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RFLOW_DATAPLANE_CORE", "0")
        reference = checksum_and_rows(path, fmt, columns, limit)
    assert with_core == reference
