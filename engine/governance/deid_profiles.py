"""De-identification profiles: which HIPAA path a release follows, as rules over a step's settings.

A ``deidentify`` step states its ``profile`` and rflow holds the step to it, twice: ``rflow
validate`` reports a setting that breaks the profile at its line and column (RF321), and the
stage refuses to write a copy when its settings, or the action it decided for a column, break
the profile at run time. What the profiles are (45 CFR 164.514):

* ``safe_harbor`` (b)(2): only the year of a date remains, ages over 89 become ``90+``, ZIPs are
  cut to three digits (``000`` for the restricted prefixes), every direct identifier is
  removed; no keyed code derived from an identifier (a pseudonym) and no column kept as is;
* ``limited_data_set`` (e): dates, town, city, state and ZIP may stay (``dates: keep``,
  ``geography: keep``); the direct identifiers of (e)(2) are removed (no pseudonyms of them),
  street addresses included; needs a ``data_use_agreement`` approval;
* ``expert_determination`` (b)(1): needs an ``expert_determination`` approval that lists the
  transforms the expert allowed; only those run (dropping a column is always allowed).

Pure data and functions over plain mappings, so validation imports nothing of the data plane.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

PROFILES = ("safe_harbor", "limited_data_set", "expert_determination")
REGULATION = {
    "safe_harbor": "45 CFR 164.514(b)(2)",
    "limited_data_set": "45 CFR 164.514(e)",
    "expert_determination": "45 CFR 164.514(b)(1)",
}
APPROVAL_KIND = {"limited_data_set": "data_use_agreement", "expert_determination": "expert_determination"}
"""The approval a profile needs before any step starts (checked by the governance preflight)."""
ALWAYS_ALLOWED = frozenset({"drop"})
"""Removing a column never makes a release less safe: every profile and every expert allows it."""

IDENTIFIER = "identifier"
_KIND_CLASS = {
    "DATE": "date", "DATE_OF_BIRTH": "dob", "ZIP": "zip", "AGE": "age", "AGE_OVER_89": "age",
    "SUBJECT_ID": "subject", "SUBJECT": "subject", "DOB": "dob", "ADDRESS": "address",
    "CITY": "place", "FREE_TEXT": "text", "none": "text", "configured": "configured",
}
"""A column's kind (dictionary ``phi`` kind or PHI category) as the profiles see it; others are identifiers."""

_ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    "safe_harbor": {
        IDENTIFIER: frozenset({"drop"}), "date": frozenset({"year"}), "dob": frozenset({"dob"}),
        "zip": frozenset({"zip3"}), "age": frozenset({"age"}), "subject": frozenset({"subject"}),
        "address": frozenset({"address"}), "place": frozenset({"address"}), "text": frozenset({"scrub"}),
        "configured": frozenset({"drop", "subject", "year", "dob", "zip3", "address", "age", "scrub"}),
    },
    "limited_data_set": {
        IDENTIFIER: frozenset({"drop"}), "date": frozenset({"year", "shift", "keep"}),
        "dob": frozenset({"dob", "year", "shift", "keep"}), "zip": frozenset({"zip3", "keep"}),
        "age": frozenset({"age"}), "subject": frozenset({"subject"}), "address": frozenset({"address"}),
        "place": frozenset({"address", "keep"}), "text": frozenset({"scrub"}),
        "configured": frozenset({"drop", "subject", "year", "shift", "dob", "zip3", "address", "age", "scrub",
                                 "keep"}),
    },
}
"""Per profile and kind, the actions that keep a column within the profile (besides ``drop``)."""

_WHY_NOT = {
    ("safe_harbor", "shift"): "a shifted date is still a date; Safe Harbor keeps only the year (dates: year)",
    ("safe_harbor", "pseudonym"): "a keyed pseudonym is a code derived from the identifier, which Safe Harbor "
                                  "does not allow (164.514(c)); use identifiers: drop",
    ("safe_harbor", "keep"): "Safe Harbor keeps no column as is; to mark a column as not identifying use "
                             "phi_columns: {COLUMN: none} (its PHI spans are still scrubbed)",
    ("limited_data_set", "pseudonym"): "a Limited Data Set removes the direct identifiers of 164.514(e)(2), "
                                       "it does not replace them with codes derived from them; use "
                                       "identifiers: drop",
}


_KEEP_DATES_HINT = ("Safe Harbor keeps only the year of a date; keeping dates is a Limited Data Set "
                    "(profile: limited_data_set, with a data use agreement)")


@attrs.frozen
class Violation:
    """A setting or a column action that breaks a profile: where (config keys), what, how to fix it."""

    path: tuple[str, ...]
    message: str
    hint: str = ""


