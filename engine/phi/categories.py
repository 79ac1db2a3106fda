"""The category names of the canonical registry, as a constant cheap to import.

Why a constant: stage config schemas (``phi_columns: {nickname: NAME}``) are built when stages
are imported, and compiling the registry there would slow every CLI start. A test checks that
this tuple equals the registry's categories.
"""

from __future__ import annotations

CATEGORY_NAMES: tuple[str, ...] = (
    "URL", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "DEVICE",
    "BIOMETRIC", "PHOTO", "OTHER_ID", "ZIP", "POSTCODE", "IP", "DATE",
    "CREDIT_CARD", "VIN", "PHONE", "AGE_OVER_89", "ADDRESS", "CITY", "NAME",
)  # fmt: skip
NOT_IDENTIFYING = "none"
OVERRIDE_SCHEMA: dict[str, object] = {
    "additionalProperties": {"enum": [*CATEGORY_NAMES, NOT_IDENTIFYING]},
    "propertyNames": {"minLength": 1},
}
"""JSON Schema of a ``phi_columns`` override mapping: column -> category or ``none``."""
