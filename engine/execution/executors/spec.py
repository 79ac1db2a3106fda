"""Which executor a run uses: the manifest's ``execution:`` block, overridden field by field.

Precedence, lowest first: the manifest, then ``rflow run --executor/--workers/--dask-address/
--partition-size``, then ``run_manifest(executor=...)`` (the CLI passes its flags through that
argument, so the two never meet). An override that changes the kind does not inherit the other
kind's address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from engine.core import sizes
from engine.core.errors import safe_excerpt
from engine.core.pool import cpu_count
from engine.core.sizes import DEFAULT_PARTITION_BYTES, SizeError
from engine.execution.executors.base import (
    KINDS,
    MIN_PARTITION_BYTES,
    Executor,
    ExecutorError,
)
from engine.execution.executors.daskexec import DaskExecutor
from engine.execution.executors.local import LocalExecutor
from engine.execution.executors.processes import ProcessExecutor

_FIELDS = ("kind", "workers", "address", "partition_bytes", "retries")


def parse_size(value: int | str) -> int:
    """Partition bytes from ``67108864``, ``"64MiB"`` or ``"500 MB"``."""
    try:
        size = sizes.parse_size(value)
    except SizeError as exc:
        if exc.reason == "too_large":
            raise ExecutorError("partition size is too large") from None
        if exc.reason != "negative":
            raise ExecutorError("partition size must be a number of bytes or a size like '64MiB'") from None
        size = -1
    if size < MIN_PARTITION_BYTES:
        raise ExecutorError(f"partition size must be at least {MIN_PARTITION_BYTES} bytes")
    return size


@attrs.frozen
class ExecutorSpec:
    """A request for an executor; ``None`` fields take the lower level's value or the default."""

    kind: str | None = None
    workers: int | None = None
    address: str | None = None
    partition_bytes: int | None = None
    retries: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ExecutorError(f"unknown executor {safe_excerpt(self.kind, 20)!r}; use one of {', '.join(KINDS)}")
        if self.workers is not None and not 1 <= self.workers <= 1024:
            raise ExecutorError("workers must be between 1 and 1024")
        if self.retries is not None and not 0 <= self.retries <= 100:
            raise ExecutorError("retries must be between 0 and 100")

    def over(self, base: ExecutorSpec) -> ExecutorSpec:
        """This spec's fields over ``base``'s (a different kind drops base's address)."""
        if self.kind is not None and self.kind != base.kind:
            base = attrs.evolve(base, address=None)
        return ExecutorSpec(**{f: getattr(self, f) if getattr(self, f) is not None else getattr(base, f)
                               for f in _FIELDS})

    @classmethod
    def coerce(cls, value: Any) -> ExecutorSpec:
        """From ``None``, a kind name, a mapping (``executor``/``kind``, ``workers``, ...) or a spec."""
        if value is None:
            return cls()
        if isinstance(value, ExecutorSpec):
            return value
        if isinstance(value, str):
            return cls(kind=value)
        if isinstance(value, Mapping):
            data = dict(value)
            kind = data.pop("executor", None) or data.pop("kind", None)
            size = data.pop("partition_bytes", None)
            unknown = sorted(set(data) - set(_FIELDS))
            if unknown:
                raise ExecutorError(f"unknown execution setting {safe_excerpt(unknown[0], 30)!r}")
            return cls(kind=kind, partition_bytes=None if size is None else parse_size(size), **data)
        if hasattr(value, "executor") and hasattr(value, "partition_bytes"):  # the manifest's Execution
            size = value.partition_bytes
            return cls(kind=value.executor, workers=value.workers, address=value.address,
                       partition_bytes=None if size is None else parse_size(size),
                       retries=getattr(value, "retries", None))
        raise ExecutorError(f"executor must be a name, a mapping or an Executor, not {type(value).__name__}")


def resolve(manifest_execution: Any = None, override: Any = None) -> ExecutorSpec:
    """The effective spec: ``override`` over the manifest's ``execution:`` block, defaults filled."""
    spec = ExecutorSpec.coerce(override).over(ExecutorSpec.coerce(manifest_execution))
    kind = spec.kind or "local"
    if kind == "local" and spec.address is not None and spec.kind is None:
        kind = "dask"  # an address alone asks for Dask
    return attrs.evolve(spec, kind=kind, partition_bytes=spec.partition_bytes or DEFAULT_PARTITION_BYTES)


def create(spec: ExecutorSpec) -> Executor:
    """A new executor for ``spec`` (the caller closes it). Dask without its extra raises a usage error."""
    size = spec.partition_bytes or DEFAULT_PARTITION_BYTES
    retries = 2 if spec.retries is None else spec.retries
    if spec.kind in (None, "local"):
        # Threads, one a CPU unless asked otherwise: the PHI core releases the GIL while it scans
        # and de-identifies, and a task's outputs never depend on how many run at once.
        return LocalExecutor(spec.workers or cpu_count(), size)
    if spec.kind == "processes":
        return ProcessExecutor(spec.workers or cpu_count(), size, retries)

    return DaskExecutor(spec.address, spec.workers, size, retries)
