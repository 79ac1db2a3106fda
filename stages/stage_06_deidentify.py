"""Stage 6, ``deidentify``: a de-identified copy of each input, rescanned before it is trusted.

Every column gets one action, decided in this order: the config's ``columns`` override, the data
dictionary's ``phi`` kind, the column's name (the PHI registry's column context plus name,
address, e-mail, phone, subject, birth-date and age words), then a sample of its values (a column
of dates). Actions:

* ``drop`` / ``pseudonym`` — direct identifiers (names, MRNs, SSNs, phones, e-mails, addresses):
  removed, or replaced by a keyed pseudonym (HMAC; the same value gets the same pseudonym);
* ``subject`` — the subject code: a keyed pseudonym, and the key of per-subject date shifts;
* ``year`` / ``shift`` — dates: generalised to the year (Safe Harbor), or shifted by a per-subject
  offset of up to ``max_shift_days`` (keeps intervals; not Safe Harbor);
* ``dob`` — birth dates: the year, and nothing for anyone 90 or older;
* ``zip3`` — the first three ZIP digits, ``000`` for the sparsely populated prefixes;
* ``age`` — ages over 89 become ``90+``;
* ``scrub`` — every other column: PHI spans replaced by category tokens (``[PHI:SSN]``), plus the
  row's own identifier values (a patient's name from the name column, wherever it recurs);
* ``keep`` — copied as is (only by explicit config).

The copy is written atomically, then rescanned by the PHI scanner; remaining findings fail the step
(``fail_on_residual``). Shifted dates are dates by design and are not counted as residue.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import attrs

from engine import InputDataset, StageContext, StageResult, register_stage
from engine.types import ANY_MODE
from stages import _phi
from stages._common import (
    StageConfigError,
    atomic_output,
    file_sha256,
    format_counts,
    input_entities,
    input_path,
    keyed_digest,
    relative_to_workspace,
    safe_slug,
)
from stages.components import DatasetProfile, DeidentifiedDataset
from stages.dictionary import Dictionary, load_dictionary, parse_date
from stages.tabular import DEFAULT_MAX_FIELD_CHARS, TabularError, cell, open_table

ACTIONS = ("drop", "pseudonym", "subject", "year", "shift", "dob", "zip3", "age", "scrub", "keep")
IDENTIFIER_KINDS = {"NAME", "SSN", "MRN", "PHONE", "EMAIL", "ADDRESS", "IDENTIFIER"}
SAMPLE_ROWS = 200

_HEADER_WORDS: list[tuple[str, frozenset[str]]] = [
    ("subject", frozenset({"subject_id", "subject", "participant_id", "participant", "study_id", "record_id"})),
    ("dob", frozenset({"dob", "date_of_birth", "birth_date", "birthdate", "birthday"})),
    ("age", frozenset({"age", "age_years", "age_at_enrollment", "age_at_visit", "patient_age"})),
    ("NAME", frozenset({
        "name", "patient_name", "full_name", "first_name", "last_name", "given_name", "family_name", "surname",
        "middle_name", "maiden_name", "nickname", "patient", "fname", "lname", "firstname", "lastname",
    })),
    ("ADDRESS", frozenset({"address", "street", "street_address", "addr", "address1", "address2", "address_line1",
                           "address_line2", "city", "town"})),
    ("EMAIL", frozenset({"email", "e_mail", "email_address"})),
    ("PHONE", frozenset({"phone", "telephone", "tel", "mobile", "cell", "fax", "phone_number", "home_phone"})),
]
_FREE_TEXT_WORDS = ("note", "notes", "comment", "comments", "text", "narrative", "remarks", "description", "memo")
_ZIP_RE = re.compile(r"^\s*([0-9]{5})(?:-[0-9]{4})?\s*$", re.ASCII)
_INT_RE = re.compile(r"^\s*([0-9]{1,3})\s*$", re.ASCII)
_ISO_DATETIME = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?P<rest>[T ][0-9:.+-Z]*)?\s*$", re.ASCII)


@attrs.frozen
class DeidentifyConfig:
    """How each kind of column is de-identified, and how strict the rescan is."""

    dictionary: str | None = attrs.field(
        default=None,
        metadata={"description": "Data dictionary whose 'phi' kinds classify columns ('bundled:NAME' or a path)."},
    )
    columns: dict[str, str] = attrs.field(
        factory=dict,
        metadata={"description": "Per-column action override: " + ", ".join(ACTIONS) + ".",
                  "schema": {"additionalProperties": {"enum": list(ACTIONS)}}},
    )
    identifiers: Literal["drop", "pseudonym"] = attrs.field(
        default="drop", metadata={"description": "What direct-identifier columns become."}
    )
    dates: Literal["year", "shift"] = attrs.field(
        default="year", metadata={"description": "'year' (Safe Harbor) or a per-subject 'shift'."}
    )
    max_shift_days: int = attrs.field(
        default=180, metadata={"description": "Largest date shift, in days, either way.",
                               "schema": {"minimum": 1, "maximum": 3650}}
    )
    subject_column: str | None = attrs.field(
        default=None, metadata={"description": "Column keying per-subject date shifts; default: detected."}
    )
    fail_on_residual: bool = attrs.field(
        default=True, metadata={"description": "Fail when the rescan of the copy still finds PHI."}
    )
    inputs: list[str] = attrs.field(factory=list, metadata={"description": "Input names; empty: every input."})
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


# -- classification -------------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip()).lower()).strip("_")


def classify_column(
    name: str, config: DeidentifyConfig, dictionary: Dictionary | None, sample: list[str]
) -> tuple[str, str, str]:
    """``(action, kind, evidence)`` for one column; evidence is config, dictionary, header or values."""
    ident = config.identifiers
    dates = config.dates
    if name in config.columns:
        action = config.columns[name]
        if action not in ACTIONS:
            raise StageConfigError(f"columns.{name[:40]}: unknown action; expected one of {', '.join(ACTIONS)}")
        return action, "configured", "config"
    spec = dictionary.columns.get(name) if dictionary else None
    if spec is not None and spec.phi:
        kind = spec.phi
        by_kind = {"SUBJECT_ID": "subject", "DATE_OF_BIRTH": "dob", "DATE": dates, "ZIP": "zip3", "AGE": "age",
                   "FREE_TEXT": "scrub", "none": "scrub"}
        return (ident if kind in IDENTIFIER_KINDS else by_kind[kind]), kind, "dictionary"
    norm = _norm(name)
    for kind, words in _HEADER_WORDS:
        if norm in words:
            action = {"subject": "subject", "dob": "dob", "age": "age"}.get(kind, ident)
            return action, kind.upper() if kind in ("subject", "dob", "age") else kind, "header"
    matcher = _phi.column_matcher(name)
    if matcher is not None:
        cat = matcher.category.name
        if cat == "ZIP":
            return "zip3", cat, "header"
        if cat == "DATE":
            return dates, cat, "header"
        return ident, cat, "header"
    if norm.endswith("_date") or norm.startswith("date_") or norm in ("date", "dt") or norm.endswith("_dt"):
        return dates, "DATE", "header"
    values = [v for v in sample if v.strip()]
    if values and sum(1 for v in values if _ISO_DATETIME.match(v)) >= 0.9 * len(values):
        return dates, "DATE", "values"
    if any(word in norm.split("_") for word in _FREE_TEXT_WORDS):
        return "scrub", "FREE_TEXT", "header"
    return "scrub", "none", "default"


# -- transforms -----------------------------------------------------------------------------------


class _Transformer:
    """Per-run state: the key, pseudonym cache, counters."""

    def __init__(self, key: bytes, config: DeidentifyConfig, dictionary: Dictionary | None, today: dt.date) -> None:
        self.key = key
        self.config = config
        self.dictionary = dictionary
        self.today = today
        self.counts: dict[str, int] = {}
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self.restricted_zip3 = frozenset(
            _phi.registry().category("ZIP").params.get("restricted_zip3", ())
        )

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def pseudonym(self, kind: str, value: str) -> str:
        norm = " ".join(value.split()).lower()
        if kind in ("SSN", "PHONE", "MRN"):
            digits = re.sub(r"[^0-9]", "", norm)
            norm = digits or norm
        cache_key = (kind, norm)
        found = self._pseudonyms.get(cache_key)
        if found is None:
            prefix = "SUBJ" if kind == "SUBJECT_ID" else kind[:5]
            found = f"{prefix}_{_letters(keyed_digest(self.key, 'pseudonym:' + kind, norm))}"
            if len(self._pseudonyms) < 2_000_000:
                self._pseudonyms[cache_key] = found
        return found

    def shift_days(self, subject: str) -> int:
        span = self.config.max_shift_days
        digest = keyed_digest(self.key, "date-shift", " ".join(subject.split()).lower())
        offset = int(digest[:8], 16) % (2 * span + 1) - span
        return offset or 1

    def date(self, text: str, mode: str, date_format: str | None, shift: int) -> str | None:
        """The date in ``text`` generalised or shifted, or None if it is not a date we can parse."""
        m = _ISO_DATETIME.match(text)
        if m:
            try:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
            if mode == "year":
                return str(day.year)
            moved = day + dt.timedelta(days=shift)
            return moved.isoformat() + (m.group("rest") or "")
        if date_format:
            day2 = parse_date(text, date_format)
            if day2 is not None:
                return str(day2.year) if mode == "year" else (day2 + dt.timedelta(days=shift)).strftime(date_format)
        return None

    def scrub(self, text: str, column: str, broad: bool, row_idents: list[tuple[str, str]]) -> str:
        if not text:
            return text
        if row_idents:
            low = text.lower()
            for value, token in row_idents:
                if value.lower() not in low:  # cheap precheck: most cells hold none of them
                    continue
                text, n = replace_word(text, value, token)
                if n:
                    self.count(token.strip("[]").split(":")[-1], n)
                    low = text.lower()
        spans = _phi.find_spans(text, column=column, broad=broad)
        for span in spans:
            self.count(span.category)
        return _phi.replace_spans(text, spans) if spans else text


def replace_word(text: str, value: str, token: str) -> tuple[str, int]:
    """Replace whole-word, case-insensitive occurrences of ``value`` in ``text``; ``(text, count)``.

    A plain scan instead of a regex per value: identifier values change every row, and compiling
    an IGNORECASE pattern for each costs far more than the search.
    """
    low, needle = text.lower(), value.lower()
    if len(low) != len(text) or not needle:
        return text, 0
    i = low.find(needle)
    if i < 0:
        return text, 0
    parts: list[str] = []
    pos = count = 0
    while i >= 0:
        end = i + len(needle)
        if (i == 0 or not text[i - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            parts.append(text[pos:i])
            parts.append(token)
            pos = end
            count += 1
            i = low.find(needle, end)
        else:
            i = low.find(needle, i + 1)
    parts.append(text[pos:])
    return "".join(parts), count


def _letters(hex_digest: str, n: int = 12) -> str:
    """``n`` lowercase letters from a hex digest (~56 bits for 12).

    Letters only, because a pseudonym must not look like what it replaces: with digits in it, a
    pseudonym in an ``mrn`` column is an MRN-shaped value to the scanner's column context.
    """
    value = int(hex_digest[:16], 16)
    out = []
    for _ in range(n):
        value, r = divmod(value, 26)
        out.append(chr(97 + r))
    return "".join(out)


def _row_identifiers(row: list[str], ident_cols: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """The row's own identifier values (and name parts) to hunt for in its free text."""
    found: list[tuple[str, str]] = []
    for index, kind in ident_cols:
        value = cell(row, index).strip()
        if len(value) < 3:
            continue
        token = _phi.token_for(kind if kind != "IDENTIFIER" else "MRN")
        found.append((value, token))
        if kind == "NAME":
            found.extend((part, token) for part in value.split() if len(part) >= 3 and part[:1].isupper())
    found.sort(key=lambda item: len(item[0]), reverse=True)
    return found


