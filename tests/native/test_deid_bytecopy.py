"""deidentify's byte copy on the core writes the bytes of the Python reference (``bytecopy.py``).

Differential at two levels: the writer alone, on generated text (any quoting, well formed or not,
blank lines, CR/LF/CRLF, any kept columns, changed cells with quotes, delimiters and line breaks)
fed in blocks of every size and written in batches of every size; and the deidentify stage on
the dense corpus and the bundled study, core against ``RFLOW_PHI_CORE_DEID=0``, for several
partition sizes and worker counts. Hostile input through the binding raises, never panics.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block

from engine import bundled_path
from engine.phi import native, native_deid
from stages.stage_06_deidentify import native_copy
from stages.stage_06_deidentify.bytecopy import ByteCopyWriter, NotBytewise
from tests.native.stage_runs import deidentified

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
CELLS = st.sampled_from(["", "x", "[PHI:SSN]", 'a"b', "a,b", "a;b", "l1\nl2", "c\r\nd", "\u00e9t\u00e9", "  "])


def _refused(make: Callable[[], object], rows: list[list[str]], outs: list[list[str]]) -> bool:
    """Whether the writer ``make`` gives raised NotBytewise on these rows (what it wrote is in its output)."""
    try:
        writer = make()
        for row, out in zip(rows, outs, strict=True):
            writer.write_row(row, out)  # type: ignore[attr-defined]
        writer.finish()  # type: ignore[attr-defined]
    except NotBytewise:
        return True
    return False


def _both(text: str, delimiter: str, kept: list[int], skip_first: bool, rows: list[list[str]],
          outs: list[list[str]], block: int, batch: int) -> None:
    lines = io.StringIO(text, newline="").readlines()
    ref = io.StringIO()
    ref_raised = _refused(lambda: ByteCopyWriter(ref, lines, kept, delimiter, skip_first=skip_first), rows, outs)
    core = native_deid.byte_copy(delimiter, kept, skip_first)
    assert core is not None
    got = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(native_copy, "BLOCK_CHARS", block)
        mp.setattr(native_copy, "BATCH_ROWS", batch)
        got_raised = _refused(lambda: native_copy.NativeByteCopyWriter(got, lines, core), rows, outs)
    assert got_raised == ref_raised
    if not ref_raised:
        assert got.getvalue() == ref.getvalue()


@needs_core
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet='ab,;"\r\n x\u00e9', max_size=60), delimiter=st.sampled_from([",", ";", "\t"]),
       data=st.data(), skip_first=st.booleans(), block=st.integers(1, 40), batch=st.integers(1, 5))
def test_the_core_copies_what_the_reference_copies(text: str, delimiter: str, data: st.DataObject,
                                                   skip_first: bool, block: int, batch: int) -> None:
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False) if r]
    if skip_first and rows:  # the header record, read as the row reader reads it (blank or not)
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False), [])
        rows = rows[1:] if first else rows
    width = max((len(r) for r in rows), default=1)
    kept = data.draw(st.lists(st.integers(0, width), min_size=1, max_size=width + 1))
    outs = []
    for row in rows:
        cells = [row[i] if i < len(row) else "" for i in kept]
        outs.append([data.draw(CELLS) if data.draw(st.booleans()) else c for c in cells])
    if data.draw(st.booleans()) and rows:  # a row the text does not hold: both refuse
        rows[data.draw(st.integers(0, len(rows) - 1))] = ["not", "in", "the", "text"]
    _both(text, delimiter, kept, skip_first, rows, outs, block, batch)


@needs_core
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), rows=st.lists(st.lists(st.text(max_size=6), max_size=4), max_size=4),
       outs=st.lists(st.lists(st.text(max_size=6), max_size=4), max_size=4),
       kept=st.lists(st.integers(0, 1 << 40), max_size=4), skip_first=st.booleans())
def test_hostile_input_through_the_binding_never_panics(text: str, rows: list[list[str]], outs: list[list[str]],
                                                        kept: list[int], skip_first: bool) -> None:
    core = native_deid.byte_copy(",", kept, skip_first)
    assert core is not None
    core.feed(text)
    core.feed("")
    start, status = core.write_rows(rows, outs, 0)
    assert status in (native_deid.OK, native_deid.NOT_BYTEWISE) and 0 <= start <= len(rows)
    assert isinstance(core.take(), str)
    assert core.finish() in (native_deid.OK, native_deid.NOT_BYTEWISE)
    with pytest.raises(TypeError):
        core.write_rows([[1, 2]], [["a"]], 0)
    with pytest.raises(TypeError):
        core.write_rows([b"ab"], [["a"]], 0)


@needs_core
def test_a_delimiter_the_core_does_not_take_gets_the_reference() -> None:
    assert native_deid.byte_copy("\u00a7", [0], False) is None
    assert native_deid.byte_copy('"', [0], False) is None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_deid.ENV, "0")
        assert native_deid.byte_copy(",", [0], False) is None
        assert isinstance(native_copy.byte_copy_writer(io.StringIO(), [], [0], ","), ByteCopyWriter)


@needs_core
@pytest.mark.parametrize(("partition_bytes", "workers"), [(1 << 30, 1), (1 << 14, 1), (1 << 14, 2), (1 << 16, 2)])
@pytest.mark.parametrize("corpus", ["dense", "study"])
def test_the_stage_writes_the_same_copy_on_the_core(tmp_path: Path, corpus: str, partition_bytes: int,
                                                    workers: int) -> None:
    if corpus == "dense":
        path = tmp_path / "dense.csv"
        path.write_bytes(",".join(COLUMNS).encode() + b"\n" + dense_block(300, 5).replace(b"\n", b"\r\n", 40))
    else:
        path = bundled_path("demo_study.csv")
    core, core_out = deidentified(path, tmp_path / "core", {native_deid.ENV: "1"}, partition_bytes, workers)
    ref, ref_out = deidentified(path, tmp_path / "ref", {native_deid.ENV: "0"}, partition_bytes, workers)
    assert core == ref
    assert core_out == ref_out
