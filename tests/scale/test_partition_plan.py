"""The one partition planner: ranges tile the data on row ends, each numbered by the rows before it."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.core import partitions
from engine.core.partitions import plan_byte_ranges
from engine.execution.executors.local import LocalExecutor
from engine.phi.scan.rows import row_ends
from stages import stage_04_phi_scan
from stages.stage_06_deidentify import ranges as deid_ranges
from tests.phi.csv_oracle import csv_row_ends

CELLS = st.text(alphabet='ab,"\n\r', max_size=12)


def _reference_first_rows(data: bytes, start: int, quoted: bool, offsets: list[int]) -> list[int]:
    """Each offset's row number: as csv.reader counts the rows of a table, by newlines otherwise."""
    out = []
    for offset in offsets:
        body = data[start:offset]
        plain = body.count(b"\n") + (0 if not body or body.endswith(b"\n") else 1)
        rows = sum(e <= offset - start for e in csv_row_ends(data[start:], ",")) if quoted else plain
        out.append(1 + rows)
    return out


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.tuples(CELLS, st.sampled_from(["\n", "\r\n", "\r"])).map("".join), max_size=40),
       target=st.integers(1, 64), header=st.booleans(), quoted=st.booleans())
def test_ranges_tile_the_data_on_row_ends_with_global_row_numbers(
        tmp_path_factory, lines: list[str], target: int, header: bool, quoted: bool) -> None:
    path = Path(tmp_path_factory.mktemp("plan")) / "t.csv"
    data = "".join(lines).encode("utf-8")  # a table's rows end at LF, CRLF or a lone CR, as csv reads them
    path.write_bytes(data)
    start, ranges = plan_byte_ranges(path, target, header=header, quoted=quoted)
    assert ranges[0].start == start and ranges[-1].end == len(data) and ranges[-1].last
    assert all(a.end == b.start and not a.last for a, b in itertools.pairwise(ranges))
    ends = {start + e for e in (csv_row_ends(data[start:], ",") if quoted else [])}
    if header and quoted:
        assert start == (csv_row_ends(data, ",") or [0])[0]
    for r in ranges[1:]:
        if quoted:
            assert r.start in ends  # never inside a quoted field nor between CR and LF
        else:
            assert data[r.start - 1 : r.start] == b"\n"
    expected = _reference_first_rows(data, start, quoted, [r.start for r in ranges])
    assert [r.first_row for r in ranges] == expected


def test_a_plan_is_kept_until_the_file_changes(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"h\n" + b"a,b\n" * 5000)
    first = plan_byte_ranges(path, 4096, header=True, quoted=True)
    reads = []
    real_open = open
    monkeypatch.setattr(partitions, "open", lambda *a, **k: reads.append(a) or real_open(*a, **k), raising=False)
    assert plan_byte_ranges(path, 4096, header=True, quoted=True) == first
    assert reads == []  # the second stage asking plans nothing again
    path.write_bytes(b"h\n" + b"a,b\n" * 6000)
    again = plan_byte_ranges(path, 4096, header=True, quoted=True)
    assert reads and again != first


def test_phi_scan_and_deidentify_plan_the_same_parts_once(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "demo_study.csv"  # a file no plan was cached for
    data.write_bytes((Path(__file__).resolve().parents[2] / "engine" / "data" / "demo_study.csv").read_bytes())
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(partitions, "open", lambda *a, **k: opened.append(str(a[0])) or real_open(*a, **k),
                        raising=False)
    planned: dict[str, list[tuple[int, int]]] = {}

    def recorded(stage: str, plan):
        def spy(*args, **kwargs):
            result = plan(*args, **kwargs)
            parts = result if isinstance(result, list) else [(s, e) for s, e, _ in result.ranges]
            planned[stage] = [(p.start, p.end) if hasattr(p, "start") else p for p in parts]
            return result
        return spy

    monkeypatch.setattr(stage_04_phi_scan, "plan_parts", recorded("phi_scan", stage_04_phi_scan.plan_parts))
    monkeypatch.setattr(deid_ranges, "prepare_input", recorded("deidentify", deid_ranges.prepare_input))
    monkeypatch.setattr("stages.stage_06_deidentify.stage.prepare_input", deid_ranges.prepare_input)
    world = World()
    world.add("input:dataset", InputDataset("dataset", str(data), "auto"))
    context = StageContext(world=world, workspace=tmp_path, mode="DEMO", policy={"phi_policy": "warn"},
                           approvals=(), phi_key=b"k" * 32, executor=LocalExecutor(2, partition_bytes=65536))
    results = asyncio.run(run_stages(["upload", "phi_scan", "deidentify"], context))
    assert [r.status for r in results] == [StageStatus.COMPLETED] * 3, [r.errors for r in results]
    scan, deid = planned["phi_scan"], planned["deidentify"]
    assert len(deid) > 5
    assert [(0, scan[0][1]), *scan[1:]] == [(0, deid[0][1]), *deid[1:]]  # the scan's first part adds the header
    assert opened == [str(data)]  # planned once for both stages


def _stray_quote_table(rows: int) -> bytes:
    """Rows with a quote inside an unquoted cell, quoted cells with newlines and doubled quotes, CRLF."""
    lines = [b"id,height,note,mrn"]
    for i in range(rows):
        note = b'"seen\n""twice"", ok"' if i % 7 == 0 else b"ok"
        lines.append(b"%d,5'%d\",%s,%08d" % (i, i % 12, note, 18815984 + i))
    return b"\r\n".join(lines) + b"\r\n"


def test_a_plan_over_many_blocks_cuts_on_the_csv_row_ends(tmp_path: Path) -> None:
    # larger than the planner's 1 MiB read, so rows and quoted fields run across its blocks
    data = _stray_quote_table(120_000)
    assert len(data) > 3_000_000
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    start, ranges = plan_byte_ranges(path, 200_000, header=True, quoted=True)
    ends = {start + e for e in row_ends(data[start:], b",")}
    assert len(ranges) > 10 and all(r.start in ends for r in ranges[1:])
    assert [r.first_row for r in ranges] == _reference_first_rows(data, start, True, [r.start for r in ranges])
    assert ranges[-1].first_row > 110_000  # a stray quote did not swallow the rows after it


def test_a_quote_left_open_makes_the_rest_one_range(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    data = b"h\n" + b"a,b\n" * 1000 + b'c,"open\n' + b"a,b\n" * 400_000
    path.write_bytes(data)
    _, ranges = plan_byte_ranges(path, 1000, header=True, quoted=True)
    open_at = data.index(b'"')
    assert ranges[-1].start <= open_at and ranges[-1].end == len(data)
    assert all(r.end <= open_at for r in ranges[:-1])
