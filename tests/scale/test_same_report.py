"""Same report under every executor, worker count and partition size (no cluster needed here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.core.partitions import plan_byte_ranges
from engine.orchestrate import bundled_data
from tests.scale.conftest import outcome, run_demo

MANIFEST = """\
apiVersion: rflow/v1
kind: Pipeline
metadata: {{name: scale-test, version: "1.0.0"}}
inputs:
{inputs}
steps:
  - id: upload
    stage: upload
    config: {{ragged_rows: warn}}
  - id: phi_scan
    stage: phi_scan
  - id: deidentify
    stage: deidentify
    config: {{fail_on_residual: false{deid}}}
governance:
  default_mode: DEMO
  modes:
    DEMO: {{steps: [upload, phi_scan, deidentify], phi_policy: warn}}
"""


def manifest(folder: Path, files: dict[str, Path], deid: str = "") -> Path:
    inputs = "\n".join(f"  - name: {name}\n    default: {path.as_posix()}" for name, path in files.items())
    path = folder / "pipeline.yaml"
    path.write_text(MANIFEST.format(inputs=inputs, deid=deid))
    return path


@pytest.mark.parametrize(
    "executor",
    [{"executor": "local", "partition_bytes": 50_000},
     {"executor": "local", "workers": 2, "partition_bytes": 4096},
     {"executor": "processes", "workers": 2, "partition_bytes": 37_000}],
    ids=["local-50k", "local-threads-4k", "processes-2-37k"],
)
def test_demo_report_is_the_same(executor: dict[str, Any], local_demo: dict[str, Any], tmp_path: Path) -> None:
    got = run_demo(tmp_path / "run", executor=executor)
    assert got["status"] == "completed"
    assert got == local_demo


def _several_inputs(folder: Path) -> dict[str, Path]:
    demo = bundled_data("demo_study.csv")
    text = demo.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    files = {"visits": folder / "visits.csv", "tabbed": folder / "tabbed.tsv", "legacy": folder / "legacy.csv",
             "notes": folder / "notes.txt"}
    files["visits"].write_text("".join(lines[:2500]), encoding="utf-8")
    files["tabbed"].write_text("".join(line.replace(",", "\t") for line in lines[:800]), encoding="utf-8")
    # cp1252 and ';': the per-cell scanner path; still split into ranges for de-identification.
    legacy = "".join(line.replace(",", ";") for line in lines[:600]).replace("e", "é")
    files["legacy"].write_bytes(legacy.encode("cp1252", "replace"))
    files["notes"].write_text("".join(f"Seen by Dr. Okafor, call (617) 555-01{i % 90 + 10} re MRN {100000 + i}\n"
                                      for i in range(3000)), encoding="utf-8")
    return files


def test_several_inputs_and_partition_sizes(tmp_path: Path) -> None:
    files = _several_inputs(tmp_path)
    path = manifest(tmp_path, files)
    whole = run_demo(tmp_path / "whole", path, executor="local")
    assert whole["status"] == "completed"
    assert len(whole["steps"][1]["output"]["inputs"]) == 4
    assert whole["steps"][1]["output"]["inputs"]["legacy"]["scanner"] == "per_cell"
    for n, executor in enumerate([{"partition_bytes": 4096}, {"executor": "processes", "workers": 2,
                                                              "partition_bytes": 9000}]):
        assert run_demo(tmp_path / f"split{n}", path, executor=executor) == whole, executor


def test_malformed_quoting_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    # A lone quote in an unquoted field flips quote parity, so a later quoted field with a newline
    # looks like a row end to the planner: the range reader notices and the input is redone whole.
    rows = ["id,height,note"]
    rows.append("1,5'10\" tall,ok")
    rows += [f"{i},170,routine visit number {i}" for i in range(2, 200)]
    rows.append('200,180,"first line')
    rows.append('second line of the note"')
    rows += [f"{i},165,follow up {i}" for i in range(201, 400)]
    data = tmp_path / "quotes.csv"
    data.write_text("\n".join(rows) + "\n")
    _, ranges = plan_byte_ranges(data, 4096, header=True, quoted=True)
    assert len(ranges) > 1
    path = manifest(tmp_path, {"dataset": data})
    whole = run_demo(tmp_path / "whole", path, executor="local")
    split = run_demo(tmp_path / "split", path, executor={"partition_bytes": 4096})
    assert split == whole and whole["status"] == "completed"


def test_a_bad_row_in_a_later_partition_is_reported_by_its_file_row(tmp_path: Path) -> None:
    rows = ["id,note"] + [f"{i},visit {i}" for i in range(1, 401)]
    rows[300] = "300," + "x" * 500
    data = tmp_path / "long.csv"
    data.write_text("\n".join(rows) + "\n")
    path = manifest(tmp_path, {"dataset": data}, deid=", max_field_chars: 300")
    whole = run_demo(tmp_path / "whole", path, executor="local")
    split = run_demo(tmp_path / "split", path, executor={"partition_bytes": 4096})
    assert whole["steps"][2]["status"] == "failed"
    assert "data row 300 " in whole["steps"][2]["errors"][0]
    assert split == whole


def test_progress_counts_partitions(tmp_path: Path) -> None:
    from engine.execution.step_runner import RunObserver

    class Seen(RunObserver):
        def __init__(self) -> None:
            self.events: list[tuple[str, int, int]] = []

        def step_progress(self, index: int, total: int, step: Any, done: int, tasks: int) -> None:
            self.events.append((step.step_id, done, tasks))

    seen = Seen()
    run_demo(tmp_path / "run", executor={"partition_bytes": 100_000}, observer=seen)
    scans = [e for e in seen.events if e[0] == "phi_scan"]
    assert scans and scans[-1][1] == scans[-1][2] > 1
    assert [d for _, d, _ in scans] == list(range(1, scans[-1][2] + 1))
    assert outcome(tmp_path / "run")["status"] == "completed"
