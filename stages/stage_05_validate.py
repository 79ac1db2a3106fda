"""Stage 5, ``validate``: data-quality rules, counted per rule and per column, never quoting values.

Rules come from the data dictionary (column min/max, max_missing, code, unique, and its ``rules``
list) and from the stage config. A rule whose columns are absent from an input is reported as
``not_applicable`` and columns no rule names as ``unchecked``, so a user's own CSV runs through the
DEMO pipeline without failing on the bundled study's rules.

Everything is computed in one streaming pass, a batch of rows at a time, each rule a column
operation (:mod:`stages.columnar`); duplicate detection keeps a 16-byte keyed digest per distinct
key instead of the key itself (bounded by ``max_unique_keys``).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

import attrs

from engine import InputDataset, StageBase, StageContext, StageResult, register_stage, safe_excerpt
from stages._common import StageConfigError, input_path
from stages._inputs import profiled_inputs, unknown_input
from stages.components import DatasetProfile, QualityReport
from stages.dictionary import (
    DEFAULT_MISSING,
    Dictionary,
    RuleSpec,
    build_rule,
    code_ok,
    configured_dictionary,
    dictionary_config_files,
    parse_date,
    parse_number,
)
from stages.tabular import DEFAULT_MAX_FIELD_CHARS, TabularError, cell, column_index, open_table


@attrs.frozen
class RuleConfig:
    """One quality rule given inline in the manifest (same keys as a dictionary's ``rules`` entry)."""

    kind: Literal["range", "missing", "unique", "date_order", "allowed", "pattern", "code"] = attrs.field(
        metadata={"description": "What the rule checks."}
    )
    name: str | None = attrs.field(default=None, metadata={"description": "Rule id in the report."})
    column: str | None = attrs.field(default=None, metadata={"description": "The column (single-column rules)."})
    columns: list[str] = attrs.field(
        factory=list, metadata={"description": "Columns: the key of 'unique', [earlier, later] of 'date_order'."}
    )
    severity: Literal["error", "warning"] = "error"
    min: float | None = None
    max: float | None = None
    max_fraction: float | None = attrs.field(
        default=None, metadata={"description": "'missing': the largest accepted share of missing cells (0-1)."}
    )
    values: list[str] | None = attrs.field(default=None, metadata={"description": "'allowed': the accepted values."})
    pattern: str | None = attrs.field(
        default=None,
        metadata={"description": "'pattern': a full-match regular expression in RE2 syntax (no lookaround or "
                  "backreferences; matched in linear time).", "schema": {"format": "re2", "maxLength": 1000}},
    )
    system: Literal["icd10", "loinc"] | None = attrs.field(default=None, metadata={"description": "'code' rules."})
    allow_equal: bool = attrs.field(default=True, metadata={"description": "'date_order': equal dates pass."})


@attrs.frozen
class ValidateConfig:
    """Which quality rules to apply and what a violation does."""

    dictionary: str | None = attrs.field(
        default=None,
        metadata={"description": "Data dictionary ('bundled:NAME.yaml' or a path) whose rules apply.",
                  "config_file": True},
    )
    rules: list[RuleConfig] = attrs.field(factory=list, metadata={"description": "Extra rules, inline."})
    use_dictionary_rules: bool = attrs.field(
        default=True, metadata={"description": "Apply the dictionary's column limits and rules."}
    )
    max_missing_default: float | None = attrs.field(
        default=None,
        metadata={"description": "A missing-value threshold (0-1, warning) for every column without one.",
                  "schema": {"minimum": 0, "maximum": 1}},
    )
    on_errors: Literal["fail", "report"] = attrs.field(
        default="report",
        metadata={"description": "'report': complete and let a gate decide (validate.errors_total); 'fail'."},
    )
    inputs: list[str] = attrs.field(factory=list, metadata={"description": "Input names; empty: every input."})
    sample_rows: int = attrs.field(
        default=5, metadata={"description": "Row numbers reported per rule.", "schema": {"minimum": 0, "maximum": 50}}
    )
    max_unique_keys: int = attrs.field(
        default=5_000_000,
        metadata={"description": "Memory bound of duplicate detection (distinct keys per unique rule).",
                  "schema": {"minimum": 1}},
    )
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


def _rule_from_config(rule: RuleConfig, index: int) -> RuleSpec:
    data = {k: v for k, v in attrs.asdict(rule).items() if v is not None and v != []}
    return build_rule(data, f"rules[{index}]")


class _Check:
    """A rule bound to column positions, accumulating its counts."""

    def __init__(self, rule: RuleSpec, positions: list[int], date_formats: list[str | None], config: ValidateConfig,
                 salt: bytes) -> None:
        self.rule = rule
        self.pos = positions
        self.date_formats = date_formats
        self.checked = 0
        self.violations = 0
        self.missing = 0
        self.skipped = 0
        self.first_rows: list[int] = []
        self.sample = config.sample_rows
        self.seen: set[bytes] = set()
        self.max_keys = config.max_unique_keys
        self.overflow = False
        self.salt = salt

    def hit(self, row: int) -> None:
        self.violations += 1
        if len(self.first_rows) < self.sample:
            self.first_rows.append(row)

    def feed(self, values: list[str], row: int, is_missing: Any) -> None:
        rule = self.rule
        kind = rule.kind
        if kind == "missing":
            self.checked += 1
            if is_missing(values[0]):
                self.missing += 1
            return
        if any(is_missing(v) for v in values):
            self.missing += 1
            return
        self.checked += 1
        if kind == "range":
            number = parse_number(values[0])
            if number is None:
                self.skipped += 1
            elif (rule.min is not None and number < rule.min) or (rule.max is not None and number > rule.max):
                self.hit(row)
        elif kind == "allowed":
            if values[0].strip() not in rule.values:
                self.hit(row)
        elif kind == "pattern":
            assert rule.pattern is not None
            if not rule.pattern.fullmatch(values[0].strip()):
                self.hit(row)
        elif kind == "code":
            if not code_ok(rule.system or "", values[0]):
                self.hit(row)
        elif kind == "date_order":
            earlier = parse_date(values[0], self.date_formats[0])
            later = parse_date(values[1], self.date_formats[1])
            if earlier is None or later is None:
                self.skipped += 1
            elif later < earlier or (later == earlier and not rule.allow_equal):
                self.hit(row)
        elif kind == "unique":
            if self.overflow:
                return
            key = hashlib.blake2b("\x1f".join(v.strip() for v in values).encode(), digest_size=16,
                                  key=self.salt).digest()
            if key in self.seen:
                self.hit(row)
            elif len(self.seen) >= self.max_keys:
                self.overflow = True
            else:
                self.seen.add(key)

    def finish(self, rows: int) -> dict[str, Any]:
        rule = self.rule
        result: dict[str, Any] = {
            "kind": rule.kind,
            "severity": rule.severity,
            "columns": list(rule.columns),
            "status": "ok",
            "checked": self.checked,
        }
        if rule.kind == "missing":
            fraction = self.missing / rows if rows else 0.0
            assert rule.max_fraction is not None
            self.violations = 1 if fraction > rule.max_fraction else 0
            result.update(missing_cells=self.missing, missing_fraction=round(fraction, 4),
                          max_fraction=rule.max_fraction)
        else:
            result["skipped_missing"] = self.missing
            if self.skipped:
                result["skipped_unparsable"] = self.skipped
        if self.overflow:
            result["incomplete"] = f"stopped tracking keys after max_unique_keys={self.max_keys}"
        result["violations"] = self.violations
        if self.first_rows:
            result["first_rows"] = self.first_rows
        if self.violations:
            result["status"] = "errors" if rule.severity == "error" else "warnings"
        self.seen = set()
        return result


def collect_rules(dictionary: Dictionary | None, config: ValidateConfig) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    if dictionary is not None and config.use_dictionary_rules:
        rules += dictionary.quality_rules()
    rules += [_rule_from_config(r, i) for i, r in enumerate(config.rules)]
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        shown = ", ".join(safe_excerpt(d, 40) for d in dupes[:5])
        raise StageConfigError(f"rule names must be unique; repeated: {shown}")
    return rules


def validate_input(path: Any, profile: DatasetProfile, dictionary: Dictionary | None, rules: list[RuleSpec],
                   config: ValidateConfig, checkpoint: Any = None, engine: str = "columns") -> dict[str, Any]:
    """Apply ``rules`` to one input in one streaming pass (blocking).

    ``engine``: ``columns`` (each rule a column operation per batch, :mod:`stages.columnar`) or
    ``rows`` (a Python call per cell; kept as the reference the columnar path is tested against).
    """
    columns = list(profile.columns)
    index = column_index(columns)
    missing_values = dictionary.missing_values if dictionary else frozenset(DEFAULT_MISSING)

    def is_missing(text: str) -> bool:
        return text.strip() in missing_values

    all_rules = list(rules)
    default_rules: set[str] = set()
    if config.max_missing_default is not None:
        covered = {r.columns[0] for r in rules if r.kind == "missing"}
        taken = {r.name for r in rules}
        defaults = [
            RuleSpec(f"{c}.missing", "missing", (c,), "warning", max_fraction=config.max_missing_default)
            for c in columns if c not in covered and f"{c}.missing" not in taken
        ]
        default_rules = {r.name for r in defaults}
        all_rules += defaults
    salt = secrets.token_bytes(16)
    checks: list[_Check] = []
    not_applicable: dict[str, Any] = {}
    for rule in all_rules:
        absent = [c for c in rule.columns if c not in index]
        if absent:
            not_applicable[rule.name] = {"kind": rule.kind, "status": "not_applicable", "missing_columns": absent}
            continue
        formats = [
            dictionary.columns[c].date_format if dictionary and c in dictionary.columns else None for c in rule.columns
        ]
        checks.append(_Check(rule, [index[c] for c in rule.columns], formats, config, salt))
    rows = 0
    if checks and profile.rows and engine == "columns":
        from stages.columnar.source import spaced_batches
        from stages.columnar.validate import feed

        batches = spaced_batches(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint)
        rows = feed(checks, batches, missing_values)
    elif checks and profile.rows:
        with open_table(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader:
            for row in reader:
                n = reader.row
                for check in checks:
                    check.feed([cell(row, p) for p in check.pos], n, is_missing)
            rows = reader.row
    by_rule: dict[str, Any] = {}
    by_column: dict[str, int] = {}
    errors = warnings = 0
    for check in checks:
        result = check.finish(rows)
        by_rule[check.rule.name] = result
        if result["violations"]:
            if check.rule.severity == "error":
                errors += result["violations"]
            else:
                warnings += result["violations"]
            col = check.rule.columns[-1] if check.rule.kind != "unique" else "+".join(check.rule.columns)
            by_column[col] = by_column.get(col, 0) + result["violations"]
    # A column only covered by the blanket max_missing_default is still "unchecked" for content.
    named = {c for check in checks if check.rule.name not in default_rules for c in check.rule.columns}
    unchecked = [c for c in columns if c not in named]
    return {
        "rows_checked": rows,
        "rules_checked": len(checks),
        "rules_not_applicable": len(not_applicable),
        "errors_total": errors,
        "warnings_total": warnings,
        "by_column": by_column,
        "unchecked_columns": unchecked,
        "rules": {**by_rule, **not_applicable},
        "status": "errors" if errors else ("warnings" if warnings else "ok"),
    }


@register_stage
class Validate(StageBase, stage_id=5, stage_name="Validate data quality", key="validate", version="1.0.0",
               reads=(InputDataset, DatasetProfile), writes=(QualityReport,), Config=ValidateConfig):
    """Quality rules from the dictionary and the config: violations per rule and per column."""

    config_files = staticmethod(dictionary_config_files)

    async def execute(self, context: StageContext) -> StageResult:
        config: ValidateConfig = context.config
        try:
            dictionary = await configured_dictionary(context, config.dictionary)
            rules = collect_rules(dictionary, config)
        except StageConfigError as exc:
            return StageResult.failed(f"config: {exc}")
        refusal = unknown_input(context.world, config.inputs)
        if refusal is not None:
            return StageResult.failed(refusal)
        if not rules and config.max_missing_default is None:
            warnings = ["no rules configured (no dictionary, no rules, no max_missing_default): nothing checked"]
        else:
            warnings = []
        results: dict[str, Any] = {}
        errors_total = warnings_total = 0
        for entity, dataset, profile in profiled_inputs(context.world, config.inputs, warnings, "not validated"):
            try:
                res = await context.run_blocking(
                    validate_input, input_path(dataset), profile, dictionary, rules, config, context.checkpoint
                )
            except TabularError as exc:
                return StageResult.failed(f"input {dataset.name!r}: {exc}")
            results[dataset.name] = res
            errors_total += res["errors_total"]
            warnings_total += res["warnings_total"]
            if res["rules_not_applicable"]:
                warnings.append(
                    f"input {dataset.name!r}: {res['rules_not_applicable']} rule(s) not applicable (columns absent)"
                )
            context.world.add(
                entity,
                QualityReport(
                    rules_checked=res["rules_checked"],
                    rules_not_applicable=res["rules_not_applicable"],
                    errors_total=res["errors_total"],
                    warnings_total=res["warnings_total"],
                    rows_checked=res["rows_checked"],
                    by_rule={k: v.get("violations", 0) for k, v in res["rules"].items()},
                    by_column=res["by_column"],
                    unchecked_columns=res["unchecked_columns"],
                    status=res["status"],
                ),
            )
        output = {
            "dictionary": dictionary.source if dictionary else None,
            "inputs": results,
            "errors_total": errors_total,
            "warnings_total": warnings_total,
            "status": "errors" if errors_total else ("warnings" if warnings_total else "ok"),
        }
        failing = errors_total and config.on_errors == "fail"
        errors = [f"validation found {errors_total} error(s) (on_errors: fail)"] if failing else []
        return StageResult.finished(output, errors=errors, warnings=warnings)
