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

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

from engine import (
    InputDataset,
    StageBase,
    StageContext,
    StageResult,
    is_typed,
    plan_byte_ranges,
    register_stage,
    safe_excerpt,
    writing_artifact,
)
from engine.phi import Finding, PhiInputError, load_registry, scan_range, stage_key
from engine.phi.native_match import matcher_for, regex_engine
from engine.phi.scanner import scan_range_into
from stages import _phi
from stages._common import atomic_output, format_counts, input_entities, input_path, relative_to_workspace, safe_slug
from stages._fields import inputs_field, max_field_chars_field, phi_columns_field
from stages._inputs import profiled_inputs, unknown_input
from stages.components import DatasetProfile, PhiFindingsSummary
from stages.tabular import TabularError, open_table

METADATA = "<metadata>"
"""The by_column key of findings in a typed file's metadata (labels, notes, properties, other sheets)."""
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
    findings_file: bool = attrs.field(
        default=True,
        metadata={"description": "Write the findings (category, row, column, offset, length, keyed digest; "
                  "never values) as a JSON-lines artifact."},
    )
    inputs: list[str] = inputs_field()  # noqa: RUF009
    max_field_chars: int = max_field_chars_field()
    phi_columns: dict[str, str] = phi_columns_field("not an identifying column; its cells are still scanned")  # noqa: RUF009


def _scanner_compatible(profile: DatasetProfile) -> bool:
    return (
        profile.encoding in ("utf-8", "utf-8-sig")
        and profile.format in _SCANNER_DELIMITERS
        and profile.delimiter == _SCANNER_DELIMITERS[profile.format]
    )


def _scan_with_scanner(part: ScanPart) -> Iterator[Finding]:
    """The scanner's findings, columns as the file names them (the writer shows :func:`_shown_name`)."""
    return scan_range(part.path, part.start, part.end, format=part.format,  # type: ignore[arg-type]
                      first_row=part.first_row, header=part.header, key=part.key,
                      columns=part.config.columns or None, categories=dict(part.categories))


def _scan_into(part: ScanPart, encoder: Any, checkpoint: Callable[[], None]) -> None:
    """The scanner's findings straight into ``encoder`` and the part file (the core's one call a chunk)."""
    def scan(write: Callable[[bytes], Any] | None) -> None:
        scan_range_into(encoder, write, part.path, part.start, part.end, format=part.format,  # type: ignore[arg-type]
                        first_row=part.first_row, header=part.header, key=part.key,
                        columns=part.config.columns or None, categories=dict(part.categories),
                        checkpoint=checkpoint)
        if write is not None:
            write(encoder.encode([]))  # a part without findings is still a segment

    if part.out is None:
        scan(None)
        return
    with writing_artifact(part.out, part.run_folder), open(part.out, "wb") as fh:
        scan(fh.write)


def _shown_name(names: dict[str, str]) -> Callable[[str], str]:
    """The profile's (safe) name of a raw header cell; a header cell that is not one: ``column_?``."""
    return lambda raw: names.get(raw.lstrip("\ufeff").strip(), "column_?")


