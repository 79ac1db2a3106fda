"""Shared helpers for the editing tests: golden files and a quiet registry of the built-in stages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import stages  # noqa: F401 - registers the built-in stages

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RFLOW_UPDATE_GOLDEN") == "1"
"""Set RFLOW_UPDATE_GOLDEN=1 to (re)write expected files; review every diff before committing."""


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"missing golden file {name}; run with RFLOW_UPDATE_GOLDEN=1 and review it")
        path.write_text(text, encoding="utf-8", newline="")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.fixture
def commented() -> str:
    return (GOLDEN / "commented.yaml").read_text(encoding="utf-8")
