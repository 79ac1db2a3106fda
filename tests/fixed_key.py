"""Set-up shared by the test folders whose expected digests and pseudonyms are written for one key.

``tests/phi`` and ``tests/native`` import this from their ``conftest.py``: the autouse fixture then
runs every test there with :data:`FIXED_KEY` (and no key file), so a run is reproducible and a
machine's own key never leaks in. It is not in ``tests/conftest.py`` because the other folders test
what happens without a key.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXED_KEY = "test-key-0123456789abcdef"


def add_import_paths(*folders: Path) -> None:
    """Let the tests import helper modules from ``folders`` (and the repo root) as top-level modules."""
    for folder in (*folders, ROOT):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


@pytest.fixture(autouse=True)
def _phi_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RFLOW_PHI_KEY", FIXED_KEY)
    monkeypatch.delenv("RFLOW_PHI_KEY_FILE", raising=False)
