"""``rflow phi scan`` with the core's counting gives the report the finding-by-finding loop gives.

The counts and the listed findings come from the core's findings encoder (``scan_listed``); with
``RFLOW_PHI_CORE_ENCODE=0`` the command iterates ``scan_file`` as before. Generated CSV/TSV
(quoted cells, CRLF, a byte order mark, non-ASCII and normalized text, labelled columns) and
several ``--limit`` values, JSON and text reports, in one process; the dense corpus.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block
from test_core_table import spy_calls, tables

from engine.cli import phi_cmds
from engine.phi import native
from engine.phi.scan import encoded, listed

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)


def _report(path: Path, capsys: Any, mp: pytest.MonkeyPatch, flag: str, *args: str) -> tuple[int, str]:
    mp.setenv(encoded.ENV, flag)
    mp.setenv("RFLOW_PHI_KEY", "cli-test-key-0123456789")
    capsys.readouterr()
    code = phi_cmds.main(["phi", "scan", str(path), *args])
    return code, capsys.readouterr().out


@pytest.fixture
def core_runs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each scan took the core's counting (so a silent fallback fails the test)."""
    return spy_calls(monkeypatch, listed, "scan_listed")


@needs_core
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table_=tables(), limit=st.sampled_from(["0", "1", "3", "100"]), form=st.sampled_from(["json", "text"]))
def test_generated_tables_give_the_same_report(
    tmp_path: Path, capsys: Any, core_runs: list[bool], table_: tuple[str, bytes], limit: str, form: str
) -> None:
    fmt, raw = table_
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(raw)
    with pytest.MonkeyPatch.context() as mp:
        reference = _report(path, capsys, mp, "0", "--format", form, "--limit", limit)
        core_runs.clear()
        core = _report(path, capsys, mp, "1", "--format", form, "--limit", limit)
    assert core == reference
    assert all(core_runs)


@needs_core
def test_dense_corpus_gives_the_same_report(tmp_path: Path, capsys: Any, core_runs: list[bool]) -> None:
    path = tmp_path / "dense.csv"
    path.write_bytes((",".join(COLUMNS) + "\n").encode() + dense_block(200, seed=5))
    with pytest.MonkeyPatch.context() as mp:
        reference = _report(path, capsys, mp, "0", "--format", "json")
        core = _report(path, capsys, mp, "1", "--format", "json")
        every = _report(path, capsys, mp, "0", "--format", "json", "--limit", "0")
        every_core = _report(path, capsys, mp, "1", "--format", "json", "--limit", "0")
    assert core == reference and '"total": ' in core[1]
    assert every_core == every and every[1].count('"digest"') > 2000
    assert core_runs == [False, True, False, True]


@needs_core
@pytest.mark.parametrize("limit", ["0", "7", "100"])
def test_workers_count_in_the_core_and_give_the_same_report(
    tmp_path: Path, capsys: Any, core_runs: list[bool], limit: str
) -> None:
    """``--workers 2``: row ranges in processes, each counted by its own encoder, merged in file order."""
    path = tmp_path / "dense.csv"
    path.write_bytes((",".join(COLUMNS) + "\n").encode() + dense_block(300, seed=9))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(listed, "RANGE_BYTES", 16 << 10)  # several ranges on a small file
        reference = _report(path, capsys, mp, "0", "--format", "json", "--limit", limit)
        core_runs.clear()
        core = _report(path, capsys, mp, "1", "--format", "json", "--limit", limit, "--workers", "2")
    assert core == reference and '"total": ' in core[1]
    assert core_runs == [True]
