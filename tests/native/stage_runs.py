"""The upload and deidentify steps run through the stage harness, for the native tests that compare paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.execution.executors.local import LocalExecutor
from engine.testing import run_stages
from stages.components import DeidentifiedDataset


def deidentified(path: Path, ws: Path, env: dict[str, str], partition_bytes: int, workers: int,
                 configs: dict[str, Any] | None = None) -> tuple[bytes, object]:
    """The de-identified copy's bytes and deidentify's output, with ``env`` set for the run."""
    ws.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        run = run_stages(["upload", "deidentify"], path, ws, configs or {},
                         executor=LocalExecutor(workers, partition_bytes))
    assert all(r.status.value == "completed" for r in run.results), [r.errors for r in run.results]
    deid = run.component("input:dataset", DeidentifiedDataset)
    assert deid is not None
    return (ws / deid.path).read_bytes(), run.results[-1].output
