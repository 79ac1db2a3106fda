"""Which action each column gets: config, data dictionary, exact header (roles, registry headers), then a sample."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from engine import is_typed, safe_excerpt
from engine.phi.registry import normalize_column
from stages._common import StageConfigError
from stages._phi import registry, settings_pinned
from stages.components import DatasetProfile
from stages.dictionary import Dictionary
from stages.stage_06_deidentify.config import ACTIONS, IDENTIFIER_KINDS, SAMPLE_ROWS, DeidentifyConfig
from stages.tabular import cell, open_table

# Deidentify's own roles, decided by the exact header: the subject code keys pseudonyms and date
# shifts, a birth date keeps its year, an age becomes 90+. The PHI categories a header names
# exactly (name, address, city, e-mail, phone) are the registry's ``context.headers``.
_ROLE_WORDS: dict[str, frozenset[str]] = {
    "SUBJECT": frozenset({"subject_id", "subject", "participant_id", "participant", "study_id", "record_id"}),
    "DOB": frozenset({"dob", "date_of_birth", "birth_date", "birthdate", "birthday", "birth_year", "year_of_birth",
                      "yob", "birthyear", "dob_year"}),
    "AGE": frozenset({"age", "age_years", "age_at_enrollment", "age_at_visit", "patient_age"}),
}
_FREE_TEXT_WORDS = ("note", "notes", "comment", "comments", "text", "narrative", "remarks", "description", "memo")
ISO_DATETIME = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?P<rest>[T ][0-9:.+-Z]*)?\s*$", re.ASCII)
"""An ISO date with an optional time tail: year, month and day groups, ``rest`` the tail."""


def classify_column(
    name: str, config: DeidentifyConfig, dictionary: Dictionary | None, sample: list[str], *,
    phi_clear: bool = False, typed_date: bool = False, seen: dict[str, str | None] | None = None,
    scanned: tuple[str, str] | None = None,
) -> tuple[str, str, str]:
    """``(action, kind, evidence)`` for one column; evidence is config, dictionary, header, type or values.

    ``phi_clear``: ``phi_scan`` already ran the PHI column classification on this column (same
    name, same sample, no override) and found no category, so it is not run again.
    ``typed_date``: the file stores the column as a date or datetime (Parquet, Excel, SAS, Stata,
    SPSS): it is a date by its type, whatever its cells look like.
    ``seen``: cells already judged, shared by the columns of one input (see
    :func:`engine.phi.columns.classify_column`).
    ``scanned``: ``(category, evidence)`` that ``phi_scan``'s PHI column classification gave this
    column (same name, same sample, no override; see :func:`scanned_classes`), so it is not run again.
    """
    ident = config.identifiers
    dates = config.dates
    if name in config.columns:
        action = config.columns[name]
        if action not in ACTIONS:
            raise StageConfigError(
                f"columns.{safe_excerpt(name, 40)}: unknown action; expected one of {', '.join(ACTIONS)}")
        return action, "configured", "config"
    override = config.phi_columns.get(name)
    if override is not None:
        if override == "none":
            return "scrub", "none", "config"
        return _action_for(override, config), override, "config"
    spec = dictionary.columns.get(name) if dictionary else None
    if spec is not None and spec.phi:
        kind = spec.phi
        by_kind = {"SUBJECT_ID": "subject", "DATE_OF_BIRTH": _dob_action(config), "DATE": dates,
                   "ZIP": _zip_action(config), "AGE": "age", "FREE_TEXT": "scrub", "none": "scrub"}
        return (ident if kind in IDENTIFIER_KINDS else by_kind[kind]), kind, "dictionary"
    norm = normalize_column(name)
    named = next((k for k, words in _ROLE_WORDS.items() if norm in words), None) or registry().header_category(norm)
    if named is not None:
        action = {"SUBJECT": "subject", "DOB": _dob_action(config), "AGE": "age", "ADDRESS": "address",
                  "CITY": _place_action(config)}.get(named, ident)
        return action, named, "header"
    if typed_date:
        return dates, "DATE", "type"
    if scanned is not None:
        return _action_for(scanned[0], config), scanned[0], scanned[1]
    if not phi_clear:
        from engine.phi.columns import classify_column as classify_phi_column

        found = classify_phi_column(name, sample, seen=seen)
        if found.category is not None:
            return _action_for(found.category, config), found.category, found.evidence
    if norm.endswith("_date") or norm.startswith("date_") or norm in ("date", "dt") or norm.endswith("_dt"):
        return dates, "DATE", "header"
    values = [v for v in sample if v.strip()]
    if values and sum(1 for v in values if _is_date_value(v, seen)) >= 0.9 * len(values):
        return dates, "DATE", "values"
    if any(word in norm.split("_") for word in _FREE_TEXT_WORDS):
        return "scrub", "FREE_TEXT", "header"
    return "scrub", "none", "default"


def _is_date_value(text: str, seen: dict[str, str | None] | None = None) -> bool:
    """An ISO date, or a cell the registry's DATE patterns wholly cover (``4 Mar 2021``, ``03/04/2021``).

    ``seen``: the cells' categories already judged for this input (the memo
    :func:`engine.phi.columns.classify_column` fills; :func:`~engine.phi.columns.cell_category`
    depends on the cell alone), so a value repeated down and across columns is judged once.
    """
    if ISO_DATETIME.match(text):
        return True
    from engine.phi.columns import cell_category

    if seen is None:
        return cell_category(text) == "DATE"
    return (seen[text] if text in seen else seen.setdefault(text, cell_category(text))) == "DATE"


def _action_for(category: str, config: DeidentifyConfig) -> str:
    """The action for a column classified as PHI ``category``."""
    if category == "CITY" and config.geography == "keep":
        return "keep"
    return {"ZIP": _zip_action(config), "DATE": config.dates, "ADDRESS": "address", "AGE_OVER_89": "age"}.get(
        category, config.identifiers)


def _zip_action(config: DeidentifyConfig) -> str:
    return "keep" if config.geography == "keep" else "zip3"


def _place_action(config: DeidentifyConfig) -> str:
    """A town or city column: kept under ``geography: keep``, else reduced like an address (to a ZIP3)."""
    return "keep" if config.geography == "keep" else "address"


def _dob_action(config: DeidentifyConfig) -> str:
    return "keep" if config.dates == "keep" else "dob"


@attrs.frozen
class _Plan:
    columns: list[str]
    actions: list[tuple[str, str, str]]
    letterless: frozenset[int] = frozenset()
    """Columns whose sampled cells below the first row hold no letter (numbers, ISO dates, digit codes);
    see :func:`engine.phi.columns.letterless_columns`."""


def scanned_clear_columns(profile: DatasetProfile, raw_header: Sequence[str],
                          columns_classified: Mapping[str, str] | None) -> frozenset[str]:
    """Columns that ``phi_scan``'s classification proves unidentified, so deidentify need not redo it.

    ``phi_scan`` lists every column it classified as PHI or that an override named; a column it
    does not list got no category from the same function, header and 200-row sample that
    :func:`classify_column` would use. That holds only for CSV/TSV (other formats are not
    classified there) and for columns whose reported name is the stripped raw header (the name
    phi_scan classified; a renamed duplicate or ``column_N`` is not). Listed columns are always
    recomputed: an override of phi_scan's is not deidentify's, and the evidence is not recorded.
    """
    if columns_classified is None or profile.format not in ("csv", "tsv"):
        return frozenset()
    return frozenset(
        name for name, raw in zip(profile.columns, raw_header, strict=False)
        if name == raw.lstrip("\ufeff").strip() and name not in columns_classified
    )


def scanned_classes(profile: DatasetProfile, raw_header: Sequence[str], columns_classified: Mapping[str, str] | None,
                    columns_evidence: Mapping[str, str] | None) -> dict[str, tuple[str, str]]:
    """Columns that ``phi_scan``'s classification gave a category, as ``(category, evidence)``.

    Of the columns ``phi_scan`` lists, those that no override of phi_scan's decided (evidence
    ``header``, ``values`` or ``both``) got their category from the same function, header and
    sample that :func:`classify_column` would use, on the same conditions as
    :func:`scanned_clear_columns` (CSV/TSV, the reported name is the stripped raw header).
    An override's column is recomputed: phi_scan's override is not deidentify's.
    """
    if columns_classified is None or not columns_evidence or profile.format not in ("csv", "tsv"):
        return {}
    return {
        name: (category, evidence)
        for name, raw in zip(profile.columns, raw_header, strict=False)
        if name == raw.lstrip("\ufeff").strip() and (category := columns_classified.get(name)) not in (None, "none")
        and (evidence := columns_evidence.get(name)) in ("header", "values", "both")
    }


def _check_config_columns(config: DeidentifyConfig, columns: list[str]) -> None:
    unknown = sorted(set(config.columns) - set(columns))
    if unknown:
        raise StageConfigError(f"columns: no column named {safe_excerpt(unknown[0], 40)!r} in the input")
    unknown = sorted(set(config.phi_columns) - set(columns))
    if unknown:
        raise StageConfigError(f"phi_columns: no column named {safe_excerpt(unknown[0], 40)!r} in the input")


def _plan(path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None,
          columns_classified: Mapping[str, str] | None = None, columns_evidence: Mapping[str, str] | None = None,
          ) -> tuple[_Plan, tuple[str, ...]]:
    """Each column's action from a sample of the first rows; and the raw header (one pass).

    Errors come in the order they always did: a sampled row's, then the config's, then the header's.
    """
    columns = list(profile.columns)
    samples: list[list[str]] = [[] for _ in columns]
    rows: list[list[str]] = []
    if not profile.rows:
        _check_config_columns(config, columns)
    with open_table(path, profile, max_field_chars=config.max_field_chars) as reader:
        raw_header = tuple(reader.raw_header)
        if profile.rows:
            for n, row in enumerate(reader):
                if n >= SAMPLE_ROWS:
                    break
                rows.append(row)
                for i in range(len(samples)):
                    samples[i].append(cell(row, i))
    if profile.rows:
        _check_config_columns(config, columns)
    clear = scanned_clear_columns(profile, raw_header, columns_classified)
    known = scanned_classes(profile, raw_header, columns_classified, columns_evidence)
    typed = typed_dates(path, profile.format, len(columns))
    seen: dict[str, str | None] = {}
    with settings_pinned():  # the PHI engine's settings, read once for every sampled cell
        actions = [classify_column(c, config, dictionary, samples[i], phi_clear=c in clear, typed_date=typed[i],
                                   seen=seen, scanned=known.get(c))
                   for i, c in enumerate(columns)]
    from engine.phi.columns import letterless_columns

    letterless = letterless_columns(rows, len(columns))
    return _Plan(columns, actions, letterless), raw_header


def typed_dates(path: Path, fmt: str, width: int) -> list[bool]:
    """Per column, whether a typed file stores it as a date or datetime (all False for text files)."""
    from engine import TypedTable

    if not is_typed(fmt):
        return [False] * width
    import polars as pl

    dtypes = TypedTable(path, fmt, batch_rows=1).dtypes
    return [i < len(dtypes) and (dtypes[i] == pl.Date or dtypes[i] == pl.Datetime) for i in range(width)]


@attrs.frozen
class Prepared:
    """What every partition of one input needs, decided once from the whole input (blocking)."""

    plan: _Plan
    raw_header: tuple[str, ...]
    kept: tuple[int, ...]
    subject_index: int | None
    date_formats: tuple[str | None, ...]
    dataset_shift: int
    as_of_year: int
    """The year every age is computed against (config ``as_of``, else the run's date)."""
    data_start: int
    ranges: tuple[tuple[int, int, bool], ...]
    """``(start, end, last)`` byte ranges of the data rows; one ``(0, size, True)`` when not split."""
    rescan_columns: tuple[str, ...] = ()
    """Output columns the rescan does not treat as whole cells (see :func:`rescan_categories`)."""
    kept_categories: frozenset[str] = frozenset()
    """PHI categories the settings keep in every column and in text (``dates``/``geography: keep``)."""
    first_row_as_header: bool = False
    """A CSV/TSV read as headerless: its first row may be a header that looked like data (PHI in
    several cells), so its cells are also checked whole, as header cells are."""

    @property
    def out_columns(self) -> list[str]:
        return [self.plan.columns[i] for i in self.kept]

    @property
    def shifted_columns(self) -> list[str]:
        return [self.plan.columns[i] for i in self.kept if self.plan.actions[i][0] == "shift"]

    @property
    def text_shift(self) -> bool:
        """Dates in free text are shifted by the row's subject offset (``dates: shift`` with a subject)."""
        return self.subject_index is not None and bool(self.shifted_columns)

    @property
    def accepted_by_design(self) -> dict[str, set[str]]:
        """Column -> categories the rescan accepts there: shifted dates (in text too, when shifted),
        and in every column (and the header) what the settings keep (``dates``/``geography: keep``)."""
        columns = self.shifted_columns
        if self.text_shift:
            columns = columns + [self.plan.columns[i] for i in self.kept if self.plan.actions[i][0] == "scrub"]
        accepted: dict[str, set[str]] = {c: {"DATE"} for c in columns}
        if self.kept_categories:
            for column in ("", *self.out_columns):
                accepted.setdefault(column, set()).update(self.kept_categories)
        return accepted
