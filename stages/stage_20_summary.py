"""Stage 20, ``summary``: the study summary, from de-identified data and earlier metadata only.

Why it reads the de-identified copy and never the raw input: the summary is the artifact people
share, and under ``phi_policy: block`` it must be able to run after PHI was found
(``touches_raw_data = False``). Even so, nothing it shows may single anyone out (``k`` is
``min_cell_count``):

* columns de-identification (or phi_scan, or the column's name) classified as PHI show counts
  only, never a value: a pseudonym, a year of birth or a ZIP3 is still about one person;
* a value is listed only when at least ``k`` rows hold it, it is short and passes the PHI guard;
* numeric columns show ``low``/``high`` (the ``k``-th smallest and largest value) instead of the
  raw minimum and maximum, and a quartile or median only when at least ``k`` values lie on each
  side of it: the true maximum of a column is one person's value;
* a numeric column with fewer than ``k`` distinct values is treated as categorical (its few
  values would be its extremes), and one with fewer than ``k`` values shows no statistic at all.

Writes ``summary/study_summary.json`` (machine-readable) and ``summary/study_summary.md`` (for
people): per-column statistics, and the outcome of schema check, validation, PHI scan and
de-identification as recorded in their components.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
import random
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, cast

import attrs

from engine import StageBase, StageContext, StageResult, register_stage, shown
from engine.phi import contains_phi, sanitize
from stages import _phi
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
        default=11, metadata={"description": "Small-cell threshold k: a value is shown only when at least k rows "
                              "hold it; extremes and quartiles only with k values on each side.",
                              "schema": {"minimum": 1}}
    )
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


class ColumnStats:
    """Streaming statistics of one column: counts, Welford mean/variance, a reservoir for quantiles,
    and the ``k`` smallest and largest numbers (exact, for the small-cell-safe extremes)."""

    def __init__(self, max_categories: int, k: int, rng: random.Random) -> None:
        self.n = self.missing = self.numeric = 0
        self.mean = self.m2 = 0.0
        self.k = k
        self.smallest: list[float] = []
        """Max-heap (negated) of the ``k`` smallest numbers."""
        self.largest: list[float] = []
        """Min-heap of the ``k`` largest numbers."""
        self.distinct_numbers: set[float] = set()
        """Distinct numbers, kept only up to ``k`` (enough to tell a near-constant column)."""
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
        k = self.k
        if len(self.smallest) < k:
            heapq.heappush(self.smallest, -number)
        elif number < -self.smallest[0]:
            heapq.heapreplace(self.smallest, -number)
        if len(self.largest) < k:
            heapq.heappush(self.largest, number)
        elif number > self.largest[0]:
            heapq.heapreplace(self.largest, number)
        if len(self.distinct_numbers) < k:
            self.distinct_numbers.add(number)
        if len(self.sample) < RESERVOIR:
            self.sample.append(number)
        else:
            j = self.rng.randrange(self.numeric)
            if j < RESERVOIR:
                self.sample[j] = number

    def result(self, config: SummaryConfig, phi: bool = False) -> dict[str, Any]:
        present = self.n - self.missing
        out: dict[str, Any] = {"count": present, "missing": self.missing}
        if phi:
            # An identifying column (pseudonyms, years, ZIP3s...): how many, never what.
            out["kind"] = "phi"
            return out
        numeric = bool(present) and self.numeric >= 0.95 * present
        if numeric and len(self.distinct_numbers) >= self.k:
            out.update(kind="numeric", **self._numeric())
        elif numeric and (self.numeric < self.k or self.counts is None):
            out["kind"] = "numeric"  # too few values (or too many spellings of few numbers): no statistic
        elif self.counts is not None:
            # Also a numeric column with fewer than k distinct values: its extremes would be its values.
            out.update(kind="categorical", distinct=len(self.counts), top_values=self._top_values(config))
        else:
            out["kind"] = "text"
            out["mean_length"] = round(self.total_length / present, 1) if present else 0
        return out

    def _top_values(self, config: SummaryConfig) -> list[dict[str, Any]]:
        assert self.counts is not None
        shown = []
        for value, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[: config.top_values]:
            if count < self.k or len(value) > MAX_VALUE_CHARS or contains_phi(value):
                continue
            shown.append({"value": value, "count": count})
        return shown

    def _numeric(self) -> dict[str, Any]:
        """``low``/``high`` and the quantiles that have ``k`` values on each side; mean and sd.

        Called with at least ``k`` distinct numbers, so there are at least ``k`` values.
        """
        n, k = self.numeric, self.k
        stats: dict[str, Any] = {}
        if n >= 2 * k - 1:
            low, high = -self.smallest[0], self.largest[0]
            stats.update(low=round(low, 4), high=round(high, 4))
            ordered = sorted(self.sample)
            for name, p in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
                rank = p * (n - 1) + 1  # 1-based rank in the whole column
                if k <= rank <= n - k + 1:
                    value = ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))]
                    stats[name] = round(min(max(value, low), high), 4)
        sd = math.sqrt(self.m2 / (n - 1)) if n > 1 else 0.0
        stats.update(mean=round(self.mean, 4), sd=round(sd, 4))
        return stats


def column_statistics(path: Path, config: SummaryConfig, checkpoint: Callable[[], None] | None = None,
                      phi_columns: Collection[str] = (),
                      engine: str = "columns", delimiter: str = ",") -> tuple[int, dict[str, dict[str, Any]]]:
    """``(rows, stats per column)`` of a de-identified copy, CSV or Parquet (blocking, one pass).

    ``phi_columns``: columns classified as PHI upstream; a column whose name labels a PHI
    category is one too. Their statistics are counts only. ``engine``: ``columns`` (column
    operations per batch, :mod:`stages.columnar.summary`) or ``rows`` (a Python call per cell; the
    reference the columnar path is tested against).
    """
    # A Parquet input's copy is Parquet (stages/stage_06_deidentify/writer.py), every other copy CSV.
    fmt = (TableFormat(format="parquet", encoding="binary", delimiter="") if path.suffix == ".parquet"
           else TableFormat(format="csv", encoding="utf-8-sig", delimiter=delimiter))
    with TableReader(path, fmt, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
        columns = list(reader.columns)
        if engine == "rows":
            stats = _fresh_stats(len(columns), config)
            for row in reader:
                for i, col in enumerate(stats):
                    col.add(row[i] if i < len(row) else "")
            rows = reader.row
    if engine != "rows":
        from stages.columnar.source import NotNativeReadable

        shape = _CopyShape(columns=tuple(columns), format=fmt.format, encoding=fmt.encoding, delimiter=fmt.delimiter,
                           native_csv=True)
        try:
            rows, stats = _column_pass(path, shape, config, checkpoint)
        except NotNativeReadable:
            rows, stats = _column_pass(path, attrs.evolve(shape, native_csv=False), config, checkpoint)
    with _phi.settings_pinned():  # the PHI engine's settings, read once for every column's values shown
        return rows, {
            name: s.result(config, phi=name in phi_columns or _phi.column_matcher(name) is not None)
            for name, s in zip(columns, stats, strict=True)
        }


def _fresh_stats(width: int, config: SummaryConfig) -> list[ColumnStats]:
    """Empty statistics for ``width`` columns, their samples drawn from one seeded generator."""
    rng = random.Random(0)
    return [ColumnStats(config.max_categories, config.min_cell_count, rng) for _ in range(width)]


def _column_pass(path: Path, shape: _CopyShape, config: SummaryConfig,
                 checkpoint: Callable[[], None] | None) -> tuple[int, list[ColumnStats]]:
    """One pass of column operations over the copy.

    The first try assumes Polars' reader reads the copy as the row reader would (``native_csv``):
    its blocks are checked as they are parsed, so a copy that is not such a file raises
    :class:`~stages.columnar.source.NotNativeReadable` and is read again by the row reader, with
    fresh statistics. A copy is not read once beforehand only to decide which reader to use.
    """
    from stages.columnar.source import spaced_batches
    from stages.columnar.summary import accumulate

    stats = _fresh_stats(len(shape.columns), config)
    rows = accumulate(stats, spaced_batches(path, shape, max_field_chars=config.max_field_chars,
                                            checkpoint=checkpoint), RESERVOIR)
    return rows, stats


@attrs.frozen
class _CopyShape:
    """How the de-identified copy is read: UTF-8 CSV with a header, or Parquet (what deidentify writes)."""

    columns: tuple[str, ...]
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    has_bom: bool = False
    has_header: bool = True
    ragged_rows: int = 0
    """Not known for the copy: a ragged record sends the file to the row reader (stages.columnar.csvchunks)."""
    native_csv: bool | None = None
    """Whether Polars' reader reads the copy as the row reader does: ``None`` checks it in a pass of its own."""