def _scan_cells(path: Path, profile: DatasetProfile, config: PhiScanConfig, key: Any,
                checkpoint: Callable[[], None] | None,
                categories: dict[str, str | None] | None = None) -> Iterator[Finding]:
    wanted = set(config.columns)
    cats = categories or {}
    if is_typed(profile.format):  # labels, notes, key-value metadata, other sheets: data too
        yield from _metadata_findings(path, profile.format, key)
    with open_table(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
        columns = reader.columns
        for row in reader:
            for i, text in enumerate(row):
                column = columns[i] if i < len(columns) else None
                if not text or (wanted and column not in wanted):
                    continue
                classified = column is not None and column in cats
                for span in _phi.find_spans(text, column=None if classified else column,
                                            category=cats.get(column or "") if classified else None):
                    value = text[span.start : span.end]
                    norm = span.normalizer(value) if span.normalizer else value
                    yield Finding(span.category, reader.row, column, None, len(value.encode("utf-8")),
                                   key.digest(span.category, norm))


def _metadata_findings(path: Path, fmt: str, key: Any) -> Iterator[Finding]:
    from engine import metadata_texts

    for _kind, text in metadata_texts(path, fmt):
        for span in _phi.find_spans(text, column=None, category=None):
            value = text[span.start : span.end]
            norm = span.normalizer(value) if span.normalizer else value
            yield Finding(span.category, None, METADATA, None, len(value.encode("utf-8")),
                           key.digest(span.category, norm))


@attrs.frozen
class ScanPart:
    """One task: a byte range of one input and how to scan it. Plain data: it crosses processes.

    The PHI key travels with the task (a secret, not PHI; never in a repr, a task key or a log);
    the findings go to ``out`` (a part file in the run folder) and only counts come back.
    """

    path: str
    start: int
    end: int
    first_row: int
    format: str
    scanner: bool
    """True: the streaming scanner (UTF-8 CSV/TSV/JSONL/text); False: cell by cell, whole file."""
    config: PhiScanConfig
    key: Any = attrs.field(repr=False)
    names: tuple[tuple[str, str], ...] = ()
    profile: DatasetProfile | None = None
    out: str | None = None
    categories: tuple[tuple[str, str | None], ...] = ()
    """Column -> classified category (None: not identifying), decided once for the whole input."""
    classification: tuple[dict[str, Any], ...] = ()
    """The input's column classification as report metadata (profile column names)."""
    header: tuple[str, ...] | None = None
    """The column names of a file read as headerless (the scanner then reads no header line)."""
    header_cells: tuple[Finding, ...] = ()
    """A headerless file's first-row cells read whole as header cells that hold PHI (part 0 only);
    reported unless the scan finds PHI in the same cell (see :mod:`engine.phi.scan.first_row`)."""
    run_folder: str = ""
    """The run folder, which a write error's message names ``out`` relative to."""


def _empty_counts() -> dict[str, Any]:
    return {"findings_total": 0, "rows_with_findings": 0, "by_category": {}, "by_column": {}}


def scan_part(part: ScanPart) -> dict[str, Any]:
    """Task: scan one partition; hash-only findings to the part file, counts returned."""
    from engine import task_checkpoint
    from engine.phi.scan.findings_file import new_encoder

    scanner = part.scanner or part.profile is None
    # The core writes the compact findings lines and counts them (no Python line per finding).
    encoder = new_encoder(_shown_name(dict(part.names)) if scanner else None)

    try:
        if scanner and not part.header_cells:
            _scan_into(part, encoder, task_checkpoint)
            return dict(encoder.counts())
        if scanner or part.profile is None:
            findings = _scan_with_scanner(part)
        else:
            findings = _scan_cells(Path(part.path), part.profile, part.config, part.key, task_checkpoint,
                                   dict(part.categories))
        if part.header_cells:
            findings = _with_header_cells(findings, part.header_cells, part.names)
        if part.out is not None:
            with writing_artifact(part.out, part.run_folder), open(part.out, "wb") as fh:
                _encode_segment(encoder, findings, fh.write, task_checkpoint)
        else:
            _encode_segment(encoder, findings, None, task_checkpoint)
    except (TabularError, PhiInputError) as exc:
        # A data error is a result, not a crash: the merge reports the first one in file order.
        return {"error": str(exc)}
    counts: dict[str, Any] = encoder.counts()
    return counts


def _with_header_cells(findings: Iterator[Finding], cells: tuple[Finding, ...],
                       names: tuple[tuple[str, str], ...]) -> Iterator[Finding]:
    """The scan's findings plus each header-cell finding of row 1 whose cell the scan found nothing
    in, in file order (by offset, or by column where there are none: the cell-by-cell scan)."""
    order = {**{shown: i for i, (_, shown) in enumerate(names)}, **{raw: i for i, (raw, _) in enumerate(names)}}

    def position(f: Finding) -> tuple[int, int]:
        return (f.offset if f.offset is not None else -1, order.get(f.column or "", len(order)))

    def merged(found: list[Finding]) -> list[Finding]:
        taken = {f.column for f in found}
        return sorted([*found, *(c for c in cells if c.column not in taken)], key=position)

    first: list[Finding] = []
    pending = True
    for f in findings:
        if pending and f.row == 1:
            first.append(f)
            continue
        if pending:
            yield from merged(first)
            pending = False
        yield f
    if pending:
        yield from merged(first)


def plan_parts(path: Path, profile: DatasetProfile, config: PhiScanConfig, key: Any, partition_bytes: int,
               parts_dir: Path | None, run_folder: Path | None = None) -> list[ScanPart]:
    """The tasks of one input (blocking: a quote-aware pass over a file larger than one partition).

    The ranges are the run's one partition plan of the input (:func:`engine.plan_byte_ranges`, as
    deidentify plans it: the same parts, planned once), numbered with their first rows.
    """
    scanner = _scanner_compatible(profile)
    # A headerless file is scanned under its generated names, its ranges counted from line 1.
    header = None if profile.has_header else tuple(profile.columns)
    size = path.stat().st_size
    ranges = [(0, size, 1)]
    if scanner and size > partition_bytes:
        table = profile.format in ("csv", "tsv")
        _, planned = plan_byte_ranges(path, partition_bytes, header=table and profile.has_header, quoted=table,
                                       delim=profile.delimiter.encode() or b",")
        ranges = [(r.start, r.end, r.first_row) for r in planned]
        ranges[0] = (0, ranges[0][1], 1)  # the first task also scans the header line
    names = tuple((c.lstrip("\ufeff").strip(), c) for c in profile.columns)
    categories, classification, header_cells = classify_input(path, profile, config, scanner, key)
    return [
        ScanPart(str(path), start, end, first_row, profile.format, scanner, config, key, names,
                 None if scanner else profile,
                 None if parts_dir is None else str(parts_dir / f"{i:05d}.findings.jsonl"),
                 categories, classification, header if scanner else None, header_cells if i == 0 else (),
                 "" if run_folder is None else str(run_folder))
        for i, (start, end, first_row) in enumerate(ranges)
    ]


def classify_input(path: Path, profile: DatasetProfile, config: PhiScanConfig, scanner: bool, key: Any = None
                   ) -> tuple[tuple[tuple[str, str | None], ...], tuple[dict[str, Any], ...], tuple[Finding, ...]]:
    """Classify a table's columns once (header + sampled values + overrides), keyed as the scan needs;
    and a headerless file's first-row cells that hold PHI read whole, as deidentify replaces them.

    The scanner keys columns by their raw header, the per-cell path by profile names; reports use
    profile names (safe: a header that looks like PHI is reported as ``column_N``).
    """
    from engine.phi.columns import SAMPLE_ROWS, classify_columns

    if profile.format not in ("csv", "tsv") and not is_typed(profile.format):
        return (), (), ()
    rows: list[list[str]] = []
    with open_table(path, profile, max_field_chars=config.max_field_chars) as reader:
        raw = [c.lstrip("\ufeff").strip() for c in reader.raw_header]
        for n, row in enumerate(reader):
            if n >= SAMPLE_ROWS:
                break
            rows.append(row)
    if scanner:
        # The scan tier's core matcher (one compile, which the scan reuses in this process): the
        # sampled cells then take the core rather than compiling the Python path's combined regex.
        matcher_for(load_registry().scan)
    shown = list(profile.columns)
    overrides = {raw[shown.index(c)]: v for c, v in config.phi_columns.items() if c in shown}
    classes = classify_columns(raw, rows, overrides)
    keys = raw if scanner else shown
    categories = tuple((keys[i], c.category) for i, c in enumerate(classes) if i < len(keys))
    report = tuple({**c.as_dict(), "column": shown[i]} for i, c in enumerate(classes)
                   if i < len(shown) and (c.category is not None or c.evidence == "override"))
    return categories, report, _header_cells(path, profile, rows, keys, scanner, key, config.columns)


def _header_cells(path: Path, profile: DatasetProfile, rows: list[list[str]], keys: list[str], scanner: bool,
                  key: Any, wanted: list[str]) -> tuple[Finding, ...]:
    """A headerless CSV/TSV's first-row cells that hold PHI read whole (:mod:`engine.phi.scan.first_row`),
    under the column names the scan path's findings carry (``keys``)."""
    if profile.has_header or key is None or not rows or profile.format not in ("csv", "tsv"):
        return ()
    from engine.phi.columns import letterless_columns
    from engine.phi.scan.first_row import first_row_findings, first_row_spans

    spans = first_row_spans(path, profile.format) if scanner else None
    found = first_row_findings(rows[0], keys, letterless_columns(rows, len(keys)), key, spans)
    return tuple(f for i, f in found if not wanted or profile.columns[i] in wanted)


def merge_parts(parts: list[ScanPart], results: list[dict[str, Any]], out_path: Path | None,
                run_folder: Path | None = None) -> dict[str, Any]:
    """Counts summed and part files concatenated in file order (blocking)."""
    total = _empty_counts()
    for res in results:
        for name in ("findings_total", "rows_with_findings"):
            total[name] += res[name]
        for name in ("by_category", "by_column"):
            for k, v in res[name].items():
                total[name][k] = total[name].get(k, 0) + v
    if out_path is not None:
        with writing_artifact(out_path, run_folder or out_path.parent), atomic_output(out_path) as out:
            if len(parts) == 1:
                assert parts[0].out is not None
                with open(parts[0].out, encoding="ascii") as fh:  # the findings lines are ASCII
                    shutil.copyfileobj(fh, out, 1 << 20)
            else:
                _one_segment(parts, out)
    by_column = total["by_column"]
    return {
        "findings_total": total["findings_total"],
        "rows_with_findings": total["rows_with_findings"],
        "by_category": dict(sorted(total["by_category"].items())),
        "by_column": dict(sorted(by_column.items())),
        "columns_flagged": sorted(c for c in by_column if c not in ("<text>", METADATA)),
        "columns_classified": [dict(c) for c in parts[0].classification] if parts else [],
        "scanner": "scan_file" if parts and parts[0].scanner else "per_cell",
    }


def _one_segment(parts: list[ScanPart], out: Any) -> None:
    """The parts' findings written again as one segment: the file a single part would have written.

    Each part file is a segment of its own (numbers, deltas and digest table from its start), so
    concatenating them would make the file's bytes depend on how the input was partitioned; the
    artifact and its digest in the report must not.
    """
    from engine.phi.scan.findings_file import join_segments

    assert all(part.out is not None for part in parts)
    join_segments([str(part.out) for part in parts], lambda lines: out.write(lines.decode("ascii")))


def _encode_segment(encoder: Any, findings: Iterator[Finding], write: Callable[[bytes], Any] | None,
                    checkpoint: Callable[[], None] | None = None) -> None:
    """``findings`` through ``encoder`` in batches (the encoder counts them); ``write``, if given,
    gets the lines, and the segment's header even when there is no finding."""
    while batch := list(itertools.islice(findings, 4096)):
        if checkpoint is not None:
            checkpoint()
        lines = encoder.encode(batch)
        if write is not None:
            write(lines)
    if write is not None:
        write(encoder.encode([]))  # a part without findings is still a segment


@register_stage
class PhiScan(StageBase, stage_id=4, stage_name="PHI scan", key="phi_scan", version="1.0.0",
              reads=(InputDataset, DatasetProfile), writes=(PhiFindingsSummary,), Config=PhiScanConfig,
              detects_phi=True):
    """Scan every input for PHI; hash-only findings, counted by category and column."""

    async def execute(self, context: StageContext) -> StageResult:
        config: PhiScanConfig = context.config
        refusal = unknown_input(context.world, config.inputs)
        if refusal is not None:
            return StageResult.failed(refusal)
        key = stage_key(context.phi_key, context.phi_key_source)
        policy = str(context.policy.get("phi_policy", "warn"))
        results: dict[str, Any] = {}
        artifacts: list[str] = []
        warnings: list[str] = []
        # Plan every input's partitions, run them all as one batch (inputs and partitions in
        # parallel), then merge each input's results in file order.
        jobs: list[tuple[str, Any, Path | None, list[ScanPart]]] = []
        with context.parts_folder() as parts_root:
            for entity, dataset, profile in profiled_inputs(context.world, config.inputs, warnings, "not scanned"):
                missing = sorted(set(config.columns) - set(profile.columns))
                if missing:
                    return StageResult.failed(
                        f"config columns: input {dataset.name!r} has no column {safe_excerpt(missing[0], 40)!r}")
                missing = sorted(set(config.phi_columns) - set(profile.columns))
                if missing and not config.inputs and len(input_entities(context.world)) > 1:
                    missing = []  # with several inputs, an override names a column of some of them
                if missing:
                    return StageResult.failed(
                        f"config phi_columns: input {dataset.name!r} has no column {safe_excerpt(missing[0], 40)!r}")
                relative = f"phi/{safe_slug(dataset.name)}.findings.jsonl"
                parts_dir = None
                with writing_artifact(context.workspace / relative, context.workspace):
                    out_path = context.artifact_path(relative) if config.findings_file else None
                if out_path is not None:
                    parts_dir = parts_root / f"{len(jobs):04d}"
                    with writing_artifact(parts_dir, context.workspace):
                        parts_dir.mkdir(parents=True, exist_ok=True)
                try:
                    parts = await context.run_blocking(
                        plan_parts, input_path(dataset), profile, config, key, context.partition_bytes, parts_dir,
                        context.workspace)
                except (TabularError, PhiInputError) as exc:
                    return StageResult.failed(f"input {dataset.name!r}: {exc}")
                jobs.append((entity, dataset, out_path, parts))
            done = await context.map_parts(scan_part, [parts for *_, parts in jobs], label=context.step_id or self.key)
            for (entity, dataset, out_path, parts), mine in zip(jobs, done, strict=True):
                failed = next((r["error"] for r in mine if "error" in r), None)
                if failed is not None:
                    return StageResult.failed(f"input {dataset.name!r}: {failed}")
                res = await context.run_blocking(merge_parts, parts, mine, out_path, context.workspace)
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
                        columns_classified={c["column"]: c["category"] or "none" for c in res["columns_classified"]},
                        columns_evidence={c["column"]: c["evidence"] for c in res["columns_classified"]},
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
            "key_id": key.describe()["key_id"],
            "digest_scheme": key.describe()["schemes"]["digest"],
            "registry_version": load_registry().version,
            "regex_engine": regex_engine(),
        }
        if key.is_random:
            warnings.append("no PHI key configured (RFLOW_PHI_KEY): digests are comparable within this run only")
        errors = [f"{total} PHI finding(s) (on_findings: fail)"] if total and config.on_findings == "fail" else []
        return StageResult.finished(output, errors=errors, artifacts=artifacts, warnings=warnings, phi_findings=total)
