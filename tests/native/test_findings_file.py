"""The compact findings file: the core writes the bytes the Python reference writes, and the one
reader gives back every finding (category, row, column, offset, length, digest) as scanned.

Generated findings (any names, rows, offsets, digests, repeats) through both encoders; the
phi_scan stage on a dense file, native against ``RFLOW_PHI_REGEX=re``, for several partition
sizes and worker counts, against ``scan_file``'s own findings; the earlier one-object-a-line
form still read; a damaged file refused with its line number.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block

from engine.phi import Finding, native, native_match, scan_file
from engine.phi.scan import findings_file
from engine.phi.scan.findings_file import FindingsError, encode_findings, new_encoder, parse_findings, read_findings

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
finding = st.builds(
    Finding,
    st.sampled_from(["SSN", "NAME", "ZIP", 'a"b\\\u00e9']),
    st.one_of(st.none(), st.integers(0, 10**12)),
    st.one_of(st.none(), st.text(max_size=8)),
    st.one_of(st.none(), st.integers(0, 10**12)),
    st.integers(0, 10**6),
    st.one_of(hex64, st.text(max_size=6), st.sampled_from(["0" * 64, "f" * 64, "A" * 64])),
)


def _lines(data: bytes) -> list[str]:
    return data.decode("ascii").splitlines(keepends=True)


@needs_core
@settings(max_examples=300, deadline=None)
@given(batches=st.lists(st.lists(finding, max_size=12), min_size=1, max_size=4),
       renamed=st.booleans())  # fmt: skip
def test_core_writes_the_reference_bytes_and_they_read_back(batches: list[list[Finding]], renamed: bool) -> None:
    def rename(raw: str) -> str | None:
        return None if raw == "" else raw.strip() or "column_?"

    encoders = [new_encoder(rename if renamed else None, native=flag) for flag in (True, False)]
    written = [b"".join(bytes(e.encode(batch)) for batch in batches) for e in encoders]
    assert written[0] == written[1]
    assert encoders[0].counts() == encoders[1].counts()
    shown = [f._replace(column=rename(f.column)) if renamed and f.column is not None else f
             for batch in batches for f in batch]  # fmt: skip
    assert list(parse_findings(_lines(written[0]))) == shown


def test_segments_are_read_on_their_own_and_repeats_are_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(findings_file, "DIGEST_TABLE", 2)  # the reference's bound, as the reader reads it
    digests = [f"{n:064x}" for n in range(4)]
    found = [Finding("SSN", n, "ssn", 10 * n, 11, digests[n % 4]) for n in range(1, 12)]
    one, two = encode_findings(found[:6], native=False), encode_findings(found[6:], native=False)
    lines = _lines(one + two)
    assert lines[0] == lines[lines.index('{"rflow_findings":2}\n', 1)]
    assert list(parse_findings(lines)) == found
    rows = [json.loads(line) for line in lines if line.startswith("[")]
    assert [r[1] for r in rows[:3]] == [1, 1, 1] and rows[0][3] == 10 and rows[1][3] == 10


def test_the_earlier_form_is_read_and_damage_is_refused(tmp_path: Path) -> None:
    f = Finding("MRN", 3, "mrn", 40, 7, "ab" * 32)
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(f._asdict()) + "\n", encoding="utf-8")
    assert list(read_findings(old)) == [f]
    for bad in ('{"rflow_findings":2}\n[0,1,0,1,1,"x"]\n', '{"rflow_findings":3}\n', '{"rflow_findings":2}\n{"x":1}\n',
                '{"rflow_findings":2}\n[0,1]\n', "not json\n"):
        with pytest.raises(FindingsError, match=r"findings file line \d"):
            list(parse_findings(bad.splitlines(keepends=True)))


def _dense(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "dense.csv"
    path.write_bytes(",".join(COLUMNS).encode() + b"\n" + dense_block(rows, 7))
    return path


def _stage_findings(path: Path, ws: Path, engine: str, partition_bytes: int, workers: int) -> tuple[bytes, Any]:
    from engine.execution.executors.local import LocalExecutor
    from engine.testing import run_stages
    from stages.components import PhiFindingsSummary

    ws.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, engine)
        run = run_stages(["upload", "phi_scan"], path, ws, executor=LocalExecutor(workers, partition_bytes))
    assert all(r.status.value == "completed" for r in run.results), [r.errors for r in run.results]
    summary = run.component("input:dataset", PhiFindingsSummary)
    assert summary is not None
    return (ws / summary.findings_path).read_bytes(), run.results[-1].output


@needs_core
@pytest.mark.parametrize(("partition_bytes", "workers"), [(1 << 30, 1), (1 << 14, 1), (1 << 14, 2), (1 << 16, 2)])
def test_phi_scan_native_and_python_write_the_same_findings(tmp_path: Path, partition_bytes: int, workers: int) -> None:
    path = _dense(tmp_path, 120)
    core, core_out = _stage_findings(path, tmp_path / "core", "auto", partition_bytes, workers)
    ref, ref_out = _stage_findings(path, tmp_path / "ref", "re", partition_bytes, workers)
    assert core_out["regex_engine"] == "native" and ref_out["regex_engine"] == "re"
    assert hashlib.sha256(core).hexdigest() == hashlib.sha256(ref).hexdigest()
    got = list(parse_findings(_lines(core)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, "re")
        expected = list(scan_file(path, key=_stage_key()))
    assert len(got) == core_out["findings_total"] > 1000
    assert [(f.category, f.row, f.column, f.offset, f.length, f.digest) for f in got] == [tuple(f) for f in expected]
    assert len(core) < 70 * len(got)  # distinct values: about 60 bytes a finding; the earlier form 153


def _stage_key() -> Any:
    from engine.phi import stage_key

    return stage_key(b"k" * 32, "config")


@pytest.mark.parametrize("engine", ["auto", "re"])
def test_the_findings_file_is_the_same_however_the_input_is_partitioned(tmp_path: Path, engine: str) -> None:
    # The report records the artifact's digest: it must not depend on the executor's partitions.
    path = _dense(tmp_path, 120)
    whole, _ = _stage_findings(path, tmp_path / "whole", engine, 1 << 30, 1)
    for partition_bytes, workers in ((1 << 14, 1), (1 << 14, 2), (1 << 16, 2)):
        parts, _ = _stage_findings(path, tmp_path / f"p{partition_bytes}-{workers}", engine, partition_bytes, workers)
        assert parts == whole, (partition_bytes, workers)
    assert whole.count(b'{"rflow_findings":2}') == 1
