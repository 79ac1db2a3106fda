"""Stage 4, ``phi_scan``: the PHI scanner over every input; a hash-only summary of what it found.

What a finding *does* is not decided here but by the mode's ``phi_policy``: the stage declares
``detects_phi``, reports ``findings_total``, and governance either records a warning (``warn``) or
keeps the raw data from every later stage except those that remove PHI (``block``). The stage
only fails on findings when its own config says ``on_findings: fail``.

UTF-8 CSV/TSV/JSONL/text inputs go through :func:`engine.phi.scan_file` (streaming, optional worker
processes). Other encodings and delimiters (cp1252, ``;``-separated) are scanned cell by cell
through the same registry, so every input upload accepted can be scanned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

from engine import InputDataset, StageContext, StageResult, register_stage
from engine.types import ANY_MODE
from stages import _phi
from stages._common import atomic_output, format_counts, input_entities, input_path, relative_to_workspace, safe_slug
from stages.components import DatasetProfile, PhiFindingsSummary
from stages.tabular import DEFAULT_MAX_FIELD_CHARS, TabularError, open_table

_SCANNER_DELIMITERS = {"csv": ",", "tsv": "\t", "jsonl": "", "text": ""}


@attrs.frozen
class PhiScanConfig:
    """What to scan and what a finding does beyond the mode's policy."""

    on_findings: Literal["policy", "fail"] = attrs.field(
        default="policy",
        metadata={"description": "'policy': the mode's phi_policy decides (warn or block); "
                  "'fail': any finding fails this step."},
    )
    columns: list[str] = attrs.field(
        factory=list, metadata={"description": "Only these columns (tables); empty: every column."}
    )
    workers: int = attrs.field(
        default=1, metadata={"description": "Scanner processes for large UTF-8 files.",
                             "schema": {"minimum": 1, "maximum": 32}}
    )
    findings_file: bool = attrs.field(
        default=True,
        metadata={"description": "Write the findings (category, row, column, offset, length, keyed digest; "
                  "never values) as a JSON-lines artifact."},
    )
    inputs: list[str] = attrs.field(factory=list, metadata={"description": "Input names; empty: every input."})
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


@attrs.frozen
class _Finding:
    category: str
    row: int | None
    column: str | None
    offset: int | None
    length: int
    digest: str


def _scanner_compatible(profile: DatasetProfile) -> bool:
    return (
        profile.encoding in ("utf-8", "utf-8-sig")
        and profile.format in _SCANNER_DELIMITERS
        and profile.delimiter == _SCANNER_DELIMITERS[profile.format]
    )


def _scan_with_scanner(path: Path, profile: DatasetProfile, config: PhiScanConfig, key: Any) -> Iterator[_Finding]:
    from engine.phi import scan_file

    names = {c.lstrip("\ufeff").strip(): c for c in profile.columns}
    for f in scan_file(path, profile.format, key=key, workers=config.workers,  # type: ignore[arg-type]
                       columns=config.columns or None):
        # Report the profile's (safe) column name; a header cell that is not one stays unnamed.
        column = None if f.column is None else names.get(f.column.lstrip("\ufeff").strip(), "column_?")
        yield _Finding(f.category, f.row, column, f.offset, f.length, f.digest)


