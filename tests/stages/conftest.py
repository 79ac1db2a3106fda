"""Helpers for stage tests: run stages over real temp files with ``engine.run_stages``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

import stages  # noqa: F401 - registers the built-in stages
from engine import InputDataset, StageContext, StageResult, World, run_stages


@attrs.frozen
class Run:
    results: list[StageResult]
    world: World
    workspace: Path

    def result(self, key: str) -> StageResult:
        return next(r for r in self.results if r.stage_key == key)

    def component(self, entity: str, ctype: type) -> Any:
        return self.world.get(entity, ctype)


def run(
    keys: Sequence[str],
    inputs: Mapping[str, Path | str] | Path | str,
    workspace: Path,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    mode: str = "DEMO",
    policy: Mapping[str, Any] | None = None,
    approvals: tuple[Any, ...] = (),
    fmt: str = "auto",
    phi_key: bytes | None = b"k" * 32,
) -> Run:
    world = World()
    if not isinstance(inputs, Mapping):
        inputs = {"dataset": inputs}
    for name, path in inputs.items():
        world.add(f"input:{name}", InputDataset(name, str(path), fmt))
    context = StageContext(
        world=world, workspace=workspace, mode=mode, policy=dict(policy or {"phi_policy": "warn"}),
        approvals=approvals, phi_key=phi_key,
    )
    results = asyncio.run(run_stages(list(keys), context, configs=configs or {}))
    return Run(results, world, workspace)


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
