"""The contract between the engine and a stage: Stage, StageContext, StageResult."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import attrs

from engine.core import default_executor
from engine.core.components import World, WorldView, as_tuple
from engine.core.errors import RflowError
from engine.core.sizes import DEFAULT_PARTITION_BYTES

T = TypeVar("T")

ANY_MODE = "*"
"""A stage whose ``modes`` contains this is safe in every governance mode."""

PARTS_DIR = ".parts"
"""The run folder's scratch space for part files, which may hold raw data: each step removes its
own folder when done (:meth:`StageContext.parts_folder`); a run removes what a killed run left
(engine.execution.runfolder)."""


def mode_refusals(stage: Any, mode: str, allow_stages: Iterable[str] | None) -> tuple[str, ...]:
    """Why ``stage`` may not run in ``mode`` (empty: allowed): ``"modes"``, its own declaration does
    not name the mode; ``"allow_stages"``, the mode narrows stages and leaves it out.

    The one rule behind ``rflow validate`` (RF307, RF308) and the run's stage_allowed decision.
    """
    reasons = []
    if ANY_MODE not in stage.modes and mode not in stage.modes:
        reasons.append("modes")
    if allow_stages is not None and stage.key not in allow_stages:
        reasons.append("allow_stages")
    return tuple(reasons)


class StepInterrupted(RflowError):
    """Raised by :meth:`StageContext.checkpoint` after a timeout or cancellation."""


class StageStatus(enum.StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"


@attrs.frozen
class EmptyConfig:
    """Config of a stage that takes none."""


@attrs.frozen
class StageResult:
    """What a stage reports: metadata only (counts, hashes, statuses, artifact paths).

    A stage fills ``status`` and the payload; the runner stamps identity and timings.
    """

    status: StageStatus = attrs.field(converter=StageStatus)
    output: Mapping[str, Any] = attrs.field(factory=dict)
    artifacts: tuple[str, ...] = attrs.field(factory=tuple, converter=as_tuple)
    errors: tuple[str, ...] = attrs.field(factory=tuple, converter=as_tuple)
    warnings: tuple[str, ...] = attrs.field(factory=tuple, converter=as_tuple)
    stage_id: int = 0
    stage_key: str = ""
    stage_name: str = ""
    stage_version: str = ""
    step_id: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    duration_s: float | None = None
    blocked_by: str | None = None
    """For a step that did not run: the id of the earlier step whose outcome kept it from running."""
    unusable_input: bool = False
    """A failure because an input cannot be used (empty, binary, not a table, over a cap): the run
    ends ``unusable_input`` and ``rflow run`` exits 2, as for any other input error."""
    phi_findings: int | None = None
    """A ``detects_phi`` stage's count of PHI findings: the value the mode's ``phi_policy`` decides
    on (typed here, not read back from ``output``). A completed ``detects_phi`` step without it is
    treated as having found PHI (fail closed). Not part of the report: ``output`` says it there."""

    @classmethod
    def completed(cls, output: Mapping[str, Any] | None = None, **kw: Any) -> StageResult:
        return cls(status=StageStatus.COMPLETED, output=dict(output or {}), **kw)

    @classmethod
    def failed(cls, *errors: str, output: Mapping[str, Any] | None = None, **kw: Any) -> StageResult:
        return cls(status=StageStatus.FAILED, errors=errors, output=dict(output or {}), **kw)

    @classmethod
    def finished(cls, output: Mapping[str, Any] | None = None, *, errors: Iterable[str] = (), **kw: Any) -> StageResult:
        """``failed`` with ``errors`` when there are any, else ``completed``: one payload either way.

        Why: a stage that works through its inputs and then decides (errors collected, or a count
        over what ``on_errors: fail`` allows) reports the same output, artifacts and warnings in both
        outcomes; one return keeps the two from drifting apart.
        """
        errors = tuple(errors)
        status = StageStatus.FAILED if errors else StageStatus.COMPLETED
        return cls(status=status, errors=errors, output=dict(output or {}), **kw)

    def to_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self, recurse=True)
        data["status"] = self.status.value
        data["artifacts"] = list(self.artifacts)
        data["errors"] = list(self.errors)
        data["warnings"] = list(self.warnings)
        data["output"] = dict(self.output)
        del data["phi_findings"]
        return data


@attrs.define
class StageContext:
    """What a stage sees while it runs.

    Users of :func:`engine.run_stages` build one for the whole run; the runner derives a
    per-step copy carrying the step's structured config and a :class:`WorldView` restricted to
    the components the stage declared.
    """

    job_id: str = "job"
    run_id: str = ""
    mode: str = "DEMO"
    step_id: str = ""
    config: Any = attrs.field(factory=dict)
    world: World | WorldView = attrs.field(factory=World)
    workspace: Path = attrs.field(factory=Path.cwd, converter=Path)
    logger: logging.Logger = attrs.field(factory=lambda: logging.getLogger("rflow.stage"))
    deadline: float | None = None
    interrupt: threading.Event = attrs.field(factory=threading.Event)
    phi_key: bytes | None = None
    phi_key_source: str | None = None
    """Where ``phi_key`` came from (``env``, ``file``, ``keyring``, ``random``), for the stages' records."""
    policy: Mapping[str, Any] = attrs.field(factory=dict)
    approvals: tuple[Any, ...] = ()
    allowed_roots: tuple[Path, ...] = ()
    """Resolved ``governance.allowed_roots``: every file a step's config names must be under one
    (empty: anywhere). Pass it to :func:`engine.core.configfile.read_config_bytes` when reading one."""
    executor: Any = None
    """The run's :class:`engine.execution.executors.Executor` (``None``: tasks run in process)."""
    progress: Callable[[int, int], None] | None = None
    """Set by the runner per step: ``progress(done, total)`` feeds the observers' partition counts."""
    threads: list[threading.Thread] = attrs.field(factory=list)
    """Set by the runner per step: the threads :meth:`run_blocking` started, abandoned on timeout."""

    @property
    def interrupted(self) -> bool:
        """True once the step timed out or the run was cancelled."""
        return self.interrupt.is_set() or (self.deadline is not None and time.monotonic() > self.deadline)

    def checkpoint(self) -> None:
        """Raise :class:`StepInterrupted` if the step should stop; call it inside long loops.

        Work handed to :meth:`run_blocking` runs in a thread that asyncio cannot cancel: calling
        this between chunks is what makes timeouts and Ctrl-C stop it promptly.
        """
        if self.interrupted:
            raise StepInterrupted("step interrupted (timeout or cancellation)")

    def remaining_s(self) -> float | None:
        """Seconds left before this step's deadline (``None``: no deadline)."""
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    async def run_blocking(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run CPU- or IO-bound work off the event loop so timeouts and Ctrl-C stay responsive.

        The work runs in a daemon thread of its own: past the step's timeout it is abandoned if it
        does not reach a :meth:`checkpoint`, and it never keeps the process from exiting.
        """
        from engine.core.blocking import run_in_thread

        return await run_in_thread(self.threads, fn, *args, **kwargs)

    @property
    def partition_bytes(self) -> int:
        """Target size of one partition of a large input (the run's ``execution.partition_bytes``)."""
        return int(getattr(self.executor, "partition_bytes", DEFAULT_PARTITION_BYTES))

    async def map_tasks(self, fn: Callable[[Any], T], tasks: Sequence[Any], *, label: str | None = None) -> list[T]:
        """Run ``fn(task)`` for every task on the run's executor; results in task order.

        ``fn`` must be an importable top-level function and each task plain picklable data
        (paths, byte ranges, config): with ``processes`` or ``dask`` they cross process and
        machine boundaries. Tasks return metadata only. Progress (tasks done/total) reaches the
        run's observers; an interrupted step cancels the outstanding tasks.
        """
        executor = self.executor
        owned = executor is None
        if owned:
            executor = default_executor.create()
        try:
            result: list[T] = await executor.map(
                fn, tasks, label=label or self.step_id or "task", progress=self.progress, interrupt=self.interrupt
            )
        finally:
            if owned:
                executor.close()
        return result

    async def map_parts(
        self, fn: Callable[[Any], T], groups: Sequence[Sequence[Any]], *, label: str | None = None
    ) -> list[list[T]]:
        """Run the tasks of several inputs (a group of partitions each) as one batch.

        All partitions of all inputs run in parallel on the run's executor (see :meth:`map_tasks`);
        each group's results come back as a list of their own, in task order, ready for that
        input's merge in file order.
        """
        flat = await self.map_tasks(fn, [task for group in groups for task in group], label=label)
        out: list[list[T]] = []
        start = 0
        for group in groups:
            out.append(flat[start : start + len(group)])
            start += len(group)
        return out

    @contextlib.contextmanager
    def parts_folder(self) -> Iterator[Path]:
        """This step's folder under the workspace's ``.parts/`` for the part files of a
        :meth:`map_parts` batch; on leaving the block it is removed with everything in it, and
        ``.parts/`` too once no step uses it.

        Why here: the part files of a partitioned step (phi_scan's findings, deidentify's copies)
        may hold raw data until they are merged; one place decides where they go and that they
        go. The folder is created on first use by the stage (``mkdir(parents=True)``).
        """
        name = hashlib.sha256(self.step_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        root = self.workspace / PARTS_DIR / name
        try:
            yield root
        finally:
            shutil.rmtree(root, ignore_errors=True)
            with contextlib.suppress(OSError):
                root.parent.rmdir()  # .parts, once no step uses it

    def artifact_path(self, relative: str) -> Path:
        """Absolute path of a workspace-relative artifact, creating its parent folders."""
        path = self.workspace / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


@runtime_checkable
class Stage(Protocol):
    """A stage class, as :func:`engine.register_stage` checks it."""

    stage_id: ClassVar[int]
    stage_name: ClassVar[str]
    key: ClassVar[str]
    version: ClassVar[str]
    reads: ClassVar[tuple[type, ...]]
    """Components the stage needs; the plan proves an earlier step or an input provides them."""
    writes: ClassVar[tuple[type, ...]]
    modes: ClassVar[tuple[str, ...]]
    Config: ClassVar[type]
    # Optional in a stage class (registration fills the defaults of STAGE_DEFAULTS):
    optional_reads: ClassVar[tuple[type, ...]]
    """Components used when present (a summary), never required of the plan."""
    detects_phi: ClassVar[bool]
    """Its results carry ``phi_findings``, which decides the mode's ``phi_policy`` (engine.governance.policy)."""
    removes_phi: ClassVar[bool]
    """It may read raw data under a ``phi_policy`` block, because it removes PHI (deidentify)."""
    touches_raw_data: ClassVar[bool]
    """It reads the raw input; false for stages that see only metadata (irb_check, summary)."""
    gatekeeping: ClassVar[bool]
    """A step of it that does not complete keeps raw data from every later step."""

    async def execute(self, context: StageContext) -> StageResult: ...


STAGE_DEFAULTS: Mapping[str, Any] = {
    "optional_reads": (),
    "detects_phi": False,
    "removes_phi": False,
    "touches_raw_data": True,
    "gatekeeping": False,
}
"""The optional attributes of :class:`Stage` and their values when a stage class leaves them out."""


def fill_stage_defaults(cls: type) -> None:
    """Give a stage class every optional attribute of the contract it leaves out, so readers need no getattr."""
    for name, default in STAGE_DEFAULTS.items():
        if not hasattr(cls, name):
            setattr(cls, name, default)


def _complete_stage(_step: object, _attribute: object, stage: type) -> None:
    fill_stage_defaults(stage)


@attrs.frozen
class PlannedStep:
    """One step ready to run: the stage class, its structured config, its time budget."""

    step_id: str
    stage: type = attrs.field(validator=_complete_stage)
    config: Any
    timeout_s: float | None = None
    gate: str | None = None
    """A governance condition on earlier steps' metadata; checked by the run's StepPolicy."""


@attrs.frozen
class Verdict:
    """A policy's decision not to run a step (``skipped``/``blocked``) and why."""

    status: StageStatus
    reason: str
    blocked_by: str | None = None
    """The earlier step whose outcome decided this (recorded in the step's result)."""
