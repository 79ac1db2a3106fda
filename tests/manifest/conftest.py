from __future__ import annotations

from pathlib import Path

import pytest

from engine.plugins import StageRegistry
from tests.manifest.registry import make_registry

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def registry() -> StageRegistry:
    return make_registry()


@pytest.fixture(scope="session")
def good_text() -> str:
    return (HERE / "good.yaml").read_text("utf-8")
