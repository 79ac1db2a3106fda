"""The findings a caller does not accept, dropped in the core, are the reference's, in its order.

The rescan of a de-identified copy counts by column and category only the findings that are not
accepted there (``scan_range_kept``). The reference is ``RFLOW_PHI_REGEX=re`` (no core at all):
``scan_range``'s findings filtered by category in Python, as the rescan filtered them before.
``RFLOW_PHI_CORE_KEPT=0`` (the core finds, Python makes a ``Finding`` each and filters) must agree
too. Generated CSV/TSV with drawn accepted categories per column, both tiers, several chunk sizes;
a dense generated file; the deidentify stage's copy and output (its rescan counts) on every path;
bad arguments through the binding (an error, never a panic).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block
from stage_runs import deidentified
from test_core_table import spy_calls, tables

from engine.phi import load_registry, native, native_match, scanner
from engine.phi.scan import kept

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
CATEGORIES = sorted(c.name for c in load_registry().categories)
Accepted = dict[str, set[str]]


def _reference(path: Path, mp: pytest.MonkeyPatch, accepted: Accepted, **kw: Any) -> list[Any]:
    """``scan_range``'s findings not accepted in their column, with the Python path."""
    mp.setenv(native_match.ENV_ENGINE, "re")
    found = scanner.scan_range(path, 0, path.stat().st_size, **kw)
    return [(f.category, f.row, f.column) for f in found if f.category not in accepted.get(f.column or "", ())]


def _kept(path: Path, mp: pytest.MonkeyPatch, flag: str, accepted: Accepted, **kw: Any) -> list[Any]:
    mp.setenv(native_match.ENV_ENGINE, "auto")
    mp.setenv(kept.ENV, flag)
    return list(scanner.scan_range_kept(path, 0, path.stat().st_size, accepted, **kw))


@pytest.fixture
def core_chunks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each table chunk was filtered by the core (so a silent fallback fails the test)."""
    return spy_calls(monkeypatch, scanner, "kept_table_chunk")


@st.composite
def accepted_for(draw: Any, names: list[str]) -> Accepted:
    """Accepted categories for some of ``names`` and for ``""`` (the header line, columns past it)."""
    columns = draw(st.lists(st.sampled_from(names), unique=True))
    return {name: set(draw(st.lists(st.sampled_from(CATEGORIES), max_size=6))) for name in columns}


@needs_core
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(table_=tables(), chunk_size=st.sampled_from([64, 1 << 10, 1 << 20]), tier=st.sampled_from(["scan", "guard"]),
       data=st.data())  # fmt: skip
def test_generated_tables_keep_the_reference_findings(
    tmp_path: Path, core_chunks: list[bool], table_: tuple[str, bytes], chunk_size: int, tier: str,
    data: st.DataObject,
) -> None:  # fmt: skip
    fmt, raw = table_
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(raw)
    header = raw.decode("utf-8").removeprefix("\ufeff").splitlines()[0].split("," if fmt == "csv" else "\t")
    accepted = data.draw(accepted_for(["", *header]))
    categories = data.draw(st.sampled_from([None, {"name": None}, {"note": "NAME"}]))
    kw: dict[str, Any] = {"format": fmt, "chunk_size": chunk_size, "tier": tier, "categories": categories}
    with pytest.MonkeyPatch.context() as mp:
        found = _reference(path, mp, {}, **kw)
        if found and data.draw(st.booleans()):  # all the reference finds in one column is accepted there
            column = found[0][2] or ""
            accepted[column] = accepted.get(column, set()) | {c for c, _, col in found if (col or "") == column}
        reference = _reference(path, mp, accepted, **kw)
        previous = _kept(path, mp, "0", accepted, **kw)
        core_chunks.clear()
        core = _kept(path, mp, "1", accepted, **kw)
    assert previous == reference
    assert core == reference
    assert all(core_chunks)


def _dense_file(tmp_path: Path) -> Path:
    path = tmp_path / "dense.csv"
    body = dense_block(250, seed=9).replace(b"\n", b"\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + (",".join(COLUMNS) + "\r\n").encode() + body)
    return path


@needs_core
@pytest.mark.parametrize("chunk_size", [1 << 12, 1 << 16, 1 << 20])
def test_dense_file_keeps_the_reference_findings(tmp_path: Path, core_chunks: list[bool], chunk_size: int) -> None:
    path = _dense_file(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        everything = _reference(path, mp, {}, chunk_size=chunk_size, tier="guard")
    # what the rescan accepts by design: each column's most frequent categories, the others not
    by_column: dict[str, dict[str, int]] = {}
    for category, _, column in everything:
        per = by_column.setdefault(column or "", {})
        per[category] = per.get(category, 0) + 1
    accepted = {column: set(sorted(per, key=lambda c: -per[c])[:1]) for column, per in by_column.items()}
    categories = {"mrn": "MRN", "zip": "ZIP", "ssn": "SSN", "name": None}
    kw: dict[str, Any] = {"chunk_size": chunk_size, "tier": "guard", "categories": categories}
    with pytest.MonkeyPatch.context() as mp:
        reference = _reference(path, mp, accepted, **kw)
        core_chunks.clear()
        core = _kept(path, mp, "1", accepted, **kw)
    assert core == reference
    assert core_chunks and all(core_chunks)
    assert len(everything) > 3000 and 500 < len(reference) < len(everything) - 1000


@needs_core
@pytest.mark.parametrize(("partition_bytes", "workers"), [(1 << 30, 1), (1 << 16, 2)])
def test_the_stage_counts_the_same_residuals_on_every_path(
    tmp_path: Path, partition_bytes: int, workers: int
) -> None:
    from dataplane_e2e import write_dense_csv

    path = tmp_path / "dense.csv"
    write_dense_csv(path, 0.25)
    configs = {"deidentify": {"dictionary": "bundled:demo_dictionary.yaml", "dates": "shift",
                              "identifiers": "pseudonym", "columns": {"ssn": "keep", "notes": "keep"}}}
    runs = {
        name: deidentified(path, tmp_path / name, env, partition_bytes, workers, configs)
        for name, env in (("core", {kept.ENV: "1"}), ("filtered", {kept.ENV: "0"}),
                          ("ref", {native_match.ENV_ENGINE: "re"}))
    }
    assert runs["core"] == runs["filtered"] == runs["ref"]
    output: Any = runs["core"][1]
    rescan = output["inputs"]["dataset"]["rescan"]
    assert rescan["residual_findings"] > 1000 and rescan["by_column_category"]["ssn"]["SSN"] > 500, rescan


@needs_core
def test_bad_arguments_are_errors_not_panics(chunk_call: Any) -> None:
    core, _, matcher, data, cues, asker = chunk_call

    def call(extras: Any = (), accepted: Any = ([], [], []), original: Any = None, mapping: Any = None) -> Any:
        return core.kept_table_chunk(
            matcher, data, 44, list(extras), cues, None, [], list(accepted), asker, lambda cells: [True] * len(cells),
            original, mapping,
        )  # fmt: skip

    for extras in ([(5, 2, 0)], [(0, 999, 0)], [(0, 2, 7)]):
        with pytest.raises(ValueError, match="cue span"):
            call(extras)
    with pytest.raises(ValueError, match="entry past the header"):
        call(accepted=[])
    with pytest.raises(ValueError, match="offset map"):
        call(original=data)
    found, nrows = call([(12, 17, 0)])
    assert nrows == 1 and ("NAME", 0, 1) in found
    found, _ = call([(12, 17, 0)], accepted=[[], ["NAME"], []])
    assert ("NAME", 0, 1) not in found