# -- per input ------------------------------------------------------------------------------------


@attrs.frozen
class _Plan:
    columns: list[str]
    actions: list[tuple[str, str, str]]


def _plan(path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None) -> _Plan:
    samples: list[list[str]] = [[] for _ in profile.columns]
    if profile.rows:
        with open_table(path, profile, max_field_chars=config.max_field_chars) as reader:
            for n, row in enumerate(reader):
                if n >= SAMPLE_ROWS:
                    break
                for i in range(len(samples)):
                    samples[i].append(cell(row, i))
    columns = list(profile.columns)
    unknown = sorted(set(config.columns) - set(columns))
    if unknown:
        raise StageConfigError(f"columns: no column named {unknown[0][:40]!r} in the input")
    return _Plan(columns, [classify_column(c, config, dictionary, samples[i]) for i, c in enumerate(columns)])


def deidentify_input(
    path: Path, out_path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None,
    key: bytes, checkpoint: Callable[[], None] | None = None, today: dt.date | None = None,
) -> dict[str, Any]:
    """Write the de-identified copy of one input (blocking); returns metadata about it."""
    plan = _plan(path, profile, config, dictionary)
    tx = _Transformer(key, config, dictionary, today or dt.date.today())
    actions = [a for a, _, _ in plan.actions]
    kept = [i for i, a in enumerate(actions) if a != "drop"]
    subject_index = None
    if config.subject_column is not None:
        if config.subject_column not in plan.columns:
            raise StageConfigError(f"subject_column: no column named {config.subject_column[:40]!r}")
        subject_index = plan.columns.index(config.subject_column)
    else:
        subject_index = next((i for i, a in enumerate(actions) if a == "subject"), None)
    # Values of identifier columns are also hunted for in the same row's other cells.
    ident_cols = [(i, kind) for i, (a, kind, _) in enumerate(plan.actions) if a in ("drop", "pseudonym")]
    date_formats = [
        dictionary.columns[c].date_format if dictionary and c in dictionary.columns else None for c in plan.columns
    ]
    broad = [kind == "FREE_TEXT" for _, kind, _ in plan.actions]
    dataset_shift = tx.shift_days(profile.sha256)
    dob_cutoff = tx.today.year - 89
    rows = 0
    with open_table(path, profile, max_field_chars=config.max_field_chars, checkpoint=checkpoint) as reader, \
            atomic_output(out_path, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([plan.columns[i] for i in kept])
        for row in reader:
            rows += 1
            idents = _row_identifiers(row, ident_cols)
            subject = cell(row, subject_index).strip() if subject_index is not None else ""
            shift = tx.shift_days(subject) if subject else dataset_shift
            out: list[str] = []
            for i in kept:
                action, kind, _ = plan.actions[i]
                text = cell(row, i)
                column = plan.columns[i]
                if not text.strip() or action == "keep":
                    out.append(text)
                    continue
                if action == "pseudonym":
                    out.append(tx.pseudonym(kind, text))
                    tx.count("pseudonyms")
                elif action == "subject":
                    out.append(tx.pseudonym("SUBJECT_ID", text))
                    tx.count("pseudonyms")
                elif action in ("year", "shift"):
                    new = tx.date(text, action, date_formats[i], shift)
                    if new is None:
                        out.append(tx.scrub(text, column, True, idents))
                        tx.count("unparsed_dates")
                    else:
                        out.append(new)
                        tx.count("dates_shifted" if action == "shift" else "dates_generalized")
                elif action == "dob":
                    year = tx.date(text, "year", date_formats[i], 0)
                    if year is None:
                        out.append(tx.scrub(text, column, True, idents))
                        tx.count("unparsed_dates")
                    elif int(year) < dob_cutoff:
                        out.append("")
                        tx.count("birth_years_suppressed")
                    else:
                        out.append(year)
                        tx.count("dates_generalized")
                elif action == "zip3":
                    m = _ZIP_RE.match(text)
                    if m:
                        prefix = m.group(1)[:3]
                        out.append("000" if prefix in tx.restricted_zip3 else prefix)
                        tx.count("zip_truncated")
                    else:
                        out.append("")
                        tx.count("zip_removed")
                elif action == "age":
                    m = _INT_RE.match(text)
                    if m and int(m.group(1)) > 89:
                        out.append("90+")
                        tx.count("ages_grouped")
                    elif m:
                        out.append(text.strip())
                    else:
                        out.append(tx.scrub(text, column, False, idents))
                else:  # scrub
                    out.append(tx.scrub(text, column, broad[i], idents))
            writer.writerow(out)
    return {
        "rows": rows,
        "columns": [plan.columns[i] for i in kept],
        "columns_dropped": [plan.columns[i] for i, a in enumerate(actions) if a == "drop"],
        "actions": {plan.columns[i]: {"action": a, "kind": k, "evidence": e} for i, (a, k, e) in
                    enumerate(plan.actions)},
        "shifted_columns": [plan.columns[i] for i in kept if actions[i] == "shift"],
        "replacements": dict(sorted(tx.counts.items())),
        "subject_column": plan.columns[subject_index] if subject_index is not None else None,
    }


def rescan(path: Path, skip: dict[str, set[str]], key: bytes,
           checkpoint: Callable[[], None] | None = None) -> dict[str, Any]:
    """Scan the written copy with the PHI scanner itself (not the code that scrubbed it).

    ``skip`` maps column -> categories accepted there by design (shifted dates).
    """
    from engine.phi import scan_file

    by_category: dict[str, int] = {}
    by_column: dict[str, int] = {}
    first_rows: list[int] = []
    for n, finding in enumerate(scan_file(path, "csv", key=key)):
        if checkpoint is not None and n % 4096 == 0:
            checkpoint()
        column = finding.column or ""
        if finding.category in skip.get(column, ()):
            continue
        by_category[finding.category] = by_category.get(finding.category, 0) + 1
        by_column[column] = by_column.get(column, 0) + 1
        if finding.row is not None and len(first_rows) < 10 and finding.row not in first_rows:
            first_rows.append(finding.row)
    return {
        "residual_findings": sum(by_category.values()),
        "by_category": by_category,
        "by_column": by_column,
        "first_rows": first_rows,
    }


def _resolve_key(context: StageContext) -> tuple[bytes, str]:
    if context.phi_key:
        return context.phi_key, "run"
    from engine.phi import resolve_key

    key = resolve_key()
    return key.key, key.source


@register_stage
class Deidentify:
    """Write a de-identified copy of every input, then rescan it."""

    stage_id = 6
    stage_name = "De-identify"
    key = "deidentify"
    version = "1.0.0"
    reads = (InputDataset, DatasetProfile)
    writes = (DeidentifiedDataset,)
    modes = (ANY_MODE,)
    Config = DeidentifyConfig
    removes_phi = True

    async def execute(self, context: StageContext) -> StageResult:
        config: DeidentifyConfig = context.config
        try:
            dictionary = await context.run_blocking(load_dictionary, config.dictionary) if config.dictionary else None
        except StageConfigError as exc:
            return StageResult.failed(f"config dictionary: {exc}")
        bad = sorted(a for a in config.columns.values() if a not in ACTIONS)
        if bad:
            return StageResult.failed(f"config columns: unknown action(s); expected one of {', '.join(ACTIONS)}")
        names = {d.name for _, d in input_entities(context.world)}
        unknown = sorted(set(config.inputs) - names)
        if unknown:
            return StageResult.failed(f"config inputs: no input named {unknown[0][:40]!r}")
        key, key_source = _resolve_key(context)
        warnings: list[str] = []
        if key_source == "random":
            warnings.append("no PHI key configured: pseudonyms and date shifts are stable within this run only")
        if config.dates == "shift":
            warnings.append("dates are shifted, not generalised to the year: not HIPAA Safe Harbor")
        outputs: dict[str, Any] = {}
        artifacts: list[str] = []
        errors: list[str] = []
        for entity, dataset in input_entities(context.world):
            if config.inputs and dataset.name not in config.inputs:
                continue
            profile = context.world.get(entity, DatasetProfile)
            if profile is None:
                warnings.append(f"input {dataset.name!r} has no profile (upload failed?); not de-identified")
                continue
            out_path = context.artifact_path(f"deidentified/{safe_slug(dataset.name)}.csv")
            try:
                meta = await context.run_blocking(
                    deidentify_input, input_path(dataset), out_path, profile, config, dictionary, key,
                    context.checkpoint,
                )
                skip = {c: {"DATE"} for c in meta["shifted_columns"]}
                check = await context.run_blocking(rescan, out_path, skip, key, context.checkpoint)
                sha = await context.run_blocking(file_sha256, out_path)
            except (StageConfigError, TabularError) as exc:
                return StageResult.failed(f"input {dataset.name!r}: {exc}")
            rel = relative_to_workspace(out_path, context.workspace)
            outputs[dataset.name] = {
                "path": rel, "sha256": sha, "rows": meta["rows"], "columns": len(meta["columns"]),
                "columns_dropped": meta["columns_dropped"], "actions": meta["actions"],
                "replacements": meta["replacements"], "rescan": check,
            }
            if check["residual_findings"]:
                shown = format_counts(check["by_category"])
                message = (f"input {dataset.name!r}: the rescan of the de-identified copy found "
                           f"{check['residual_findings']} PHI finding(s) ({shown})")
                if config.fail_on_residual:
                    # A copy that failed its rescan is not de-identified: it must not stay behind.
                    out_path.unlink(missing_ok=True)
                    outputs[dataset.name].update(path=None, sha256=None)
                    errors.append(message + "; the copy was deleted")
                    continue
                warnings.append(message)
            artifacts.append(rel)
            context.world.add(
                entity,
                DeidentifiedDataset(
                    path=rel, sha256=sha, rows=meta["rows"], columns=tuple(meta["columns"]),
                    columns_dropped=tuple(meta["columns_dropped"]), replacements=meta["replacements"],
                    residual_findings=check["residual_findings"],
                ),
            )
            context.logger.info("de-identified input %s: %d rows", dataset.name, meta["rows"])
        output = {
            "inputs": outputs,
            "residual_findings": sum(o["rescan"]["residual_findings"] for o in outputs.values()),
            "key_source": key_source,
            "dates": config.dates,
            "identifiers": config.identifiers,
        }
        if errors:
            return StageResult.failed(*errors, output=output, artifacts=artifacts, warnings=warnings)
        return StageResult.completed(output, artifacts=artifacts, warnings=warnings)
