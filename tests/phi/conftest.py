"""Test setup for the PHI suite: a fixed digest key so runs are reproducible."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _phi_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_PHI_KEY", "test-key-0123456789abcdef")
    monkeypatch.delenv("RFLOW_PHI_KEY_FILE", raising=False)
