"""A table chunk scanned by one core call gives exactly the Python reference's findings.

The reference is ``RFLOW_PHI_REGEX=re`` (no core at all); the previous native path
(``RFLOW_PHI_CORE_WALK=0``: the core's candidates walked, validated and mapped in Python) must
agree too. Generated CSV/TSV with quoted cells (delimiters, newlines and doubled quotes inside),
quotes inside unquoted cells, rows ended by CRLF, LF and a lone CR mixed in one file (a CR inside quoted cells too)
and a byte order mark, for several chunk sizes (small ones cut right after a CR) and worker counts; each finding lies
in the row ``csv.reader`` reads it in; the dense corpus with a column subset and labelled columns.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block
from phi_values import IN_CONTEXT

from engine.phi import native, native_labels, native_match, scan_file
from engine.phi.scan import table
from tests.phi.csv_oracle import csv_row_ends

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
piece = st.sampled_from(sorted(IN_CONTEXT)).flatmap(
    lambda c: IN_CONTEXT[c].map(lambda tv: tv[1] if len(tv[1]) % 2 else tv[0])
)
plain = st.sampled_from(
    ["", "seen today", "Dr. Ann Lee", "n/a", "4 mg", "March 4", "MRN: 4857211", "Boston, MA", "Jos\u00e9 Mu\u00f1oz",
     "Zo\u00eb 536-22-8410", "\u00e9t\u00e9 02134", "\uff15\uff13\uff16-22-8410", "212\u00a0555\u20117123"]
)  # fmt: skip
labelled = st.sampled_from([" 02134", "02134 ", "\t02134-1234", "4857211", "AB123456", "19320206", "536228410", "x"])
cell = st.one_of(piece, plain, labelled, st.text("0123456789-/. :x", max_size=12))


def _quoted(text: str, delim: str) -> str:
    """Quoted as a writer would, but a quote inside a cell that does not start with one is left as it
    is (``5'10"``): the csv module reads it as a plain character, and so must every scanner path."""
    if any(c in text for c in (delim, "\n", "\r")) or text.startswith((" ", '"')):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def tables(draw: Any) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(["csv", "tsv"]))
    delim = "," if fmt == "csv" else "\t"
    ncols = draw(st.integers(1, 5))
    header = draw(st.permutations(["name", "ssn", "phone", "note", "mrn", "dob", "zip", "email"]))[:ncols]
    eol = st.sampled_from(["\n", "\r\n", "\r"])
    joined = st.tuples(cell, st.sampled_from([delim, "\n", '"', "\r\n", "\r"]), cell).map("".join)
    rows = draw(st.lists(st.lists(st.one_of(cell, joined), min_size=1, max_size=ncols + 1), min_size=1, max_size=12))
    lines = [delim.join(header)] + [delim.join(_quoted(c, delim) for c in row) for row in rows]
    last = draw(st.sampled_from(["", "\n", "\r\n", "\r"]))
    text = "".join(line + draw(eol) for line in lines[:-1]) + lines[-1] + last
    bom = "\ufeff" if draw(st.booleans()) else ""
    return fmt, (bom + text).encode("utf-8")


def _scan(path: Path, mp: pytest.MonkeyPatch, engine: str, walk: str, **kw: Any) -> list[Any]:
    mp.setenv(native_match.ENV_ENGINE, engine)
    mp.setenv(native_match.WALK_ENV, walk)
    return list(scan_file(path, **kw))


def _all_paths(path: Path, **kw: Any) -> tuple[list[Any], list[Any], list[Any]]:
    with pytest.MonkeyPatch.context() as mp:
        reference = _scan(path, mp, "re", "1", **kw)
        previous = _scan(path, mp, "auto", "0", **kw)
        core = _scan(path, mp, "auto", "1", **kw)
    return reference, previous, core


def spy_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Whether each call of ``owner.<name>`` took the core (returned something), in call order."""
    calls: list[bool] = []
    real = getattr(owner, name)

    def spy(*args: Any) -> Any:
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(owner, name, spy)
    return calls


@pytest.fixture
def core_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each table chunk went through the one core call (so a silent fallback fails)."""
    return spy_calls(monkeypatch, table, "core_findings")


@pytest.fixture
def core_cells(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each chunk's labelled cells were checked in the core."""
    return spy_calls(monkeypatch, table, "core_labelled")


@needs_core
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table_=tables(), chunk_size=st.sampled_from([64, 1 << 10, 1 << 20]))
def test_generated_tables_give_identical_findings(tmp_path: Path, table_: tuple[str, bytes], chunk_size: int) -> None:
    fmt, raw = table_
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(raw)
    reference, previous, core = _all_paths(path, chunk_size=chunk_size)
    assert previous == reference
    assert core == reference
    ends = [0, *csv_row_ends(raw, "," if fmt == "csv" else "\t")]  # row 0: the header
    for f in reference:
        assert f.row is not None and f.offset is not None
        assert ends[f.row] <= f.offset < f.offset + f.length <= ends[f.row + 1], (f, ends)


