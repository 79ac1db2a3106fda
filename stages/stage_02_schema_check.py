"""Stage 2, ``schema_check``: the structure of each input against a data dictionary.

Why separate from ``validate``: structure (is the column there, does the cell parse as its type,
is a required cell filled, is a coded value one of the allowed ones) is a property of the export;
quality rules (ranges, duplicates, date order) are a property of the study. A user's own CSV can
pass through the DEMO pipeline: dictionary columns it lacks are reported as missing, its columns
the dictionary does not name are reported as unchecked, and neither fails the run unless the
config says so.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from engine import InputDataset, StageBase, StageContext, StageResult, register_stage
from stages._common import StageConfigError, input_path
from stages._inputs import profiled_inputs, unknown_input
from stages.components import DatasetProfile, SchemaReport
from stages.dictionary import Dictionary, configured_dictionary, type_ok
from stages.tabular import DEFAULT_MAX_FIELD_CHARS, TabularError, cell, column_index, open_table


@attrs.frozen
class SchemaCheckConfig:
    """Which data dictionary to check against and what a problem does."""

    dictionary: str | None = attrs.field(
        default=None,
        metadata={"description": "Data dictionary: 'bundled:NAME.yaml' or a YAML path. "
                  "None: report the structure only (every column unchecked).", "config_file": True},
    )
    on_errors: Literal["fail", "report"] = attrs.field(
        default="fail",
        metadata={"description": "'fail': the step fails when errors_total > 0; 'report': it completes "
                  "and a later gate can decide."},
    )
    extra_columns: Literal["ignore", "warning", "error"] = attrs.field(
        default="ignore",
        metadata={"description": "Columns the dictionary does not name: listed as unchecked, and counted "
                  "as warnings or errors if set."},
    )
    missing_optional: Literal["warning", "error"] = attrs.field(
        default="warning",
        metadata={"description": "A dictionary column that is not required and absent from the input."},
    )
    ragged_rows: Literal["warning", "error"] = attrs.field(
        default="error", metadata={"description": "How rows whose width differs from the header count."}
    )
    inputs: list[str] = attrs.field(
        factory=list, metadata={"description": "Input names to check; empty: every input."}
    )
    sample_rows: int = attrs.field(
        default=5,
        metadata={"description": "Row numbers reported per column problem (never values).",
                  "schema": {"minimum": 0, "maximum": 50}},
    )
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


_PROBLEMS = ("type_errors", "format_errors", "required_missing", "not_allowed")


def check_input(
    path: Any, profile: DatasetProfile, dictionary: Dictionary | None, config: SchemaCheckConfig,
    checkpoint: Any = None, engine: str = "columns",
) -> dict[str, Any]:
    """Stream one input and count problems per dictionary column (blocking).

    ``engine``: ``columns`` (column operations per batch, :mod:`stages.columnar`) or ``rows`` (a
    Python call per cell; the reference the columnar path is tested against).
    """
    columns = list(profile.columns)
    present = set(columns)
    specs = dictionary.columns if dictionary else {}
    checked = [name for name in specs if name in present]
    missing = [name for name in specs if name not in present]
    unchecked = [c for c in columns if c not in specs]
    counts = {name: dict.fromkeys(_PROBLEMS, 0) for name in checked}
    first_rows: dict[str, list[int]] = {name: [] for name in checked}
    rows, ragged = profile.rows, profile.ragged_rows
    if checked and profile.rows and engine == "columns":
        from stages.columnar.schema import count
        from stages.columnar.source import spaced_batches

        batches = spaced_batches(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint)
        plan_by_position = [(name, columns.index(name), specs[name]) for name in checked]
        rows = count(plan_by_position, batches, dictionary.missing_values if dictionary else None, counts, first_rows,
                     config.sample_rows)
    elif checked and profile.rows:
        with open_table(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
            index = column_index(reader.columns)
            plan = [(name, index[name], specs[name]) for name in checked]
            is_missing = dictionary.is_missing if dictionary else (lambda t: not t.strip())
            for row in reader:
                for name, i, spec in plan:
                    text = cell(row, i)
                    problem = None
                    if is_missing(text):
                        if spec.required:
                            problem = "required_missing"
                    elif not type_ok(spec.type, text, spec.date_format):
                        problem = "type_errors"
                    elif spec.allowed is not None and text.strip() not in spec.allowed:
                        problem = "not_allowed"
                    elif spec.pattern is not None and not spec.pattern.fullmatch(text.strip()):
                        problem = "format_errors"
                    if problem:
                        counts[name][problem] += 1
                        if len(first_rows[name]) < config.sample_rows:
                            first_rows[name].append(reader.row)
            rows, ragged = reader.row, reader.ragged_rows
    missing_required = [m for m in missing if specs[m].required]
    missing_optional = [m for m in missing if not specs[m].required]
    totals = {p: sum(c[p] for c in counts.values()) for p in _PROBLEMS}
    errors = len(missing_required) + sum(totals.values())
    warnings = 0
    for n, severity in (
        (len(missing_optional), config.missing_optional),
        (len(unchecked) if dictionary else 0, config.extra_columns),
        (ragged, config.ragged_rows),
    ):
        if severity == "error":
            errors += n
        elif severity == "warning":
            warnings += n
    per_column: dict[str, Any] = {}
    for name in specs:
        if name in missing:
            per_column[name] = {"status": "missing", "required": specs[name].required}
            continue
        c = counts[name]
        bad = sum(c.values())
        entry: dict[str, Any] = {"status": "errors" if bad else "ok", "type": specs[name].type}
        if bad:
            entry.update({k: v for k, v in c.items() if v})
            entry["first_rows"] = first_rows[name]
        per_column[name] = entry
    return {
        "rows_checked": rows,
        "columns_expected": len(specs),
        "columns_present": len(checked),
        "missing_columns": missing,
        "missing_required_columns": missing_required,
        "unchecked_columns": unchecked,
        "ragged_rows": ragged,
        **totals,
        "errors_total": errors,
        "warnings_total": warnings,
        "columns": per_column,
    }


@register_stage
class SchemaCheck(StageBase, stage_id=2, stage_name="Schema check against the data dictionary", key="schema_check",
                  version="1.0.0", reads=(InputDataset, DatasetProfile), writes=(SchemaReport,),
                  Config=SchemaCheckConfig, gatekeeping=True):
    """Count missing/extra columns, type mismatches, empty required cells and disallowed values.

    A gatekeeper: a file that fails its structure check is read by no later step."""

    async def execute(self, context: StageContext) -> StageResult:
        config: SchemaCheckConfig = context.config
        try:
            dictionary = await configured_dictionary(context, config.dictionary)
        except StageConfigError as exc:
            return StageResult.failed(f"config dictionary: {exc}")
        refusal = unknown_input(context.world, config.inputs)
        if refusal is not None:
            return StageResult.failed(refusal)
        results: dict[str, Any] = {}
        warnings: list[str] = []
        errors_total = warnings_total = 0
        for entity, dataset, profile in profiled_inputs(context.world, config.inputs, warnings, "not checked"):
            try:
                res = await context.run_blocking(
                    check_input, input_path(dataset), profile, dictionary, config, context.checkpoint
                )
            except TabularError as exc:
                return StageResult.failed(f"input {dataset.name!r}: {exc}")
            results[dataset.name] = res
            errors_total += res["errors_total"]
            warnings_total += res["warnings_total"]
            if res["unchecked_columns"] and dictionary is not None:
                warnings.append(
                    f"input {dataset.name!r}: {len(res['unchecked_columns'])} column(s) not in the dictionary "
                    "are unchecked"
                )
            if res["missing_columns"]:
                warnings.append(f"input {dataset.name!r}: {len(res['missing_columns'])} dictionary column(s) missing")
            context.world.add(
                entity,
                SchemaReport(
                    dictionary=dictionary.source if dictionary else "",
                    dictionary_sha256=dictionary.sha256 if dictionary else "",
                    columns_expected=res["columns_expected"],
                    columns_present=res["columns_present"],
                    missing_columns=res["missing_columns"],
                    unchecked_columns=res["unchecked_columns"],
                    type_errors=res["type_errors"],
                    format_errors=res["format_errors"],
                    required_missing=res["required_missing"],
                    not_allowed=res["not_allowed"],
                    ragged_rows=res["ragged_rows"],
                    errors_total=res["errors_total"],
                    warnings_total=res["warnings_total"],
                    status="errors" if res["errors_total"] else "ok",
                ),
            )
        if dictionary is None:
            warnings.append("no dictionary configured: structure reported, every column unchecked")
        output = {
            "dictionary": dictionary.source if dictionary else None,
            "dictionary_sha256": dictionary.sha256 if dictionary else None,
            "inputs": results,
            "errors_total": errors_total,
            "warnings_total": warnings_total,
            "status": "errors" if errors_total else "ok",
        }
        failing = errors_total and config.on_errors == "fail"
        errors = [f"schema check found {errors_total} error(s) (on_errors: fail)"] if failing else []
        return StageResult.finished(output, errors=errors, warnings=warnings)
