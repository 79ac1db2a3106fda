"""A file read as headerless is partitioned like a file with a header: same findings, same copy.

phi_scan and deidentify plan the byte ranges of a headerless CSV/TSV with the same planners they
use for a file with a header, counting rows from line 1 (no header line to skip). Whatever the
number of parts, the findings (rows, byte offsets, digests) and the de-identified copy are those
of one part.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.execution.executors.local import LocalExecutor
from engine.phi.scan.findings_file import read_findings
from stages import stage_04_phi_scan
from stages.components import DatasetProfile, DeidentifiedDataset, PhiFindingsSummary

ENTITY = "input:dataset"


@st.composite
def headerless_table(draw: st.DrawFn) -> tuple[str, str]:
    """A headerless CSV or TSV (its first row is data: an SSN, a date, numbers) of many rows, some
    with a quoted note holding a delimiter, a newline and a phone number."""
    delim = draw(st.sampled_from([",", "\t"]))
    lines = []
    for n in range(draw(st.integers(300, 500))):  # 11 KB or more: three partitions of 4 KiB at least
        ssn = f"{draw(st.integers(100, 665))}-{draw(st.integers(10, 99))}-{draw(st.integers(1000, 9999))}"
        date = f"20{draw(st.integers(10, 29))}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}"
        value = f"{draw(st.integers(0, 99))}.{draw(st.integers(0, 9))}"
        note = draw(st.sampled_from(["stable", f'"call (617) 555-01{n % 90 + 10:02d}{delim} then\nrecheck"',
                                     "labs pending", f'"seen{delim} no change"']))  # fmt: skip
        lines.append(delim.join([str(n + 1), ssn, date, value, note]))
    return delim, "\n".join(lines) + "\n"


def _run(path: Path, ws: Path, partition_bytes: int | None) -> tuple[list[dict[str, object]], str, object, int]:
    planned: list[int] = []
    plan = stage_04_phi_scan.plan_parts

    def counted(*args: Any) -> Any:
        parts = plan(*args)
        planned.append(len(parts))
        return parts

    world = World()
    world.add(ENTITY, InputDataset("dataset", str(path), "auto"))
    context = StageContext(world=world, workspace=ws, mode="DEMO", policy={"phi_policy": "warn"}, approvals=(),
                           phi_key=b"k" * 32, executor=LocalExecutor(partition_bytes=partition_bytes))  # fmt: skip
    with mock.patch.object(stage_04_phi_scan, "plan_parts", counted):
        results = asyncio.run(run_stages(["upload", "phi_scan", "deidentify"], context, configs={"deidentify": {}}))
    assert all(r.status is StageStatus.COMPLETED for r in results), [(r.stage_key, r.errors) for r in results]
    summary = world.get(ENTITY, PhiFindingsSummary)
    deid = world.get(ENTITY, DeidentifiedDataset)
    assert summary is not None and deid is not None
    findings = [f._asdict() for f in read_findings(ws / summary.findings_path)]
    return findings, (ws / deid.path).read_text(encoding="utf-8"), world.get(ENTITY, DatasetProfile), sum(planned)


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example, HealthCheck.data_too_large],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # a failure shows its file; no shrinking
@given(case=headerless_table(), partition_bytes=st.sampled_from([4096, 5000]))
def test_a_headerless_file_in_parts_gives_the_findings_and_copy_of_one_part(case: tuple[str, str],
                                                                            partition_bytes: int) -> None:
    delim, text = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("in.tsv" if delim == "\t" else "in.csv")
        path.write_text(text, encoding="utf-8")
        (Path(tmp) / "one").mkdir()
        (Path(tmp) / "many").mkdir()
        one, copy_one, profile, _ = _run(path, Path(tmp) / "one", None)
        many, copy_many, _, parts = _run(path, Path(tmp) / "many", partition_bytes)
    assert profile is not None and not profile.has_header  # type: ignore[attr-defined]
    assert parts > 1, "the headerless file was scanned as one task"
    assert many == one
    assert copy_many == copy_one
    raw = text.encode("utf-8")
    ssn = [f for f in one if f["category"] == "SSN"]
    assert [f["row"] for f in ssn] == list(range(1, len(ssn) + 1))  # rows counted from line 1
    assert all(raw[f["offset"] : f["offset"] + f["length"]].count(b"-") == 2 for f in ssn)  # type: ignore[index, operator]
