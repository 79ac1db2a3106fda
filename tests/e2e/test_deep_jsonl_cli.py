"""JSON Lines records nested past any sane depth are unusable input: a named error, exit 2.

Python's JSON decoder raises ``RecursionError`` on deep nesting; it must never surface as
"internal error" (or exit 1, "a step failed"), in ``rflow run`` or in ``rflow phi scan``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.jsondepth import MAX_JSON_DEPTH, too_deep
from engine.phi.scanner import PhiInputError, scan_file
from stages.tabular import TableFormat, TableReader, TabularError

from .conftest import rflow

OPENERS = {"list": ("[", "]"), "object": ('{"k": ', "}")}


def _deep(kinds: list[str], leaf: str = '"x"') -> str:
    return "".join(OPENERS[k][0] for k in kinds) + leaf + "".join(OPENERS[k][1] for k in reversed(kinds))


def _write(folder: Path, kinds: list[str], row: int) -> Path:
    lines = ['{"id": 1, "note": "ok"}'] * (row - 1) + ['{"id": 2, "note": ' + _deep(kinds) + "}"]
    path = Path(tempfile.mkdtemp(dir=folder)) / "deep.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


PATTERNS = st.lists(st.sampled_from(list(OPENERS)), min_size=1, max_size=16)
DEPTHS = st.tuples(st.integers(MAX_JSON_DEPTH, 15_000), PATTERNS).map(
    lambda t: (t[1] * (t[0] // len(t[1]) + 1))[: t[0]])
"""Any depth past the limit (the record's own object is one more level), any mix of lists and
objects (a pattern repeated to that depth); at most 15,000 levels keeps the line under the
reader's field cap, which is a named error of its own."""


@settings(max_examples=20, deadline=None)
@given(kinds=DEPTHS, row=st.integers(1, 3))
def test_any_deep_record_is_a_named_error_for_the_reader_and_the_scanner(tmp_path_factory, kinds, row) -> None:
    path = _write(tmp_path_factory.mktemp("deep"), kinds, row)
    with pytest.raises(TabularError, match=f"data row {row} is JSON nested more than 200 levels deep"), \
            TableReader(path, TableFormat(format="jsonl", encoding="utf-8", delimiter="")) as reader:
        for _ in reader:
            pass
    with pytest.raises(PhiInputError, match=f"record {row} is nested more than 200 levels deep"):
        list(scan_file(path))


@settings(max_examples=50, deadline=None)
@given(kinds=st.lists(st.sampled_from(list(OPENERS)), max_size=MAX_JSON_DEPTH - 1),
       noise=st.text(alphabet='[]{}"\\ab', max_size=300))
def test_records_within_the_limit_are_read_whatever_their_strings_hold(tmp_path_factory, kinds, noise) -> None:
    import json

    leaf = json.dumps("[" * 500 + noise)  # brackets and quotes inside a string are not nesting
    line = '{"id": 2, "note": ' + _deep(kinds, leaf) + "}"
    assert not too_deep(line) and not too_deep(line.encode())
    path = Path(tempfile.mkdtemp(dir=tmp_path_factory.mktemp("ok"))) / "ok.jsonl"
    path.write_text(line + "\n")
    with TableReader(path, TableFormat(format="jsonl", encoding="utf-8", delimiter="")) as reader:
        assert len(list(reader)) == 1
    list(scan_file(path))


@pytest.mark.parametrize("kind", list(OPENERS))
def test_cli_run_and_phi_scan_exit_2_with_one_line(tmp_path: Path, kind: str) -> None:
    path = _write(tmp_path, [kind] * 5_000, 2)
    run = rflow("run", "--input", f"dataset={path}", "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.strip().splitlines() == ["rflow: unusable input: input 'dataset': data row 2 is JSON nested more "
                                               "than 200 levels deep"], run.stderr
    scan = rflow("phi", "scan", str(path), cwd=tmp_path)
    assert scan.returncode == 2, scan.stdout + scan.stderr
    assert scan.stderr.strip().splitlines() == [
        "rflow phi: error: JSON Lines record 2 is nested more than 200 levels deep"]
    for proc in (run, scan):
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