def _scan_cells(path: Path, profile: DatasetProfile, config: PhiScanConfig, key: Any,
                checkpoint: Callable[[], None] | None) -> Iterator[_Finding]:
    wanted = set(config.columns)
    with open_table(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
        columns = reader.columns
        for row in reader:
            for i, text in enumerate(row):
                column = columns[i] if i < len(columns) else None
                if not text or (wanted and column not in wanted):
                    continue
                for span in _phi.find_spans(text, column=column, names=False):
                    value = text[span.start : span.end]
                    norm = span.normalizer(value) if span.normalizer else value
                    yield _Finding(span.category, reader.row, column, None, len(value.encode("utf-8")),
                                   key.digest(span.category, norm))


def scan_input(path: Path, profile: DatasetProfile, config: PhiScanConfig, key: Any, out_path: Path | None,
               checkpoint: Callable[[], None] | None = None) -> dict[str, Any]:
    """Scan one input (blocking); counts, and the findings file if ``out_path``."""
    compatible = _scanner_compatible(profile)
    findings = (_scan_with_scanner(path, profile, config, key) if compatible
                else _scan_cells(path, profile, config, key, checkpoint))
    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    # Findings arrive in file order, so distinct rows are counted without remembering them all.
    last_row: int | None = None
    rows = 0
    total = 0

    def consume(write: Callable[[str], Any] | None) -> None:
        nonlocal total, rows, last_row
        for n, f in enumerate(findings):
            if checkpoint is not None and n % 4096 == 0:
                checkpoint()
            total += 1
            by_category[f.category] = by_category.get(f.category, 0) + 1
            col = f.column if f.column is not None else "<text>"
            by_column[col] = by_column.get(col, 0) + 1
            if f.row is not None and f.row != last_row:
                rows += 1
                last_row = f.row
            if write is not None:
                write(json.dumps(attrs.asdict(f), separators=(",", ":")) + "\n")

    if out_path is not None:
        with atomic_output(out_path) as fh:
            consume(fh.write)
    else:
        consume(None)
    return {
        "findings_total": total,
        "rows_with_findings": rows,
        "by_category": dict(sorted(by_category.items())),
        "by_column": dict(sorted(by_column.items())),
        "columns_flagged": sorted(c for c in by_column if c != "<text>"),
        "scanner": "scan_file" if compatible else "per_cell",
    }


@register_stage
class PhiScan:
    """Scan every input for PHI; hash-only findings, counted by category and column."""

    stage_id = 4
    stage_name = "PHI scan"
    key = "phi_scan"
    version = "1.0.0"
    reads = (InputDataset, DatasetProfile)
    writes = (PhiFindingsSummary,)
    modes = (ANY_MODE,)
    Config = PhiScanConfig
    detects_phi = True

    async def execute(self, context: StageContext) -> StageResult:
        from engine.phi import load_registry, resolve_key

        config: PhiScanConfig = context.config
        names = {d.name for _, d in input_entities(context.world)}
        unknown = sorted(set(config.inputs) - names)
        if unknown:
            return StageResult.failed(f"config inputs: no input named {unknown[0][:40]!r}")
        key = resolve_key(context.phi_key)
        policy = str(context.policy.get("phi_policy", "warn"))
        results: dict[str, Any] = {}
        artifacts: list[str] = []
        warnings: list[str] = []
        for entity, dataset in input_entities(context.world):
            if config.inputs and dataset.name not in config.inputs:
                continue
            profile = context.world.get(entity, DatasetProfile)
            if profile is None:
                warnings.append(f"input {dataset.name!r} has no profile (upload failed?); not scanned")
                continue
            missing = sorted(set(config.columns) - set(profile.columns))
            if missing:
                return StageResult.failed(f"config columns: input {dataset.name!r} has no column {missing[0][:40]!r}")
            out_path = context.artifact_path(f"phi/{safe_slug(dataset.name)}.findings.jsonl") \
                if config.findings_file else None
            try:
                res = await context.run_blocking(
                    scan_input, input_path(dataset), profile, config, key, out_path, context.checkpoint
                )
            except TabularError as exc:
                return StageResult.failed(f"input {dataset.name!r}: {exc}")
            rel = relative_to_workspace(out_path, context.workspace) if out_path is not None else ""
            if rel:
                artifacts.append(rel)
            found = res["findings_total"]
            decision = "clear" if not found else ("deidentify_only" if policy == "block" else "warn")
            res.update(decision=decision, findings_path=rel or None)
            results[dataset.name] = res
            context.world.add(
                entity,
                PhiFindingsSummary(
                    findings_total=found, rows_with_findings=res["rows_with_findings"],
                    by_category=res["by_category"], by_column=res["by_column"],
                    columns_flagged=tuple(res["columns_flagged"]), policy=policy, decision=decision,
                    findings_path=rel,
                ),
            )
            if found:
                warnings.append(
                    f"input {dataset.name!r}: {found} PHI finding(s) in {len(res['columns_flagged'])} column(s) "
                    f"({format_counts(res['by_category'])})"
                )
        total = sum(r["findings_total"] for r in results.values())
        decision = "clear" if not total else ("deidentify_only" if policy == "block" else "warn")
        output = {
            "findings_total": total,
            "rows_with_findings": sum(r["rows_with_findings"] for r in results.values()),
            "inputs": results,
            "policy": policy,
            "decision": decision,
            "key_source": key.source,
            "registry_version": load_registry().version,
        }
        if key.is_random:
            warnings.append("no PHI key configured (RFLOW_PHI_KEY): digests are comparable within this run only")
        if total and config.on_findings == "fail":
            return StageResult.failed(
                f"{total} PHI finding(s) (on_findings: fail)", output=output, artifacts=artifacts, warnings=warnings
            )
        return StageResult.completed(output, artifacts=artifacts, warnings=warnings)
