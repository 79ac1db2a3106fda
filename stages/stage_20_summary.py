"""Stage 20, ``summary``: the study summary, from de-identified data and earlier metadata only.

Why it reads the de-identified copy and never the raw input: the summary is the artifact people
share, and under ``phi_policy: block`` it must be able to run after PHI was found
(``touches_raw_data = False``). Even so, categorical values are shown only when they are short,
frequent (small cells suppressed below ``min_cell_count``) and pass the PHI guard.

Writes ``summary/study_summary.json`` (machine-readable) and ``summary/study_summary.md`` (for
people): per-column statistics, and the outcome of schema check, validation, PHI scan and
de-identification as recorded in their components.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import attrs

from engine import StageContext, StageResult, register_stage
from engine.display import shown
from engine.types import ANY_MODE
from stages._common import atomic_output, relative_to_workspace
from stages.components import (
    DatasetProfile,
    DeidentifiedDataset,
    PhiFindingsSummary,
    QualityReport,
    SchemaReport,
    StudySummary,
)
from stages.dictionary import parse_number
from stages.tabular import DEFAULT_MAX_FIELD_CHARS, TableFormat, TableReader

MAX_VALUE_CHARS = 40
RESERVOIR = 10_000


@attrs.frozen
class SummaryConfig:
    """What the summary shows."""

    title: str = attrs.field(
        default="Study summary", metadata={"description": "Heading of the summary page.", "schema": {"maxLength": 120}}
    )
    top_values: int = attrs.field(
        default=5, metadata={"description": "Most frequent values shown per categorical column.",
                             "schema": {"minimum": 0, "maximum": 50}}
    )
    max_categories: int = attrs.field(
        default=30, metadata={"description": "A column with more distinct values is not treated as categorical.",
                              "schema": {"minimum": 1, "maximum": 1000}}
    )
    min_cell_count: int = attrs.field(
        default=5, metadata={"description": "Counts below this are shown as '<N' (small-cell suppression).",
                             "schema": {"minimum": 1}}
    )
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


class _ColumnStats:
    """Streaming statistics of one column: counts, Welford mean/variance, a reservoir for quantiles."""

    def __init__(self, max_categories: int, rng: random.Random) -> None:
        self.n = self.missing = self.numeric = 0
        self.mean = self.m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.sample: list[float] = []
        self.counts: dict[str, int] | None = {}
        self.max_categories = max_categories
        self.total_length = 0
        self.rng = rng

    def add(self, text: str) -> None:
        self.n += 1
        value = text.strip()
        if not value:
            self.missing += 1
            return
        self.total_length += len(value)
        if self.counts is not None:
            self.counts[value] = self.counts.get(value, 0) + 1
            if len(self.counts) > self.max_categories:
                self.counts = None
        # A leading zero ("021", "0042") marks a code, not a quantity: no mean of ZIP prefixes.
        if len(value) > 1 and value[0] == "0" and value[1] != ".":
            return
        number = parse_number(value)
        if number is None or not math.isfinite(number):
            return
        self.numeric += 1
        delta = number - self.mean
        self.mean += delta / self.numeric
        self.m2 += delta * (number - self.mean)
        self.min = min(self.min, number)
        self.max = max(self.max, number)
        if len(self.sample) < RESERVOIR:
            self.sample.append(number)
        else:
            j = self.rng.randrange(self.numeric)
            if j < RESERVOIR:
                self.sample[j] = number

    def result(self, config: SummaryConfig) -> dict[str, Any]:
        from engine.phi import contains_phi

        present = self.n - self.missing
        out: dict[str, Any] = {"count": present, "missing": self.missing}
        if present and self.numeric >= 0.95 * present:
            ordered = sorted(self.sample)

            def q(p: float) -> float:
                return round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))], 4)

            sd = math.sqrt(self.m2 / (self.numeric - 1)) if self.numeric > 1 else 0.0
            out.update(kind="numeric", min=round(self.min, 4), max=round(self.max, 4),
                       mean=round(self.mean, 4), sd=round(sd, 4), p25=q(0.25), median=q(0.5), p75=q(0.75))
        elif self.counts is not None:
            out["kind"] = "categorical"
            out["distinct"] = len(self.counts)
            shown = []
            for value, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[: config.top_values]:
                if count < config.min_cell_count or len(value) > MAX_VALUE_CHARS or contains_phi(value):
                    continue
                shown.append({"value": value, "count": count})
            out["top_values"] = shown
        else:
            out["kind"] = "text"
            out["mean_length"] = round(self.total_length / present, 1) if present else 0
        return out


def column_statistics(path: Path, config: SummaryConfig, checkpoint: Callable[[], None] | None = None
                      ) -> tuple[int, dict[str, dict[str, Any]]]:
    """``(rows, stats per column)`` of a de-identified CSV (blocking, one pass)."""
    rng = random.Random(0)
    fmt = TableFormat(format="csv", encoding="utf-8", delimiter=",")
    with TableReader(path, fmt, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
        stats = [_ColumnStats(config.max_categories, rng) for _ in reader.columns]
        for row in reader:
            for i, col in enumerate(stats):
                col.add(row[i] if i < len(row) else "")
        return reader.row, {name: s.result(config) for name, s in zip(reader.columns, stats, strict=True)}


def _outcomes(world: Any, entity: str) -> dict[str, Any]:
    schema = world.get(entity, SchemaReport)
    quality = world.get(entity, QualityReport)
    phi = world.get(entity, PhiFindingsSummary)
    deid = world.get(entity, DeidentifiedDataset)
    return {
        "schema_check": None if schema is None else {
            "status": schema.status, "errors": schema.errors_total, "warnings": schema.warnings_total,
            "missing_columns": len(schema.missing_columns), "unchecked_columns": len(schema.unchecked_columns),
        },
        "validate": None if quality is None else {
            "status": quality.status, "errors": quality.errors_total, "warnings": quality.warnings_total,
            "rules_checked": quality.rules_checked, "rules_not_applicable": quality.rules_not_applicable,
        },
        "phi_scan": None if phi is None else {
            "findings": phi.findings_total, "rows_with_findings": phi.rows_with_findings,
            "by_category": dict(phi.by_category), "decision": phi.decision, "policy": phi.policy,
        },
        "deidentify": None if deid is None else {
            "rows": deid.rows, "columns": len(deid.columns), "columns_dropped": len(deid.columns_dropped),
            "replacements": dict(deid.replacements), "residual_findings": deid.residual_findings,
        },
    }


def _markdown(summary: dict[str, Any], min_cell: int) -> str:
    lines = [f"# {shown(summary['title'])}", "",
             f"Run `{shown(summary['run_id'])}` in mode **{shown(summary['mode'])}**, generated "
             f"{summary['generated_at']}.", "",
             "All figures come from the de-identified data and from stage metadata; no raw value appears here. "
             f"Counts under {min_cell} are not shown.", ""]
    for name, ds in summary["datasets"].items():
        lines += [f"## Dataset `{shown(name)}`", "",
                  f"- rows: {ds['rows']}, columns kept: {ds['columns']} (dropped: {len(ds['columns_dropped'])})",
                  f"- source SHA-256: `{ds['source_sha256']}`",
                  f"- de-identified copy: `{shown(ds['deidentified_path'], 1000)}`", "", "### Stage outcomes", "",
                  "| stage | outcome |", "| --- | --- |"]
        for stage, outcome in ds["outcomes"].items():
            text = "not run" if outcome is None else ", ".join(
                f"{k}: {shown(v)}" if not isinstance(v, dict)
                else f"{k}: " + ", ".join(f"{shown(c)} {shown(n)}" for c, n in v.items())
                for k, v in outcome.items())
            lines.append(f"| {stage} | {text} |")
        lines += ["", "### Columns", "", "| column | kind | count | missing | summary |",
                  "| --- | --- | --- | --- | --- |"]
        for col, st in ds["column_stats"].items():
            if st.get("kind") == "numeric":
                detail = (f"min {st['min']}, median {st['median']}, max {st['max']}, "
                          f"mean {st['mean']} (sd {st['sd']})")
            elif st.get("kind") == "categorical":
                detail = f"{st['distinct']} distinct" + ("; " + ", ".join(
                    f"{shown(t['value'])} ({t['count']})" for t in st["top_values"]) if st["top_values"] else "")
            else:
                detail = f"free text, mean length {st.get('mean_length', 0)}"
            lines.append(f"| {shown(col)} | {st.get('kind', '-')} | {st['count']} | {st['missing']} | "
                         f"{detail.replace('|', '/')} |")
        lines.append("")
    return "\n".join(lines)


@register_stage
class Summary:
    """Per-column statistics of the de-identified data and the outcomes of earlier stages."""

    stage_id = 20
    stage_name = "Study summary"
    key = "summary"
    version = "1.0.0"
    reads = (DatasetProfile, DeidentifiedDataset)
    optional_reads = (SchemaReport, QualityReport, PhiFindingsSummary)
    """Shown in the summary when the pipeline ran those stages; not required."""
    writes = (StudySummary,)
    modes = (ANY_MODE,)
    Config = SummaryConfig
    touches_raw_data = False

    async def execute(self, context: StageContext) -> StageResult:
        config: SummaryConfig = context.config
        datasets: dict[str, Any] = {}
        rows_total = columns_total = 0
        for found in context.world.query(DatasetProfile, DeidentifiedDataset):
            entity = found[0]
            profile = cast(DatasetProfile, found[1])
            deid = cast(DeidentifiedDataset, found[2])
            rows, stats = await context.run_blocking(
                column_statistics, context.workspace / deid.path, config, context.checkpoint
            )
            datasets[profile.name] = {
                "rows": rows, "columns": len(stats), "columns_dropped": list(deid.columns_dropped),
                "source_sha256": profile.sha256, "deidentified_path": deid.path,
                "deidentified_sha256": deid.sha256, "outcomes": _outcomes(context.world, entity),
                "column_stats": stats,
            }
            rows_total += rows
            columns_total += len(stats)
        if not datasets:
            return StageResult.failed("no de-identified dataset to summarise (did deidentify run?)")
        summary = {
            "kind": "StudySummary", "title": config.title, "run_id": context.run_id, "mode": context.mode,
            "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"), "datasets": datasets,
        }
        json_path = context.artifact_path("summary/study_summary.json")
        md_path = context.artifact_path("summary/study_summary.md")
        with atomic_output(json_path) as fh:
            json.dump(summary, fh, indent=2, sort_keys=False)
            fh.write("\n")
        with atomic_output(md_path) as fh:
            fh.write(_markdown(summary, config.min_cell_count))
        rel_json = relative_to_workspace(json_path, context.workspace)
        rel_md = relative_to_workspace(md_path, context.workspace)
        context.world.add("run", StudySummary(path=rel_json, markdown_path=rel_md, datasets=len(datasets),
                                              rows=rows_total, columns=columns_total))
        output = {
            "datasets": len(datasets), "rows": rows_total, "columns": columns_total,
            "summary_path": rel_json, "markdown_path": rel_md,
            "outcomes": {name: ds["outcomes"] for name, ds in datasets.items()},
        }
        return StageResult.completed(output, artifacts=[rel_json, rel_md])
