"""The ``deidentify`` stage: plans every input, runs their ranges as one batch, merges and checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from engine import (
    InputDataset,
    StageBase,
    StageContext,
    StageResult,
    StageStatus,
    deid_profiles,
    register_stage,
    writing_artifact,
)
from engine.phi import stage_key
from stages._common import StageConfigError, format_counts, input_entities, input_path, relative_to_workspace, safe_slug
from stages._inputs import profiled_inputs, unknown_input
from stages.components import DatasetProfile, DeidentifiedDataset, PhiFindingsSummary
from stages.dictionary import configured_dictionary
from stages.stage_06_deidentify.classify import Prepared
from stages.stage_06_deidentify.config import ACTIONS, DeidentifyConfig
from stages.stage_06_deidentify.kanon import k_anonymity
from stages.stage_06_deidentify.kept_zip import kept_zip_columns, unkept_zip_cells
from stages.stage_06_deidentify.profile import check_profile, describe_profile, plan_problem
from stages.stage_06_deidentify.ranges import DeidPart, deidentify_part, merge_parts, plan_parts, prepare_input
from stages.stage_06_deidentify.writer import in_input_format
from stages.tabular import TabularError


def describe_input(prep: Prepared) -> dict[str, Any]:
    """The metadata of one input's de-identification that does not depend on its rows."""
    plan = prep.plan
    actions = [a for a, _, _ in plan.actions]
    return {
        "columns": prep.out_columns,
        "columns_dropped": [plan.columns[i] for i, a in enumerate(actions) if a == "drop"],
        "actions": {plan.columns[i]: {"action": a, "kind": k, "evidence": e} for i, (a, k, e) in
                    enumerate(plan.actions)},
        "shifted_columns": prep.shifted_columns,
        "phi_columns": [plan.columns[i] for i in prep.kept if actions[i] not in ("scrub", "keep")],
        "subject_column": plan.columns[prep.subject_index] if prep.subject_index is not None else None,
    }


def _as_of(config: DeidentifyConfig) -> tuple[int | None, str]:
    """The year every age is computed against, and where it came from (``config`` or ``run date``).

    Only the year is used (a birth year more than 89 years before it is 90+) and recorded: a full
    date in the report would be a date, which reports never hold.
    """
    if config.as_of is None:
        return dt.datetime.now(dt.UTC).year, "run date"
    text = config.as_of.strip()
    try:
        year = dt.date.fromisoformat(text).year if len(text) > 4 else int(text)
    except ValueError:
        return None, "config"
    return (year, "config") if 1800 <= year <= 9999 else (None, "config")


def _resolve_key(context: StageContext) -> Any:
    return stage_key(context.phi_key, context.phi_key_source)