@needs_core
@pytest.mark.parametrize(
    ("chunk_size", "workers"), [(1 << 12, 1), (1 << 16, 1), (1 << 20, 1), (1 << 14, 2), (1 << 20, 2)]
)
def test_dense_corpus_findings_are_identical(
    tmp_path: Path, core_calls: list[bool], chunk_size: int, workers: int
) -> None:
    path = tmp_path / "dense.csv"
    body = dense_block(250, seed=9).replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(COLUMNS) + "\r\n").encode() + body)
    reference, previous, core = _all_paths(path, chunk_size=chunk_size, workers=workers)
    assert len(reference) > 3000
    assert previous == reference
    assert core == reference
    if workers == 1:
        assert core_calls and core_calls[-1], "the core path was not taken"


@needs_core
def test_a_column_subset_and_labelled_columns_are_identical(
    tmp_path: Path, core_calls: list[bool], core_cells: list[bool]
) -> None:
    path = tmp_path / "dense.csv"
    path.write_bytes((",".join(COLUMNS) + "\n").encode() + dense_block(120, seed=3))
    subset = COLUMNS[::2]
    reference, previous, core = _all_paths(path, columns=subset, chunk_size=1 << 13)
    assert reference and {f.column for f in reference} - {None} <= set(subset)  # None: the header row
    assert previous == reference
    assert core == reference
    assert any(core_calls) and any(core_cells)
    assert {"SSN", "ZIP"} <= {f.category for f in reference if f.column in ("ssn", "zip")}


@needs_core
def test_accented_text_stays_on_the_core_and_agrees(
    tmp_path: Path, core_calls: list[bool], core_cells: list[bool]
) -> None:
    path = tmp_path / "accents.csv"
    path.write_bytes("name,ssn,zip,note\nJos\u00e9 Mu\u00f1oz,536-22-8410,02134,Zo\u00eb seen 03/04/2021\n"
                     "Ren\u00e9e,536\u00e9-22-8410,\u00e902134,call (212) 555-7123\n".encode())  # fmt: skip
    reference, previous, core = _all_paths(path)
    assert {"SSN", "ZIP", "DATE", "PHONE"} <= {f.category for f in reference}
    assert core == previous == reference
    assert core_calls and core_calls[-1] and core_cells[-1]


@needs_core
def test_a_chunk_normalization_changes_is_mapped_back_by_the_core(tmp_path: Path, core_calls: list[bool]) -> None:
    path = tmp_path / "accents.csv"
    path.write_bytes(
        "name,ssn,phone,note\nJos\u00e9 Mu\u00f1oz,536-22-8410,(212)\u00a0555-7123,\uff15\uff13\uff16-22-8410 seen\n"
        "Ann,536\u200b-22-8410,212\u2011555\u20117123,\"at\u00a0Boston, MA\u00a002134\"\r\n".encode()
    )
    reference, previous, core = _all_paths(path)
    assert {"SSN", "PHONE"} <= {f.category for f in reference}
    assert core == previous == reference
    assert core_calls and core_calls[-1]


HOSTILE = [b'"', b",", b"\t", b"\r", b"\n", b"\r\n", b'""', b"\xef\xbb\xbf", b"\xc2\xa0", b"\xff", b"\x00", b" ", b"-",
           "\uff15\u200b\u2011".encode()]  # fmt: skip
hostile_chunks = st.lists(
    st.sampled_from(HOSTILE) | piece.map(str.encode) | st.binary(max_size=3), max_size=60
).map(b"".join)


def _chunk(data: bytes, mp: pytest.MonkeyPatch, engine: str, walk: str) -> list[Any]:
    from engine.phi import load_registry
    from engine.phi.keys import resolve_key
    from engine.phi.scan.context import make_context

    mp.setenv(native_match.ENV_ENGINE, engine)
    mp.setenv(native_match.WALK_ENV, walk)
    ctx = make_context(load_registry(), resolve_key(None), ("mrn", "zip", "note", "ssn"), b",")
    return table.scan_table_chunk(data, 100, 1, ctx)[0]


@needs_core
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_chunks)
def test_hostile_chunks_give_the_reference_findings_and_never_a_panic(data: bytes) -> None:
    with pytest.MonkeyPatch.context() as mp:
        reference = _chunk(data, mp, "re", "1")
        core = _chunk(data, mp, "auto", "1")
    assert core == reference


@needs_core
def test_hostile_arguments_to_the_chunk_call_are_python_errors() -> None:
    from engine.phi import load_registry

    core_matcher: Any = native_match.matcher_for(load_registry().scan)
    assert core_matcher is not None
    with pytest.raises(ValueError, match="outside the chunk"):
        core_matcher.scan_table(b"abc", 44, [(2, 9)], lambda *a: None)
    with pytest.raises(TypeError):
        core_matcher.scan_table(b"abc", 44, [], lambda *a: None, "not a digester")
    assert native.core is not None
    plain = native.core.Matcher([("(?P<rfm>[0-9]+)", True, b"", b"0123456789")])
    with pytest.raises(ValueError, match="without plans"):
        plain.walk(b"12", lambda *a: None)
    with pytest.MonkeyPatch.context() as mp:  # labelled values asked of Python (the previous path)
        mp.setenv(native_labels.ENV, "0")
        asking: Any = native_match.matcher_for(load_registry().scan)
    with pytest.raises(ZeroDivisionError):  # an error in Python's answer reaches the caller as is
        asking.walk(b"MRN: 4857211 and more", lambda *a: 1 / 0)
