"""The deidentify stage's config: the actions a column can get and the options that choose them."""

from __future__ import annotations

from typing import Literal

import attrs

from stages._fields import inputs_field, max_field_chars_field, phi_columns_field

ACTIONS = ("drop", "pseudonym", "subject", "year", "shift", "dob", "zip3", "address", "age", "scrub", "keep")
IDENTIFIER_KINDS = {"NAME", "SSN", "MRN", "PHONE", "EMAIL", "ADDRESS", "IDENTIFIER"}
SAMPLE_ROWS = 200


@attrs.frozen
class DeidentifyConfig:
    """How each kind of column is de-identified, and how strict the rescan is."""

    profile: Literal["safe_harbor", "limited_data_set", "expert_determination"] | None = attrs.field(
        default=None,
        metadata={"description": "The HIPAA path this release follows (docs/deidentification.md): settings that "
                  "break it are refused by rflow validate and at run time. limited_data_set needs a "
                  "data_use_agreement approval, expert_determination an expert_determination approval."},
    )
    quasi_identifiers: list[str] = attrs.field(
        factory=list,
        metadata={"description": "Output columns whose combination could single a person out; the output "
                  "gives k-anonymity over them as counts (required by expert_determination)."},
    )
    k: int = attrs.field(
        default=5, metadata={"description": "An equivalence class of fewer rows than this is reported as below k.",
                             "schema": {"minimum": 2, "maximum": 1000}},
    )

    dictionary: str | None = attrs.field(
        default=None,
        metadata={"description": "Data dictionary whose 'phi' kinds classify columns ('bundled:NAME' or a path).",
                  "config_file": True},
    )
    columns: dict[str, str] = attrs.field(
        factory=dict,
        metadata={"description": "Per-column action override: " + ", ".join(ACTIONS) + ".",
                  "schema": {"additionalProperties": {"enum": list(ACTIONS)}}},
    )
    identifiers: Literal["drop", "pseudonym"] = attrs.field(
        default="drop", metadata={"description": "What direct-identifier columns become."}
    )
    dates: Literal["year", "shift", "keep"] = attrs.field(
        default="year",
        metadata={"description": "'year' (Safe Harbor), a per-subject 'shift', or 'keep' (dates stay as they are, "
                  "in columns and in text: only under profile limited_data_set or an expert determination "
                  "that allows 'keep')."},
    )
    geography: Literal["zip3", "keep"] = attrs.field(
        default="zip3",
        metadata={"description": "'zip3' (Safe Harbor: ZIPs cut to three digits, towns and cities removed) or "
                  "'keep': 5-digit ZIPs and town, city and county stay, in columns and in text (only under "
                  "profile limited_data_set or an expert determination that allows 'keep'). A street address "
                  "(a direct identifier in a Limited Data Set too) is reduced to its three-digit ZIP either way."},
    )
    max_shift_days: int = attrs.field(
        default=180, metadata={"description": "Largest date shift, in days, either way.",
                               "schema": {"minimum": 1, "maximum": 3650}}
    )
    as_of: str | None = attrs.field(
        default=None,
        metadata={"description": "Reference date (YYYY-MM-DD or YYYY) of every age computation: a birth year "
                  "more than 89 years before its year is 90+. Default: the run's date (recorded in the output).",
                  "schema": {"pattern": "^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"}},
    )
    subject_column: str | None = attrs.field(
        default=None, metadata={"description": "Column keying per-subject date shifts; default: detected."}
    )
    fail_on_residual: bool | None = attrs.field(
        default=None, metadata={"description": "Fail (and delete the copy) when the rescan of the copy still finds "
                                "PHI; default: true in every mode but DEMO, where residuals are reported."}
    )
    inputs: list[str] = inputs_field()  # noqa: RUF009
    max_field_chars: int = max_field_chars_field()
    phi_columns: dict[str, str] = phi_columns_field("not identifying: only PHI spans in it are scrubbed")  # noqa: RUF009
