"""Labelled values decided in the core from the registry's declared fields match the reference.

The reference is the labelled pattern's Python ``re`` form (lookarounds, backtracking) with its
label senses; ``RFLOW_PHI_CORE_LABELS=0`` is the previous native path (the core asks Python at
each labelled candidate). Layers: every labelled pattern at every start of generated label-heavy
text (the spans, before validators); the candidate walk of both tiers; ``scan_file`` findings
(category, location, length, digest) for chunk sizes and worker counts; the CLI with ``--limit 0``;
hostile bytes around labels through the binding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import accept, load_registry, matcher, native, native_labels, native_match, scan_file

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = b"labels-test-key-0123456789abcdef"

_REG = load_registry()
LABELS = sorted({lab for p in _REG.guard.patterns if p.label is not None for lab in p.label.labels})
CASES = st.sampled_from([str.lower, str.upper, str.title, lambda s: s[:1].upper() + s[1:]])
SPACES = st.sampled_from([" ", "_", "-", "", "  ", "\t"])
BEFORE = st.sampled_from(["", " ", "x", "into ", "a ", "in a ", "on ", "9", "-", "/", "(", "Pt ", "parking lot "])
SEPS = st.sampled_from(
    ["", ":", ": ", " #", " no. ", "=", " - ", ") ", " number: ", "  ", "\t", " id ", "#:", ".", ",: "]
)
WINDOW = st.sampled_from(
    [
        "is",
        "on",
        "file",
        "Code",
        "where",
        "she",
        "lives",
        "(home)",
        ",",
        "the",
        "WAB",
        "Ab12",
        "x",
        "of",
        "for",
        "lock",
        "number",
        "no.",
        "(per",
        "desk)",
        "Reads:",
        "a",
        "ZIP",
        "Mrn",
        "at",
        "bag",
    ]
)
VALUES = st.sampled_from(
    [
        "02139",
        "123456",
        "M7730012",
        "12-345",
        "KZ-71581",
        "1234567890",
        "25000",
        "12,345",
        "A1",
        "148-9588",
        "02139-1234",
        "7",
        "4857211",
        "555-123-4567",
        "(617) 555-0100",
        "01/02/1960",
        "1960-01-02",
        "AB12345",
        "123-45-6789",
        "1HGCM82633A004352",
        "N 5.1",
        "lot",
        "X",
        "91",
        "1",
        "00000",
        "dea7b51e",
        "0400636",
    ]
)
AFTER = st.sampled_from(
    ["", " ", " steps", " units", "x", "-1", "-", ".", "%", " mg", "\n", ",", "A", "-A", " Steps", "\t"]
)


@st.composite
def labelled_text(draw: Any) -> bytes:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        label = draw(st.sampled_from(LABELS))
        label = draw(CASES)(label).replace(" ", draw(SPACES))
        window = " ".join(draw(st.lists(WINDOW, max_size=7)))
        sep = draw(SEPS)
        parts.append(draw(BEFORE) + label + sep + (window + " " if window else "") + draw(VALUES) + draw(AFTER))
    return " ".join(parts).encode("ascii")


hostile = st.lists(
    st.sampled_from([b"mrn", b"ZIP", b"lot", b"\xff", b"\x00", b"#", b":", b" ", b"-", b"1", b"(", b")", b".", b"\n"])
    | st.binary(max_size=3),
    max_size=60,
).map(b"".join)


def _core(tier: Any, labels: str) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_labels.ENV, labels)
        built = native_match.matcher_for(tier)
    assert built is not None, "the native engine is not in use"
    return built


def _reference_spans(pat: Any, data: bytes, start: int) -> tuple[int, int, int] | None:
    """The Python reference for one labelled pattern at one start: its match and label senses."""
    spans = accept.match_spans(pat, data, start)  # its left boundary a lookbehind
    if spans is None or (pat.senses is not None and pat.senses.other_sense(data, start, spans[0])):
        return None
    return spans


@needs_core
@FAST
@given(labelled_text())
def test_each_labelled_pattern_at_each_start_gives_the_reference_spans(data: bytes) -> None:
    tier = _REG.guard
    core = _core(tier, "1")
    got = {(s, i, sp) for s, i, sp in core.candidates(data) if tier.patterns[i].label is not None}
    want = set()
    for i, pat in enumerate(tier.patterns):
        if pat.label is None:
            continue
        assert native_labels.core_decides(pat), pat.id
        for start in range(len(data)):
            spans = _reference_spans(pat, data, start)
            if spans is not None:
                want.add((start, i, spans))
    assert got == want


def _walk(tier: Any, data: bytes, labels: str) -> list[tuple[str, int, int, int, int]]:
    core = _core(tier, labels)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_labels.ENV, labels)
        return [(p.id, *rest) for p, *rest in native_match.native_matches(tier, core, data)]


def _reference(tier: Any, data: bytes) -> list[tuple[str, int, int, int, int]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, "re")
        return [(p.id, *rest) for p, *rest in matcher.pattern_matches(tier, data)]


@needs_core
@FAST
@given(labelled_text() | hostile)
def test_the_walk_of_both_tiers_matches_the_reference(data: bytes) -> None:
    for tier in (_REG.scan, _REG.guard):
        want = _reference(tier, data)
        assert _walk(tier, data, "1") == want
        assert _walk(tier, data, "0") == want


def _note_file(path: Path, rows: int) -> None:
    import random

    rnd = random.Random(7)
    words = [
        "MRN: 4857211",
        "zip code where she lives is 02139",
        "acct # 25000 steps",
        "a lot of 10000 units",
        "member id number for the plan: M7730012",
        "DOB=01/02/1960",
        "ZIP (home): 02139",
        "into account 25000",
        "cert. no, checked today, 148-9588",
        "Phone no. (617) 555-0100",
        "serial troponins 12345",
        "lic# AB12345",
    ]
    with path.open("w", encoding="ascii", newline="") as out:
        out.write("id,note,zip\n")
        for r in range(rows):
            note = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 4)))
            out.write(f'{r},"{note}",{rnd.randint(10000, 99999)}\n')


def _findings(path: Path, mp: pytest.MonkeyPatch, engine: str, labels: str, **kw: Any) -> list[tuple[Any, ...]]:
    mp.setenv(native_match.ENV_ENGINE, engine)
    mp.setenv(native_labels.ENV, labels)
    return [tuple(f) for f in scan_file(path, key=KEY, **kw)]


@needs_core
@pytest.mark.parametrize("chunk_size", [257, 4096, 1 << 20])
def test_scan_file_findings_are_identical_for_chunk_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_size: int
) -> None:
    path = tmp_path / "notes.csv"
    _note_file(path, 400)
    want = _findings(path, monkeypatch, "re", "1", chunk_size=chunk_size)
    assert len(want) > 400
    assert _findings(path, monkeypatch, "auto", "1", chunk_size=chunk_size) == want
    assert _findings(path, monkeypatch, "auto", "0", chunk_size=chunk_size) == want


@needs_core
def test_scan_file_findings_are_identical_for_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "notes.csv"
    _note_file(path, 600)
    want = _findings(path, monkeypatch, "re", "1", workers=1)
    assert _findings(path, monkeypatch, "auto", "1", workers=2) == want


@needs_core
@pytest.mark.parametrize("labels", ["0", "1"])
def test_the_cli_lists_the_same_findings(tmp_path: Path, labels: str) -> None:
    path = tmp_path / "notes.csv"
    _note_file(path, 150)
    rflow = str(Path(sys.executable).with_name("rflow"))

    def run(engine: str) -> dict[str, Any]:
        env = {**os.environ, "RFLOW_PHI_KEY": KEY.decode(), native_match.ENV_ENGINE: engine, native_labels.ENV: labels}
        out = subprocess.run(
            [rflow, "phi", "scan", str(path), "--format", "json", "--limit", "0"],
            env=env,
            capture_output=True,
            check=True,
        ).stdout
        doc = json.loads(out)
        doc.pop("regex_engine")
        return dict(doc)

    assert run("auto") == run("re")


@needs_core
@FAST
@given(hostile)
def test_hostile_bytes_around_labels_do_not_panic(data: bytes) -> None:
    core = _core(_REG.guard, "1")
    for start, _index, spans in core.candidates(data):
        assert spans is None or start <= spans[0] <= spans[1] <= spans[2] <= len(data)
