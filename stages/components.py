"""Components the built-in stages exchange.

Each is attached to the entity it describes: an input dataset (``input:<name>``) or the run
(``"run"``). Metadata components hold counts, names and hashes only, never a data value, because
the run report serializes every one of them.
"""

from __future__ import annotations

import attrs

from engine import ComponentKind, component, tuple_field


@component("dataset_profile", ComponentKind.METADATA)
@attrs.frozen
class DatasetProfile:
    """What ``upload`` learned about one input: checksum, size, format and shape."""

    name: str
    format: str
    """``csv``, ``tsv``, ``jsonl`` or ``text``."""
    encoding: str
    delimiter: str
    sha256: str
    size_bytes: int
    rows: int
    """Data rows (the header is not counted; for text, lines)."""
    columns: tuple[str, ...] = tuple_field()
    ragged_rows: int = 0
    """Rows whose field count differs from the header's."""
    has_bom: bool = False
    file_name: str = ""
    has_header: bool = True
    """False: the file has no header row; ``columns`` are generated (col_1, col_2...)."""
    native_csv: bool | None = None
    """Whether Polars' CSV reader reads the file exactly as the row reader does, as upload's pass
    over every byte found (:mod:`stages.columnar.csvchunks`); None: not checked. Later stages take
    it from here instead of checking the file again."""


@component("schema_report", ComponentKind.METADATA)
@attrs.frozen
class SchemaReport:
    """``schema_check``'s verdict on one input against a data dictionary (counts only)."""

    dictionary: str
    dictionary_sha256: str
    columns_expected: int
    columns_present: int
    missing_columns: tuple[str, ...] = tuple_field()
    unchecked_columns: tuple[str, ...] = tuple_field()
    type_errors: int = 0
    format_errors: int = 0
    required_missing: int = 0
    not_allowed: int = 0
    ragged_rows: int = 0
    errors_total: int = 0
    warnings_total: int = 0
    status: str = "ok"
    """``ok`` or ``errors``."""


@component("approval_check", ComponentKind.METADATA)
@attrs.frozen
class ApprovalCheck:
    """``irb_check``'s decision for the run: which approval was used and whether it holds."""

    kind: str
    status: str
    """``approved``, ``placeholder`` (allowed without an approval), ``missing``, ``expired``,
    ``out_of_scope`` or ``invalid``."""
    reference: str = ""
    days_remaining: int | None = None
    """Days until the approval expires (the date itself is not kept: reports treat dates as PHI)."""
    inputs_covered: tuple[str, ...] = tuple_field()


@component("phi_findings", ComponentKind.METADATA)
@attrs.frozen
class PhiFindingsSummary:
    """``phi_scan``'s hash-only summary of one input: counts by category and column."""

    findings_total: int
    rows_with_findings: int
    by_category: dict[str, int] = attrs.field(factory=dict)
    by_column: dict[str, int] = attrs.field(factory=dict)
    columns_flagged: tuple[str, ...] = tuple_field()
    policy: str = "warn"
    decision: str = "clear"
    """``clear`` (nothing found), ``warn`` (found, policy warns) or ``deidentify_only``
    (found, policy blocks: the raw data may go on only to de-identification)."""
    findings_path: str = ""
    """Workspace-relative JSON-lines file of findings (category, row, column, offset, length, digest)."""
    columns_classified: dict[str, str] = attrs.field(factory=dict)
    """Identifying columns as classified before the scan: column -> PHI category (``none`` when a
    manifest override says the column is not identifying)."""
    columns_evidence: dict[str, str] = attrs.field(factory=dict)
    """What decided each column of ``columns_classified``: ``header``, ``values``, ``both`` or
    ``override`` (the classification's evidence, as phi_scan's output reports it)."""


@component("quality_report", ComponentKind.METADATA)
@attrs.frozen
class QualityReport:
    """``validate``'s counts of rule violations for one input."""

    rules_checked: int
    rules_not_applicable: int
    errors_total: int
    warnings_total: int
    rows_checked: int
    by_rule: dict[str, int] = attrs.field(factory=dict)
    by_column: dict[str, int] = attrs.field(factory=dict)
    unchecked_columns: tuple[str, ...] = tuple_field()
    status: str = "ok"
    """``ok``, ``warnings`` or ``errors``."""


@component("deidentified_dataset", ComponentKind.ARTIFACT)
@attrs.frozen
class DeidentifiedDataset:
    """The de-identified copy of one input, written by ``deidentify`` into the run workspace."""

    path: str
    sha256: str
    rows: int
    columns: tuple[str, ...] = tuple_field()
    columns_dropped: tuple[str, ...] = tuple_field()
    replacements: dict[str, int] = attrs.field(factory=dict)
    residual_findings: int = 0
    phi_columns: tuple[str, ...] = tuple_field()
    """Kept columns that were classified as PHI (pseudonyms, years, ZIP3s, ages...): what they hold
    is still about one person, so reports show counts of them, never values."""
    delimiter: str = ","
    """The copy's field delimiter: a CSV/TSV input's own (its copy keeps its bytes), else a comma."""


@component("study_summary", ComponentKind.ARTIFACT)
@attrs.frozen
class StudySummary:
    """The study summary (JSON) and its human-readable page (Markdown), written by ``summary``."""

    path: str
    markdown_path: str
    datasets: int
    rows: int
    columns: int