def phi_column_names(deid: DeidentifiedDataset, scanned: PhiFindingsSummary | None) -> frozenset[str]:
    """The columns de-identification or phi_scan classified as PHI (either suffices)."""
    found = set(deid.phi_columns)
    if scanned is not None:
        found.update(c for c, category in scanned.columns_classified.items() if category != "none")
    return frozenset(found)


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
             f"Values held by fewer than {min_cell} rows are not shown; low and high are the {min_cell}th "
             "smallest and largest values.", ""]
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
                parts = [f"{name} {st[name]}" for name in ("low", "p25", "median", "p75", "high") if name in st]
                if "mean" in st:
                    parts.append(f"mean {st['mean']} (sd {st['sd']})")
                detail = ", ".join(parts) or f"fewer than {min_cell} values: not shown"
            elif st.get("kind") == "phi":
                detail = "identifying column: counts only"
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
class Summary(StageBase, stage_id=20, stage_name="Study summary", key="summary", version="1.0.0",
              reads=(DatasetProfile, DeidentifiedDataset),
              optional_reads=(SchemaReport, QualityReport, PhiFindingsSummary), writes=(StudySummary,),
              Config=SummaryConfig, touches_raw_data=False):
    """Per-column statistics of the de-identified data and the outcomes of earlier stages.

    The schema, quality and PHI reports are shown when the pipeline ran those stages; they are not required."""

    async def execute(self, context: StageContext) -> StageResult:
        config: SummaryConfig = context.config
        datasets: dict[str, Any] = {}
        rows_total = columns_total = 0
        for found in context.world.query(DatasetProfile, DeidentifiedDataset):
            entity = found[0]
            profile = cast(DatasetProfile, found[1])
            deid = cast(DeidentifiedDataset, found[2])
            phi_columns = phi_column_names(deid, context.world.get(entity, PhiFindingsSummary))
            rows, stats = await context.run_blocking(
                column_statistics, context.workspace / deid.path, config, context.checkpoint, phi_columns,
                "columns", deid.delimiter)
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
            "kind": "StudySummary", "title": sanitize(config.title), "run_id": context.run_id, "mode": context.mode,
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
