"""The core knows nothing of PHI: its error texts go through the sanitizer the package installs.

Used on its own (the module loaded without the ``engine`` package), the core withholds every text
and counts every cell as an identifier: it fails closed, never open.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import redaction
from engine.core.errors import safe_error_text, safe_excerpt
from engine.dataplane.sniff import first_row_is_data

ROOT = Path(__file__).resolve().parents[2]

ssns = st.tuples(st.integers(100, 665), st.integers(10, 99), st.integers(1000, 9999)).map(
    lambda t: f"{t[0]}-{t[1]}-{t[2]}"
)


def bare_core() -> object:
    spec = importlib.util.spec_from_file_location("bare_redaction", ROOT / "engine" / "core" / "redaction.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@settings(deadline=None)
@given(ssns)
def test_error_texts_go_through_the_installed_phi_sanitizer(ssn: str) -> None:
    assert ssn not in safe_error_text(ValueError(f"invalid literal: {ssn}"))
    assert ssn not in safe_excerpt(f"row 3 holds {ssn}", 40)


@given(st.text(min_size=1))
def test_without_a_sanitizer_every_text_is_withheld(text: str) -> None:
    bare = bare_core()
    assert bare.redact(text) == bare.WITHHELD  # type: ignore[attr-defined]
    assert bare.holds_identifier(text)  # type: ignore[attr-defined]


def test_a_first_row_of_identifiers_is_data_through_the_installed_check() -> None:
    assert first_row_is_data(["219-09-9999", "jane.moreno@example.org"])
    assert not first_row_is_data(["patient", "visit date"])
    assert redaction.holds_identifier("219-09-9999")
