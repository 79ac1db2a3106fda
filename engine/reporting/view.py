"""The HTML report's view: report.json turned into display-ready rows (header, steps, decisions).

Every string here has gone through :mod:`engine.reporting.values` (so :func:`engine.core.display.shown`);
the template only lays it out. The data sections (PHI, quality, de-identification) are in
:mod:`engine.reporting.sections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.core.display import shown_path
from engine.reporting import charts
from engine.reporting.sections import data_sections
from engine.reporting.sources import Locator
from engine.reporting.values import (
    count,
    digest,
    iso,
    items,
    mapping,
    moment,
    number,
    seconds,
    size,
    status_class,
    text,
)


def _decision(d: Mapping[str, Any], where: Locator) -> dict[str, Any]:
    return {"policy": text(d.get("policy"), 40), "subject": text(d.get("subject"), 80),
            "outcome": text(d.get("outcome"), 40), "css": status_class(d.get("outcome")),
            "reason": text(d.get("reason"), 500), "at": iso(d.get("at")), "where": where(d)}


def header(data: Mapping[str, Any], run_dir: Path, audit: tuple[bool, str]) -> dict[str, Any]:
    manifest = mapping(data.get("manifest"))
    executor = mapping(data.get("executor"))
    return {
        "run_id": text(data.get("run_id"), 80), "job_id": text(data.get("job_id"), 130),
        "status": text(data.get("status"), 40), "css": status_class(data.get("status")),
        "exit_code": text(data.get("exit_code"), 8), "mode": text(data.get("mode"), 64),
        "pipeline": text(manifest.get("name"), 120), "version": text(manifest.get("version"), 64),
        "sha256": text(manifest.get("sha256"), 64), "manifest_path": text(manifest.get("path"), 300),
        "api_version": text(manifest.get("api_version"), 40), "rflow_version": text(data.get("rflow_version"), 40),
        "started": iso(data.get("started_at")), "finished": iso(data.get("finished_at")),
        "duration": seconds(data.get("duration_s")), "phi_key_source": text(data.get("phi_key_source"), 20),
        "executor": text(executor.get("kind"), 20), "workers": text(executor.get("workers"), 8),
        "run_dir": shown_path(run_dir), "audit_ok": audit[0], "audit": audit[1], "error": text(data.get("error"), 500),
        "inputs": [{"name": text(i.get("name"), 64), "file": text(i.get("file"), 200),
                    "size": size(i.get("size_bytes")), "bytes": count(i.get("size_bytes")),
                    "sha256": digest(i.get("sha256")), "sha256_full": text(i.get("sha256"), 64),
                    "format": text(i.get("format"), 20)} for i in map(mapping, items(data.get("inputs")))],
        "selection": _selection(data.get("selection")),
    }


def _selection(value: Any) -> str:
    chosen = mapping(value)
    if not chosen:
        return ""
    only = ", ".join(text(s, 64) for s in items(chosen.get("only")))
    start = text(chosen.get("from"), 64)
    return "; ".join(p for p in (f"--only {only}" if only else "", f"--from {start}" if start else "") if p)


def steps(data: Mapping[str, Any], where: Locator) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
    """Step rows (each with its decisions), the run-level decisions, and the timeline chart."""
    decisions = [mapping(d) for d in items(data.get("policy_decisions"))]
    step_ids = {text(s.get("step_id"), 64) for s in map(mapping, items(data.get("steps")))}
    run_start = moment(data.get("started_at"))
    rows, timeline_rows = [], []
    for index, step in enumerate(map(mapping, items(data.get("steps"))), start=1):
        step_id = text(step.get("step_id"), 64)
        started = moment(step.get("started_at"))
        offset = (started - run_start).total_seconds() if started and run_start else None
        mine = [_decision(d, where) for d in decisions if text(d.get("subject"), 64) == step_id]
        errors, warnings = items(step.get("errors")), items(step.get("warnings"))
        rows.append({
            "index": index, "id": step_id, "anchor": f"step-{index}",
            "stage": f"{text(step.get('stage_key'), 64)}@{text(step.get('stage_version'), 40)}",
            "name": text(step.get("stage_name"), 120), "status": text(step.get("status"), 40),
            "css": status_class(step.get("status")), "duration": seconds(step.get("duration_s")),
            "started": iso(step.get("started_at")), "finished": iso(step.get("finished_at")),
            "errors": len(errors), "warnings": len(warnings), "blocked_by": text(step.get("blocked_by"), 200),
            "artifacts": [text(a, 200) for a in items(step.get("artifacts"))], "decisions": mine,
        })
        label = f"{text(step.get('status'), 40)} {seconds(step.get('duration_s'))}".strip()
        timeline_rows.append((step_id, offset, number(step.get("duration_s")) if offset is not None else None,
                              label, status_class(step.get("status"))))
    run_level = [_decision(d, where) for d in decisions if text(d.get("subject"), 64) not in step_ids]
    chart = charts.timeline("Step timeline (seconds from the start of the run)", timeline_rows)
    return rows, run_level, chart


def warnings(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every warning and error a step recorded, and the run's own notices, in run order."""
    out = []
    if data.get("error"):
        out.append({"where": "run", "kind": "error", "text": text(data.get("error"), 500)})
    for step in map(mapping, items(data.get("steps"))):
        step_id = text(step.get("step_id"), 64)
        out += [{"where": step_id, "kind": "error", "text": text(e, 500)} for e in items(step.get("errors"))]
        out += [{"where": step_id, "kind": "warning", "text": text(w, 500)} for w in items(step.get("warnings"))]
    notices = items(mapping(data.get("audit")).get("notices"))
    out += [{"where": "audit", "kind": "warning", "text": text(n, 500)} for n in notices]
    return out


def build_view(data: Mapping[str, Any], *, run_dir: Path, audit: tuple[bool, str], where: Locator,
               graph: Any = None) -> dict[str, Any]:
    """Everything the template shows, display-safe."""
    step_rows, run_decisions, chart = steps(data, where)
    return {
        "header": header(data, run_dir, audit), "steps": step_rows, "run_decisions": run_decisions,
        "timeline": charts.as_dict(chart), "warnings": warnings(data), "graph": graph,
        **data_sections(data, run_dir),
    }