@register_stage
class Deidentify(StageBase, stage_id=6, stage_name="De-identify", key="deidentify", version="1.0.0",
                 reads=(InputDataset, DatasetProfile), optional_reads=(PhiFindingsSummary,),
                 writes=(DeidentifiedDataset,), Config=DeidentifyConfig, removes_phi=True):
    """Write a de-identified copy of every input, then rescan it.

    It reads phi_scan's findings when that step ran: their column classification spares re-classifying the
    columns it proved clear."""

    @staticmethod
    def approvals_needed(config: DeidentifyConfig) -> tuple[tuple[str, str], ...]:
        """The approval the step's profile needs, decided by the governance preflight."""
        return deid_profiles.approvals_needed(getattr(config, "profile", None))

    config_problems = staticmethod(deid_profiles.config_problems)

    async def execute(self, context: StageContext) -> StageResult:
        config: DeidentifyConfig = context.config
        try:
            dictionary = await configured_dictionary(context, config.dictionary)
        except StageConfigError as exc:
            return StageResult.failed(f"config dictionary: {exc}")
        bad = sorted(a for a in config.columns.values() if a not in ACTIONS)
        if bad:
            return StageResult.failed(f"config columns: unknown action(s); expected one of {', '.join(ACTIONS)}")
        refusal = unknown_input(context.world, config.inputs)
        if refusal is not None:
            return StageResult.failed(refusal)
        selected = [n for n in (d.name for _, d in input_entities(context.world)) if not config.inputs or
                    n in config.inputs]
        gate = check_profile(config, context.approvals, selected)
        if gate.problem is not None:
            return StageResult(status=StageStatus.BLOCKED, output={"profile": describe_profile(config, gate)},
                               errors=(f"profile {config.profile}: {gate.problem}; nothing was written",))
        as_of_year, as_of_source = _as_of(config)
        if as_of_year is None:
            return StageResult.failed("config as_of: not a date (YYYY-MM-DD) or a year (YYYY)")
        phi_key = _resolve_key(context)
        key, key_source = phi_key.key, phi_key.source
        fail_on_residual = config.fail_on_residual if config.fail_on_residual is not None else context.mode != "DEMO"
        warnings: list[str] = []
        if key_source == "random":
            warnings.append("no PHI key configured: pseudonyms and date shifts are stable within this run only")
        if config.dates == "shift" and config.profile is None:
            warnings.append("dates are shifted, not generalised to the year: not HIPAA Safe Harbor")
        if config.profile is None and context.mode != "DEMO":
            warnings.append("no profile: the copy is not attested as de-identified under a HIPAA method "
                            "(set profile: safe_harbor, limited_data_set or expert_determination)")
        outputs: dict[str, Any] = {}
        artifacts: list[str] = []
        errors: list[str] = []
        # Decide each input's column actions and byte ranges here, run every input's partitions as
        # one batch on the run's executor, then merge each input in file order.
        jobs: list[tuple[str, Any, Path, Prepared, list[DeidPart]]] = []
        with context.parts_folder() as parts_root:
            for entity, dataset, profile in profiled_inputs(context.world, config.inputs, warnings,
                                                            "not de-identified"):
                suffix = ".tsv" if profile.format == "tsv" else ".csv"
                relative = f"deidentified/{safe_slug(dataset.name)}{suffix}"
                with writing_artifact(context.workspace / relative, context.workspace):
                    out_path = context.artifact_path(relative)
                parts_dir = parts_root / f"{len(jobs):04d}"
                with writing_artifact(parts_dir, context.workspace):
                    parts_dir.mkdir(parents=True, exist_ok=True)
                scanned = context.world.get(entity, PhiFindingsSummary)
                try:
                    prep = await context.run_blocking(
                        prepare_input, input_path(dataset), profile, config, dictionary, key,
                        context.partition_bytes, as_of_year, scanned.columns_classified if scanned else None,
                        scanned.columns_evidence if scanned else None)
                except (StageConfigError, TabularError) as exc:
                    return StageResult.failed(f"input {dataset.name!r}: {exc}")
                broken = plan_problem(config.profile, prep, gate.transforms)
                if broken is not None:
                    return StageResult(status=StageStatus.BLOCKED, output={"profile": describe_profile(config, gate)},
                                       errors=(f"profile {config.profile}: input {dataset.name!r}: {broken}; "
                                               "nothing was written",))
                if prep.shifted_columns and prep.subject_index is None:
                    problem = (f"input {dataset.name!r}: dates: shift needs a subject column (set subject_column); "
                               "one offset for every row is undone by a single known date")
                    if context.mode != "DEMO":
                        return StageResult(status=StageStatus.BLOCKED, errors=(problem + "; nothing was written",))
                    warnings.append(problem + "; every row was shifted by one offset for this input")
                parts = plan_parts(input_path(dataset), profile, config, prep, key, parts_dir,
                                   run_folder=context.workspace)
                jobs.append((entity, dataset, out_path, prep, parts))
            label = context.step_id or self.key
            per_job = await context.map_parts(deidentify_part, [parts for *_, parts in jobs], label=label)
            # A range that ended inside a quoted field (malformed quoting) is redone whole, over the
            # input's text first (a misplaced range boundary also breaks the byte copy of its part);
            # an input whose whole text has a record the byte-preserving writer does not read as the
            # row reader did is redone value by value.
            for _ in range(2):
                redo = [n for n, results in enumerate(per_job)
                        if not all(r.get("split_ok", True) and r.get("bytewise_ok", True) for r in results)]
                if not redo:
                    break
                for n in redo:
                    entity, dataset, out_path, prep, parts = jobs[n]
                    bytewise = len(parts) > 1 or all(r.get("bytewise_ok", True) for r in per_job[n])
                    whole = plan_parts(input_path(dataset), parts[0].profile, config, prep, key,
                                       parts_root / f"{n:04d}", whole=True, bytewise=bytewise,
                                       run_folder=context.workspace)
                    jobs[n] = (entity, dataset, out_path, prep, whole)
                again = await context.map_tasks(deidentify_part, [jobs[n][4][0] for n in redo], label=label)
                for n, result in zip(redo, again, strict=True):
                    per_job[n] = [result]
            for (entity, dataset, out_path, prep, parts), results in zip(jobs, per_job, strict=True):
                try:
                    merged = await context.run_blocking(merge_parts, parts, results, out_path, key,
                                                    context.workspace)
                except (StageConfigError, TabularError) as exc:
                    return StageResult.failed(f"input {dataset.name!r}: {exc}")
                meta = describe_input(prep)
                check = merged["rescan"]
                sha = merged["sha256"]
                rel = relative_to_workspace(out_path, context.workspace)
                outputs[dataset.name] = {
                    "path": rel, "sha256": sha, "rows": merged["rows"], "columns": len(meta["columns"]),
                    "columns_dropped": meta["columns_dropped"], "actions": meta["actions"],
                    "replacements": merged["replacements"], "rescan": check,
                }
                kept_zips = kept_zip_columns(prep.plan.columns, prep.plan.actions)
                if kept_zips:
                    unkept, first = await context.run_blocking(unkept_zip_cells, out_path, merged["delimiter"],
                                                               kept_zips)
                    if unkept:
                        # geography: keep keeps US ZIPs only; a postcode or an address is no ZIP it may keep
                        out_path.unlink(missing_ok=True)
                        outputs[dataset.name].update(path=None, sha256=None, unkept_zips=unkept)
                        errors.append(f"input {dataset.name!r}: {unkept} cell(s) of the ZIP column(s) kept by "
                                      f"geography: keep are not a 5-digit US ZIP (rows {', '.join(map(str, first))}"
                                      f"{', ...' if unkept > len(first) else ''}); the copy was deleted")
                        continue
                if check["residual_findings"]:
                    shown = " | ".join(f"{column}: {format_counts(per)}"
                                      for column, per in check["by_column_category"].items())
                    message = (f"input {dataset.name!r}: the rescan of the de-identified copy found "
                               f"{check['residual_findings']} PHI finding(s) ({shown})")
                    if fail_on_residual:
                        # A copy that failed its rescan is not de-identified: it must not stay behind.
                        out_path.unlink(missing_ok=True)
                        outputs[dataset.name].update(path=None, sha256=None)
                        errors.append(message + "; the copy was deleted")
                        continue
                    warnings.append(message)
                if config.quasi_identifiers:
                    outputs[dataset.name]["k_anonymity"] = await context.run_blocking(
                        k_anonymity, out_path, config.quasi_identifiers, config.k, config.max_field_chars,
                        merged["delimiter"])
                if config.profile == "safe_harbor":
                    outputs[dataset.name]["attestation"] = deid_profiles.safe_harbor_attestation(
                        [(c, a, k) for c, (a, k, _) in zip(prep.plan.columns, prep.plan.actions, strict=True)],
                        merged["replacements"])
                rewritten = await context.run_blocking(in_input_format, out_path, parts[0].profile.format,
                                                       input_path(dataset), prep, context.workspace)
                if rewritten is not None:
                    out_path, sha = rewritten
                    rel = relative_to_workspace(out_path, context.workspace)
                    outputs[dataset.name].update(path=rel, sha256=sha)
                artifacts.append(rel)
                context.world.add(
                    entity,
                    DeidentifiedDataset(
                        path=rel, sha256=sha, rows=merged["rows"], columns=tuple(meta["columns"]),
                        columns_dropped=tuple(meta["columns_dropped"]), replacements=merged["replacements"],
                        residual_findings=check["residual_findings"], phi_columns=tuple(meta["phi_columns"]),
                        delimiter=merged["delimiter"] if rewritten is None else ",",
                    ),
                )
                context.logger.info("de-identified input %s: %d rows", dataset.name, merged["rows"])
        output = {
            "inputs": outputs,
            "residual_findings": sum(o["rescan"]["residual_findings"] for o in outputs.values()),
            "key_source": key_source,
            "key_id": phi_key.describe()["key_id"],
            "schemes": {k: v for k, v in phi_key.describe()["schemes"].items() if k != "digest"},
            "dates": config.dates,
            "identifiers": config.identifiers,
            "as_of": {"year": as_of_year, "source": as_of_source},
            "profile": describe_profile(config, gate),
        }
        return StageResult.finished(output, errors=errors, artifacts=artifacts, warnings=warnings)
