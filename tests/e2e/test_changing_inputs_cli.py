"""An input that changes while ``rflow run`` reads it fails the run, with a line and a record.

A test plugin stage changes the input between steps, in each way a file can change: rows
appended, cut short, rewritten in place with its size and modification time kept, removed.
"""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import ROOT, install_plugin, load_report, rflow, statuses
from .test_run_cli import assert_valid_run

TAMPER_PLUGIN = """
    import os
    from typing import Literal

    import attrs
    from engine import InputDataset, StageResult


    def tamper(path, how):
        st = os.stat(path)
        if how == "append":
            with open(path, "a") as handle:
                handle.write("S99999,late,row\\n" * 20)
        elif how == "truncate":
            os.truncate(path, st.st_size // 2)
        elif how == "rewrite":
            with open(path, "r+b") as handle:
                first = handle.read(1)
                handle.seek(0)
                handle.write(b"#" if first != b"#" else b"!")
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        elif how == "remove":
            os.remove(path)


    class Tamper:
        stage_id = 953
        stage_name = "Change the input (test plugin)"
        key = "tamper"
        version = "1.0.0"
        reads = (InputDataset,)
        writes = ()
        modes = ("*",)
        touches_raw_data = False

        @attrs.frozen
        class Config:
            how: Literal["append", "truncate", "rewrite", "remove"] = "append"

        async def execute(self, context):
            for _, dataset in context.world.query(InputDataset):
                await context.run_blocking(tamper, dataset.path, context.config.how)
            return StageResult.completed({"changed": context.config.how})
"""


def _manifest(tmp_path, how: str, later: list[str]):
    steps = ["upload", "tamper", *later]
    text = (
        "apiVersion: rflow/v1\nkind: Pipeline\n"
        "metadata: {name: tampered, version: '1.0.0', description: An input that changes mid-run.}\n"
        "inputs:\n  - {name: dataset, format: csv}\n"
        "steps:\n  - {id: upload, stage: upload}\n"
        f"  - {{id: tamper, stage: tamper, config: {{how: {how}}}}}\n"
        + "".join(f"  - {{id: {s}, stage: {s}}}\n" for s in later)
        + f"governance:\n  default_mode: DEMO\n  modes:\n    DEMO: {{steps: [{', '.join(steps)}], phi_policy: warn}}\n"
    )
    path = tmp_path / "tampered.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("how", "later"), [
    ("append", ["phi_scan"]),     # caught by the size check before phi_scan
    ("truncate", ["phi_scan"]),
    ("remove", ["phi_scan"]),
    ("append", []),               # the last step changed it: caught by the check at the end
    ("rewrite", ["phi_scan"]),    # same size and mtime: only the hash at the end sees it
])
def test_an_input_changed_mid_run_fails_the_run(tmp_path, how, later) -> None:
    data = tmp_path / "export.csv"
    shutil.copy(ROOT / "engine" / "data" / "demo_study.csv", data)
    env = install_plugin(tmp_path, "rflow_tamper", TAMPER_PLUGIN, {"tamper": "Tamper"})
    out = tmp_path / "run"
    proc = rflow("run", str(_manifest(tmp_path, how, later)), "--input", f"dataset={data}", "--out", str(out),
                 cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.startswith("rflow:")]
    assert line.startswith("rflow: input 'dataset' changed during the run: ")
    report = assert_valid_run(out)
    assert report["status"] == "failed"
    changed = [d for d in report["policy_decisions"] if d["policy"] == "input" and d["outcome"] == "failed"]
    assert len(changed) == 1 and changed[0]["subject"] == "dataset"
    audit = [json.loads(x) for x in (out / "audit.jsonl").read_text().splitlines()]
    decided = [e.get("data", {}) for e in audit if e.get("event") == "policy_decision"]
    assert any(d.get("policy") == "input" and d.get("outcome") == "failed" for d in decided)
    steps = statuses(report)
    if how in ("append", "truncate", "remove") and later:
        assert steps["phi_scan"] == "failed" and report["steps"][2]["started_at"] is None


def test_an_unchanged_input_is_recorded_as_such(tmp_path) -> None:
    out = tmp_path / "run"
    proc = rflow("run", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    passed = [d for d in load_report(out)["policy_decisions"] if d["policy"] == "input"]
    assert [d["outcome"] for d in passed] == ["passed"]
