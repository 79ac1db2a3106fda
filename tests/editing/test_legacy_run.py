"""A migrated legacy job runs the same stages, in the same order, with the same configs and the
same outcomes as the legacy numeric loop (``run_stages`` over the job's stage ids and configs)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from engine import InputDataset, StageContext, World, run_stages
from engine.authoring.migrate import migrate_text
from engine.core.engine_components import RunInfo
from engine.execution.step_runner import plan_stage_ids
from engine.manifest import load_manifest, plan
from engine.orchestrate import bundled_data, run_manifest
from tests.editing.conftest import GOLDEN

KEY = b"k" * 32


def test_migrated_legacy_job_runs_like_the_legacy_loop(tmp_path: Path) -> None:
    payload = json.loads((GOLDEN / "legacy_job.json").read_text("utf-8"))
    manifest_path = tmp_path / "pipeline.yaml"
    manifest_path.write_text(migrate_text(json.dumps(payload) + "\n", output=manifest_path).text, "utf-8")

    # Same stages, order and structured configs, before anything runs.
    the_plan = plan(load_manifest(manifest_path), "DEMO")
    legacy_plan = plan_stage_ids(payload["stages"], payload["config"])
    assert [(s.stage.key, s.config) for s in the_plan.steps] == [(s.stage.key, s.config) for s in legacy_plan]  # type: ignore[attr-defined]

    # Same outcomes when run: the manifest through run_manifest, the job through the legacy loop,
    # both on the first 300 visits of the bundled study (the whole study only takes longer).
    lines = bundled_data("demo_study.csv").read_text("utf-8").splitlines(keepends=True)
    data = tmp_path / "study.csv"
    data.write_text("".join(lines[:301]), "utf-8")
    report = run_manifest(manifest_path, mode="DEMO", inputs={"dataset": data}, out_dir=tmp_path / "manifest-run",
                          phi_key=KEY)
    world = World()
    world.add("run", RunInfo("legacy", payload["job_id"], "DEMO"))
    world.add("input:dataset", InputDataset("dataset", str(data), "auto"))
    context = StageContext(job_id=payload["job_id"], mode="DEMO", world=world, workspace=tmp_path / "legacy-run",
                           phi_key=KEY, policy={"phi_policy": "warn"})
    results = asyncio.run(run_stages(payload["stages"], context, payload["stop_on_failure"],
                                     configs=payload["config"]))

    migrated = [(s.stage_key, s.status) for s in report.steps]
    legacy = [(r.stage_key, r.status.value) for r in results]
    assert migrated == legacy
    assert [k for k, _ in migrated] == ["upload", "schema_check", "validate", "phi_scan", "deidentify", "summary"]
    assert {status for _, status in migrated} == {"completed"}
