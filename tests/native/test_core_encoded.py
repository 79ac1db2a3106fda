"""A table chunk written into the findings file by one core call gives the reference's bytes.

The reference is ``RFLOW_PHI_REGEX=re`` (no core at all): ``scan_range``'s findings through the
Python encoder. ``RFLOW_PHI_CORE_ENCODE=0`` (the core finds, Python makes a ``Finding`` each and
the encoder reads them back) must agree too. Generated CSV/TSV (quoted cells, CRLF, a byte order
mark, non-ASCII and normalized text, labelled columns, column subsets, renamed columns) for
several chunk sizes; the stage on the dense corpus for partition sizes and worker counts;
hostile chunks and bad arguments through the binding (an error, never a panic).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block
from test_core_table import hostile_chunks, spy_calls, tables

from engine.phi import native, native_match, scanner
from engine.phi.scan import encoded
from engine.phi.scan.findings_file import new_encoder, parse_findings

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)


def _rename(raw: str) -> str | None:
    return None if raw == "zip" else raw.upper() or "column_?"


def _written(
    path: Path, mp: pytest.MonkeyPatch, engine: str, encode: str, renamed: bool, **kw: Any
) -> tuple[bytes, Any]:
    """The part file a scan of the whole file writes, and the encoder's counts."""
    mp.setenv(native_match.ENV_ENGINE, engine)
    mp.setenv(encoded.ENV, encode)
    encoder = new_encoder(_rename if renamed else None)
    out: list[bytes] = []
    scanner.scan_range_into(encoder, out.append, path, 0, path.stat().st_size, **kw)
    out.append(bytes(encoder.encode([])))
    return b"".join(bytes(b) for b in out), encoder.counts()


def _reference(path: Path, mp: pytest.MonkeyPatch, renamed: bool, **kw: Any) -> tuple[bytes, Any]:
    """``scan_range``'s findings through the Python encoder, with the Python path."""
    mp.setenv(native_match.ENV_ENGINE, "re")
    encoder = new_encoder(_rename if renamed else None, native=False)
    lines = encoder.encode(list(scanner.scan_range(path, 0, path.stat().st_size, **kw))) + encoder.encode([])
    return lines, encoder.counts()


