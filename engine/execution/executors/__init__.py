"""Executors: where a step's independent tasks (datasets, partitions of large files) run.

``local`` (default, in process), ``processes`` (a local process pool) and ``dask`` (a Dask
distributed cluster, or a LocalCluster started for the run). See ``docs/scale-out.md``.
"""

from __future__ import annotations

from engine.core.sizes import DEFAULT_PARTITION_BYTES
from engine.execution.executors.base import (
    KINDS,
    MIN_PARTITION_BYTES,
    Executor,
    ExecutorError,
    ExecutorUnavailable,
    ProgressFn,
    TaskCancelled,
    TaskFailed,
    task_checkpoint,
    task_names,
)
from engine.execution.executors.local import LocalExecutor
from engine.execution.executors.spec import ExecutorSpec, create, parse_size, resolve

__all__ = [
    "DEFAULT_PARTITION_BYTES",
    "KINDS",
    "MIN_PARTITION_BYTES",
    "Executor",
    "ExecutorError",
    "ExecutorSpec",
    "ExecutorUnavailable",
    "ProgressFn",
    "TaskCancelled",
    "TaskFailed",
    "create",
    "default_executor",
    "parse_size",
    "resolve",
    "task_checkpoint",
    "task_names",
]


def default_executor() -> Executor:
    """A fresh in-process executor (what a stage gets when the run configured none)."""

    return LocalExecutor()
