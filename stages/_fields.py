"""Config fields several stages share, declared once: same name, default, schema and description."""

from __future__ import annotations

from typing import Any

import attrs

from engine.phi.categories import OVERRIDE_SCHEMA
from stages.tabular import DEFAULT_MAX_FIELD_CHARS


def inputs_field() -> Any:
    """``inputs``: the run inputs a step reads (empty: every input)."""
    return attrs.field(factory=list, metadata={"description": "Input names; empty: every input."})


def max_field_chars_field() -> Any:
    """``max_field_chars``: the longest field the table reader accepts."""
    return attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS, metadata={"description": "Longest accepted field.", "schema": {"minimum": 1}}
    )


def phi_columns_field(none_means: str) -> Any:
    """``phi_columns``: column classification overrides; ``none_means`` says what 'none' does in this stage."""
    return attrs.field(
        factory=dict,
        metadata={"description": "Column classification overrides: column -> PHI category (NAME, ADDRESS...) "
                  f"or 'none' ({none_means}).",
                  "schema": OVERRIDE_SCHEMA},
    )
