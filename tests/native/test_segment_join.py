"""Findings part files joined into one segment: the core's line rewrite writes the bytes the
reference (every finding read back and encoded again) writes, which are the bytes one encoder
writes for all the findings, however they were cut into parts.

Generated findings (names, rows and offsets going back and forth, nulls, digests repeated across
parts, literal digests with commas) cut at random; a digest table past its limit; a damaged part
refused; and phi_scan over a dense file with small partitions gives the findings file of one
partition.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import Finding
from engine.phi.scan import findings_file
from engine.phi.scan.findings_file import DIGEST_TABLE, FindingsError, join_segments, new_encoder
from tests.native.test_findings_file import hex64, needs_core

finding = st.builds(
    Finding,
    st.sampled_from(["SSN", "NAME", "ZIP", 'a"b\\\u00e9']),
    st.one_of(st.none(), st.integers(0, 10**9)),
    st.one_of(st.none(), st.sampled_from(["id", "note", "x,y", "\u00e9\"]"])),
    st.one_of(st.none(), st.integers(0, 10**9)),
    st.integers(0, 10**6),
    st.one_of(st.sampled_from(["1" * 64, "2" * 64]), hex64, st.text(max_size=6), st.just("a,b]")),
)


def _parts(tmp: Path, cut: list[list[Finding]]) -> list[Path]:
    paths = []
    for i, part in enumerate(cut):
        encoder = new_encoder(native=True)
        path = tmp / f"{i:05d}.findings.jsonl"
        path.write_bytes(bytes(encoder.encode(part)) + bytes(encoder.encode([])))
        paths.append(path)
    return paths


def _joined(paths: list[Path], native_join: bool) -> bytes:
    out: list[bytes] = []
    join_segments([str(p) for p in paths], lambda lines: out.append(bytes(lines)), native=native_join)
    return b"".join(out)


def _one_encoder(found: list[Finding]) -> bytes:
    encoder = new_encoder(native=True)
    return bytes(encoder.encode(found)) + bytes(encoder.encode([]))


@needs_core
@settings(max_examples=200, deadline=None)
@given(found=st.lists(finding, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_the_core_join_is_the_reference_and_one_encoders_bytes(tmp_path_factory: pytest.TempPathFactory,
                                                               found: list[Finding], cuts: list[int]) -> None:
    tmp = tmp_path_factory.mktemp("parts")
    bounds = [0, *sorted(min(c, len(found)) for c in cuts), len(found)]
    paths = _parts(tmp, [found[a:b] for a, b in itertools.pairwise(bounds)])
    core = _joined(paths, True)
    assert core == _joined(paths, False)
    assert core == _one_encoder(found)


@needs_core
def test_digests_past_the_table_limit(tmp_path: Path) -> None:
    """The joined table fills up as one encoder's does: later new digests are written in full,
    and a part's numbered digest the joined table has no number for is written in full too."""
    digests = [f"{i:064x}" for i in range(DIGEST_TABLE + 50)]
    first = [Finding("SSN", i, "id", i, 9, d) for i, d in enumerate(digests)]
    second = [Finding("SSN", len(digests) + i, "id", i, 9, digests[-1 - (i % 100)]) for i in range(300)]
    paths = _parts(tmp_path, [first[:10], first[10:], second[:5], second[5:]])
    assert _joined(paths, True) == _joined(paths, False) == _one_encoder(first + second)


@needs_core
def test_a_damaged_part_is_refused(tmp_path: Path) -> None:
    paths = _parts(tmp_path, [[Finding("SSN", 1, "id", 0, 9, "1" * 64)]])
    paths[0].write_bytes(paths[0].read_bytes() + b"[0,1,0,1,9,7]\n")  # digest number 7 was never written
    with pytest.raises(FindingsError):
        _joined(paths, True)
    paths[0].write_bytes(paths[0].read_bytes()[:-1])  # a cut line
    with pytest.raises(FindingsError):
        _joined(paths, True)



@needs_core
@settings(max_examples=100, deadline=None)
@given(found=st.lists(finding, max_size=40), cut=st.integers(0, 40), limit=st.integers(0, 45))
def test_the_crosstab_counts_what_the_reference_reads_back(tmp_path_factory: pytest.TempPathFactory,
                                                           found: list[Finding], cut: int, limit: int) -> None:
    """The HTML report's (column, category) counts: the core's count of the lines equals the
    reference's count of the findings read back, on a file of two segments too, and both give
    None past the limit."""
    tmp = tmp_path_factory.mktemp("cross")
    whole = tmp / "whole.findings.jsonl"
    whole.write_bytes(b"".join(p.read_bytes() for p in _parts(tmp, [found[:cut], found[cut:]])))  # two segments
    expected = Counter((str(f.column), f.category) for f in found) if len(found) <= limit else None
    assert findings_file.crosstab(whole, limit) == expected
    with mock.patch.object(findings_file, "_core_crosstab", return_value=None):
        assert findings_file.crosstab(whole, limit) == expected


def test_the_crosstab_reads_the_earlier_form(tmp_path: Path) -> None:
    """A file the core does not rewrite (one object a finding, older reports) is counted by the reference."""
    path = tmp_path / "old.findings.jsonl"
    path.write_text('{"category":"SSN","row":1,"column":"id","offset":0,"length":9,"digest":"' + "1" * 64 + '"}\n')
    assert findings_file.crosstab(path, 10) == Counter({("id", "SSN"): 1})