def _why(profile: str, action: str) -> str:
    return _WHY_NOT.get((profile, action), f"the {profile} profile does not allow the '{action}' transform")


def config_violations(config: Mapping[str, Any]) -> list[Violation]:
    """What in a deidentify step's config (as written in the manifest) breaks its ``profile``.

    Keys not given take the stage's defaults (``dates: year``, ``identifiers: drop``).
    """
    profile = config.get("profile")
    if profile not in PROFILES:
        return _unprofiled_keeps(config) if profile is None else []
    found: list[Violation] = []
    fail_on_residual = config.get("fail_on_residual")
    if profile != "expert_determination" and fail_on_residual is False:
        found.append(Violation(("fail_on_residual",), f"profile {profile} needs fail_on_residual: true",
                               "a copy in which the rescan still finds PHI is not de-identified"))
    if profile == "expert_determination":
        if not config.get("quasi_identifiers"):
            found.append(Violation(("profile",), "profile expert_determination needs quasi_identifiers",
                                   "name the columns the expert treats as quasi-identifiers; the report "
                                   "gives k-anonymity over them"))
        return found
    allowed = _ALLOWED[profile]
    dates = config.get("dates", "year")
    if dates not in allowed["date"]:
        hint = (_KEEP_DATES_HINT if dates == "keep" else _why(profile, str(dates)))
        found.append(Violation(("dates",), f"dates: {dates} breaks profile {profile}", hint))
    geography = config.get("geography", "zip3")
    if geography not in allowed["zip"]:
        found.append(Violation(("geography",), f"geography: {geography} breaks profile {profile}",
                               "Safe Harbor keeps no geographic unit smaller than a state but the first three "
                               "ZIP digits; keeping 5-digit ZIPs, towns and cities is a Limited Data Set "
                               "(profile: limited_data_set, with a data use agreement)"))
    identifiers = config.get("identifiers", "drop")
    if identifiers not in allowed[IDENTIFIER]:
        found.append(Violation(("identifiers",), f"identifiers: {identifiers} breaks profile {profile}",
                               _why(profile, str(identifiers))))
    columns = config.get("columns") or {}
    if isinstance(columns, Mapping):
        for name, action in columns.items():
            if isinstance(action, str) and action not in allowed["configured"] | ALWAYS_ALLOWED:
                found.append(Violation(("columns", str(name)), f"column action '{action}' breaks profile {profile}",
                                       _why(profile, action)))
    return found


KEEP_SETTINGS = (("dates", "dates stay as they are"), ("geography", "5-digit ZIPs, towns and cities stay"))
"""Settings whose ``keep`` leaves Limited Data Set elements in the copy: never without a profile."""


def _unprofiled_keeps(config: Mapping[str, Any]) -> list[Violation]:
    """``keep`` settings on a step with no profile: such a copy is neither Safe Harbor nor unstated."""
    return [
        Violation((key,), f"{key}: keep needs a profile ({what}: a Limited Data Set)",
                  "set profile: limited_data_set (with a data_use_agreement approval) or "
                  "expert_determination (with an approval that allows 'keep')")
        for key, what in KEEP_SETTINGS if config.get(key) == "keep"
    ]


def kept_categories(config: Mapping[str, Any]) -> frozenset[str]:
    """The PHI categories a step's settings keep in the copy, in every column and in text."""
    kept: set[str] = set()
    if config.get("dates") == "keep":
        kept.add("DATE")
    if config.get("geography") == "keep":
        kept.update(("ZIP", "CITY"))  # not a postcode outside the US: it locates a street, not a town
    return frozenset(kept)


def config_problems(config: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str, str]]:
    """The deidentify stage's ``config_problems`` hook for ``rflow validate``: ``(keys, message, hint)``
    of each setting that breaks the step's profile (a function here, so validation imports no stage)."""
    return [(v.path, v.message, v.hint) for v in config_violations(config)]


def kind_class(kind: str) -> str:
    """``date``, ``zip``, ... or ``identifier`` for a column kind (every unknown kind is an identifier)."""
    return _KIND_CLASS.get(kind, IDENTIFIER)


def action_problem(profile: str | None, action: str, kind: str,
                   allowed_transforms: Iterable[str] | None = None) -> str | None:
    """Why the action decided for a column of ``kind`` breaks ``profile`` (None: it does not).

    ``allowed_transforms``: for ``expert_determination``, the transforms its approval lists.
    """
    if profile is None or action in ALWAYS_ALLOWED:
        return None
    if profile == "expert_determination":
        allowed = frozenset(allowed_transforms or ())
        if action in allowed:
            return None
        return f"the expert determination does not allow the '{action}' transform"
    if profile not in _ALLOWED:
        return f"unknown profile {profile!r}"
    klass = kind_class(kind)
    if action in _ALLOWED[profile][klass]:
        return None
    if (profile, action) in _WHY_NOT:
        return _why(profile, action)
    return f"profile {profile} requires {' or '.join(sorted(_ALLOWED[profile][klass]))} for a {klass} column"