@pytest.fixture
def core_chunks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each table chunk was encoded by the core (so a silent fallback fails the test)."""
    return spy_calls(monkeypatch, scanner, "encode_table_chunk")


@needs_core
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table_=tables(), chunk_size=st.sampled_from([64, 1 << 10, 1 << 20]), renamed=st.booleans(),
       subset=st.sampled_from([None, ("ssn", "zip", "note"), ("mrn",)]))  # fmt: skip
def test_generated_tables_write_the_reference_bytes(
    tmp_path: Path, core_chunks: list[bool], table_: tuple[str, bytes], chunk_size: int, renamed: bool,
    subset: tuple[str, ...] | None,
) -> None:  # fmt: skip
    fmt, raw = table_
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(raw)
    kw: dict[str, Any] = {"format": fmt, "chunk_size": chunk_size, "columns": subset}
    with pytest.MonkeyPatch.context() as mp:
        reference = _reference(path, mp, renamed, **kw)
        previous = _written(path, mp, "auto", "0", renamed, **kw)
        core_chunks.clear()
        core = _written(path, mp, "auto", "1", renamed, **kw)
    assert previous == reference
    assert core == reference
    assert all(core_chunks)


@needs_core
@pytest.mark.parametrize("chunk_size", [1 << 12, 1 << 16, 1 << 20])
def test_dense_corpus_with_labelled_columns_writes_the_reference_bytes(
    tmp_path: Path, core_chunks: list[bool], chunk_size: int
) -> None:
    path = tmp_path / "dense.csv"
    body = dense_block(250, seed=9).replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(COLUMNS) + "\r\n").encode() + body)
    categories = {"mrn": "MRN", "zip": "ZIP", "ssn": "SSN", "name": "NAME"}
    with pytest.MonkeyPatch.context() as mp:
        reference = _reference(path, mp, True, chunk_size=chunk_size, categories=categories)
        core_chunks.clear()
        core = _written(path, mp, "auto", "1", True, chunk_size=chunk_size, categories=categories)
    assert core == reference
    assert core_chunks and all(core_chunks)
    assert reference[1]["findings_total"] > 3000
    assert len(list(parse_findings(core[0].decode("ascii").splitlines()))) == reference[1]["findings_total"]


@needs_core
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile_chunks, base=st.integers(0, 1 << 40), first_row=st.integers(1, 1 << 30))
def test_hostile_chunks_write_the_reference_bytes_and_never_a_panic(data: bytes, base: int, first_row: int) -> None:
    from engine.phi import load_registry
    from engine.phi.keys import resolve_key
    from engine.phi.scan.context import make_context
    from engine.phi.scan.table import scan_table_chunk

    header = ("mrn", "zip", "note", "ssn")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, "re")
        ctx = make_context(load_registry(), resolve_key(None), header, b",")
        ref_encoder = new_encoder(native=False)
        found, nrows = scan_table_chunk(data, base, first_row, ctx)
        reference = ref_encoder.encode(found)
        mp.setenv(native_match.ENV_ENGINE, "auto")
        ctx = make_context(load_registry(), resolve_key(None), header, b",")
        encoder = new_encoder(native=True)
        done = encoded.encode_table_chunk(data, base, first_row, ctx, encoder)
    assert done is not None
    assert done == (reference, nrows)
    assert encoder.counts() == ref_encoder.counts()


@needs_core
def test_bad_arguments_are_errors_not_panics(chunk_call: Any) -> None:
    core, ctx, matcher, data, cues, asker = chunk_call

    def call(extras: Any = (), answer: Any = None, original: Any = None, mapping: Any = None) -> Any:
        return core.encode_table_chunk(
            matcher, core.FindingsEncoder(None), data, 44, list(extras), cues, ["mrn", "zip"], None, [], 1, 0,
            asker, answer or (lambda d, c: ([], [])), ctx.digest_fn, original, mapping,
        )  # fmt: skip

    for extras in ([(5, 2, 0)], [(0, 999, 0)], [(0, 2, 7)]):
        with pytest.raises(ValueError, match="cue span"):
            call(extras)
    with pytest.raises(ValueError, match="offset map"):
        call(original=data)
    with pytest.raises(ValueError, match="offset map"):
        call(original=data, mapping=([5, 1], [1, 1], [0, 0], [1, 1]))
    # a digest the core leaves to Python (a cue span over a non-ASCII value): one answer per question
    with pytest.raises(ValueError, match="one answer per question"):
        call([(12, 17, 0)], answer=lambda d, c: ([], []))
    with pytest.raises(TypeError):
        call([(12, 17, 0)], answer=lambda d, c: None)
    lines, nrows = call([(12, 17, 0)], answer=lambda d, c: (["ab" * 32] * len(d), [None] * len(c)))
    assert nrows == 1 and b'"category":"NAME"' in bytes(lines)


@needs_core
@pytest.mark.parametrize(("partition_bytes", "workers"), [(1 << 30, 1), (1 << 14, 2)])
def test_the_stage_writes_the_same_file_with_and_without_the_encoding_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, partition_bytes: int, workers: int
) -> None:
    from test_findings_file import _dense, _stage_findings

    path = _dense(tmp_path, 120)
    files = {}
    for flag in ("1", "0"):
        monkeypatch.setenv(encoded.ENV, flag)
        files[flag] = _stage_findings(path, tmp_path / f"e{flag}", "auto", partition_bytes, workers)
    ref = _stage_findings(path, tmp_path / "ref", "re", partition_bytes, workers)
    digests = {hashlib.sha256(written).hexdigest() for written, _ in (files["1"], files["0"], ref)}
    assert len(digests) == 1
    assert files["1"][1]["inputs"] == files["0"][1]["inputs"]
    assert files["1"][1]["inputs"]["dataset"]["by_column"] == ref[1]["inputs"]["dataset"]["by_column"]
    assert files["1"][1]["findings_total"] > 1000
