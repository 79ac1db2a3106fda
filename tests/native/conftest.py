"""Test setup for the native core's differential tests: the PHI suite's helpers and fixed key."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

PHI_TESTS = Path(__file__).resolve().parents[1] / "phi"
ROOT = Path(__file__).resolve().parents[2]
for path in (PHI_TESTS, ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(autouse=True)
def _phi_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_PHI_KEY", "test-key-0123456789abcdef")
    monkeypatch.delenv("RFLOW_PHI_KEY_FILE", raising=False)