def approvals_needed(profile: str | None) -> tuple[tuple[str, str], ...]:
    """``(kind, why)`` of the approval ``profile`` needs (for the governance preflight)."""
    kind = APPROVAL_KIND.get(profile or "")
    return ((kind, f"profile {profile}"),) if kind else ()


SAFE_HARBOR = (
    ("A", "Names", ("NAME",), "columns dropped; names in other cells replaced by [PHI:NAME]"),
    ("B", "Geographic subdivisions smaller than a state", ("ADDRESS", "ZIP", "CITY", "POSTCODE"),
     "ZIPs cut to 3 digits (000 for the restricted prefixes); addresses reduced to that ZIP3; cities and "
     "postcodes outside the US dropped; in other cells replaced by tokens"),
    ("C", "Dates (except year) and ages over 89", ("DATE", "DATE_OF_BIRTH", "DOB", "AGE", "AGE_OVER_89"),
     "dates generalised to the year; birth years and ages of anyone over 89 become 90+; dates in other cells "
     "replaced by [PHI:DATE]"),
    ("D", "Telephone numbers", ("PHONE",), "columns dropped; in other cells replaced by [PHI:PHONE]"),
    ("E", "Fax numbers", (), "as telephone numbers (D): [PHI:PHONE]"),
    ("F", "Electronic mail addresses", ("EMAIL",), "columns dropped; in other cells replaced by [PHI:EMAIL]"),
    ("G", "Social Security numbers", ("SSN",), "columns dropped; in other cells replaced by [PHI:SSN]"),
    ("H", "Medical record numbers", ("MRN",), "columns dropped; in other cells replaced by [PHI:MRN]"),
    ("I", "Health plan beneficiary numbers", ("HEALTH_PLAN",), "columns dropped; in other cells replaced by "
     "[PHI:HEALTH_PLAN]"),
    ("J", "Account numbers", ("ACCOUNT", "CREDIT_CARD"), "columns dropped; in other cells replaced by tokens"),
    ("K", "Certificate/license numbers", ("LICENSE",), "columns dropped; in other cells replaced by [PHI:LICENSE]"),
    ("L", "Vehicle identifiers and serial numbers", ("VIN",), "columns dropped; in other cells replaced by "
     "[PHI:VIN]"),
    ("M", "Device identifiers and serial numbers", ("DEVICE",), "columns dropped; in other cells replaced by "
     "[PHI:DEVICE]"),
    ("N", "Web URLs", ("URL",), "columns dropped; in other cells replaced by [PHI:URL]"),
    ("O", "IP addresses", ("IP",), "columns dropped; in other cells replaced by [PHI:IP]"),
    ("P", "Biometric identifiers", ("BIOMETRIC",), "columns dropped; in other cells replaced by [PHI:BIOMETRIC]"),
    ("Q", "Full-face photographs and comparable images", ("PHOTO",), "columns dropped; image names in other "
     "cells replaced by [PHI:PHOTO]"),
    ("R", "Any other unique identifying number, characteristic or code", ("OTHER_ID", "IDENTIFIER", "SUBJECT_ID",
                                                                             "SUBJECT"),
     "columns dropped; in other cells replaced by tokens; study subject codes replaced by a keyed code that "
     "is not derived from the individual (164.514(c))"),
)
"""The 18 identifiers of 164.514(b)(2)(i), the column kinds and PHI categories of each, the fixed action."""


def safe_harbor_attestation(actions: Iterable[tuple[str, str, str]],
                            replacements: Mapping[str, int]) -> dict[str, Any]:
    """Which of the 18 identifiers were handled and how: per letter, the fixed action, the columns
    of that kind (``(column, action, kind)`` as decided) and how many values in other cells were
    replaced (``replacements`` by PHI category). A letter with no column and no replacement is
    still listed: its action was in force, nothing of it was found."""
    actions = list(actions)
    letters: dict[str, Any] = {}
    for letter, identifier, kinds, handling in SAFE_HARBOR:
        mine = [(column, action) for column, action, kind in actions if kind in kinds]
        letters[letter] = {
            "identifier": identifier,
            "handling": handling,
            "columns": [column for column, _ in mine],
            "actions": sorted({action for _, action in mine}),
            "replaced_in_text": sum(int(replacements.get(kind, 0)) for kind in kinds),
        }
    return {"profile": "safe_harbor", "regulation": REGULATION["safe_harbor"], "identifiers": letters}
