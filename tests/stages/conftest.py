"""Helpers for stage tests: run stages over real temp files, governed, with :func:`engine.testing.run_stages`."""

from __future__ import annotations

from pathlib import Path

import pytest

import stages  # noqa: F401 - registers the built-in stages
from engine.testing import StageRun as Run
from engine.testing import run_stages as run

__all__ = ["Run", "run", "write"]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir()
    return path


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    if isinstance(text, str):
        path.write_bytes(text.encode(encoding))
    else:
        path.write_bytes(text)
    return path
