"""Shared fixtures for engine-core tests: isolated registries and tiny components/stages."""

from __future__ import annotations

import attrs
import pytest

from engine import ComponentKind, StageRegistry, component


@component("test_counter", ComponentKind.METADATA)
class Counter:
    value: int


@component("test_secret", ComponentKind.RESTRICTED)
class Secret:
    raw: str


@component("test_report", ComponentKind.ARTIFACT)
class ReportFile:
    path: str


@attrs.frozen
class CountConfig:
    start: int = 1
    label: str = "n"


@pytest.fixture
def registry() -> StageRegistry:
    return StageRegistry(entry_point_group=None)
