"""Run a manifest: validate, resolve inputs, check governance, execute, report, audit.

``run_manifest`` / ``arun_manifest`` are the library entry points; ``rflow run`` is a thin layer
over them. A manifest that does not validate never starts a step; a run refused by governance
starts none either, but still leaves a report and an audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import getpass
import os
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs

from engine import __version__
from engine.core.bundled import BUNDLED_PREFIX, BundledFileError, bundled_path
from engine.core.components import RUN_ENTITY, World, as_tuple
from engine.core.contract import PlannedStep, StageContext, StageResult
from engine.core.display import printable
from engine.core.engine_components import InputDataset, RunInfo
from engine.core.errors import RflowError, safe_error_text, safe_excerpt, sanitize_text
from engine.core.exitcodes import for_run_status
from engine.core.paths import file_problem, folder_problem
from engine.core.terminate import terminable
from engine.core.timestamps import iso
from engine.execution.executors import Executor, ExecutorError, create, resolve
from engine.execution.runfolder import LOCK_NAME, RunFolderBusy, RunFolderLock, remove_parts, sweep_abandoned_parts
from engine.execution.step_runner import ObserverGroup, PolicyChain, RunObserver, RunOutcome, execute_plan
from engine.governance.input_watch import Fingerprint, InputChanged, InputWatch, fingerprint
from engine.governance.policy import GovernancePolicy, ModeRules, PolicyDecision, preflight, refused, refused_results
from engine.governance.selection import SelectionError, select_steps
from engine.manifest import load_manifest
from engine.manifest import plan as make_plan
from engine.phi.keys import resolve_key
from engine.phi.labels import safe_file_name
from engine.reporting.audit import AuditKeying, AuditLog, AuditLogError
from engine.reporting.html import ReportRenderError, write_html
from engine.reporting.run_report import REPORT_KIND, RunReport, StepEntry

DEFAULT_MANIFEST = "demo.yaml"
P = ParamSpec("P")
R = TypeVar("R")


class RunUsageError(RflowError):
    """The run cannot start because of its arguments or inputs (CLI exit 2)."""


def shipped_manifest(name: str = DEFAULT_MANIFEST) -> Path:
    """Path of a manifest shipped inside the package (``manifests/``)."""

    path = Path(str(files("engine.manifests") / name))
    if not path.is_file():
        raise RunUsageError(f"no shipped manifest named {name!r}")
    return path


def bundled_data(name: str) -> Path:
    """Path of a data file shipped inside the package (``engine/data/``)."""
    try:
        return bundled_path(name)
    except BundledFileError as exc:
        raise RunUsageError(str(exc)) from None


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


@attrs.frozen
class ResolvedInput:
    name: str
    path: Path
    format: str
    fingerprint: Fingerprint
    """Size, mtime and SHA-256 when the run resolved it; the run fails if it changes later."""


def check_run_paths(out_dir: str | os.PathLike[str] | None, audit_log: str | os.PathLike[str] | None) -> None:
    """The run folder must be a folder (or new), a shared audit log a regular file (or new)."""
    problem = folder_problem(Path(out_dir)) if out_dir is not None else None
    if problem:
        raise RunUsageError(f"--out: {problem}: {sanitize_text(str(out_dir))}")
    problem = file_problem(Path(audit_log), may_be_missing=True) if audit_log is not None else None
    if problem:
        raise RunUsageError(f"--audit-log: {problem}: {sanitize_text(str(audit_log))}")


def resolve_inputs(manifest: Any, given: Mapping[str, str | os.PathLike[str]]) -> list[ResolvedInput]:
    """Every declared input bound to an existing regular file: given, or the manifest's default."""
    declared = {i.name: i for i in manifest.inputs}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise RunUsageError(
            f"unknown input {safe_excerpt(unknown[0], 40)!r}; the manifest declares: {', '.join(declared) or '(none)'}"
        )
    base = Path(manifest.path).parent if getattr(manifest, "path", None) else Path.cwd()
    resolved = []
    for name, spec in declared.items():
        if name in given:
            path = Path(given[name]).expanduser()
        elif getattr(spec, "default", None):
            default = str(spec.default)
            path = bundled_data(default[len(BUNDLED_PREFIX):]) if default.startswith(BUNDLED_PREFIX) else base / default
        else:
            raise RunUsageError(f"input {name!r} has no default: pass --input {name}=PATH")
        problem = file_problem(path)
        if problem:
            raise RunUsageError(f"input {name!r}: {problem}: {sanitize_text(str(path))}")
        try:
            seen = fingerprint(path)
        except (InputChanged, OSError) as exc:
            raise RunUsageError(f"input {name!r}: {safe_error_text(exc)}: {sanitize_text(str(path))}") from None
        resolved.append(ResolvedInput(name, path.resolve(), getattr(spec, "format", None) or "auto", seen))
    return resolved


class RecordError(RflowError):
    """The run's report or audit log could not be written: the run stops (the record is not optional)."""


class _ReportObserver(RunObserver):
    """Keeps the report and the audit logs current as steps finish.

    ``required``: the runner lets this observer's failure stop the run instead of swallowing it;
    after the first failure, writes are best effort (the run is ending).
    """

    required = True

    def __init__(self, report: RunReport, audit: list[AuditLog]) -> None:
        self.report = report
        self.audit = audit
        self.error: str | None = None

    def _fail(self, what: str, exc: BaseException, where: str) -> None:
        if self.error is None:
            self.error = (f"RecordError: the run's {what} could not be written ({sanitize_text(where, 80)}: "
                          f"{safe_error_text(exc)}); the run stopped")
            self.report.data["error"] = self.error
            raise RecordError(self.error) from None

    def log_event(self, event: str, **data: Any) -> None:
        """Append ``event`` to every audit log of the run (a failure stops the run, see ``_fail``)."""
        for log in self.audit:
            try:
                log.append(event, **data)
            except Exception as exc:
                self._fail("audit log", exc, log.path.name)

    def write(self, finish: str | None = None) -> None:
        """Write the report with the audit anchor (keying, entry count, head hash of each log)."""
        own, *shared = self.audit
        anchor: dict[str, Any] = {**own.keying.describe(), "entries": own.head[0], "head": own.head[1]}
        if shared:
            anchor["shared"] = {"entries": shared[0].head[0], "head": shared[0].head[1]}
        notices = [n for log in self.audit for n in log.notices]
        if notices:
            anchor["notices"] = notices
        self.report.data["audit"] = anchor
        try:
            self.report.finish(finish) if finish else self.report.write()
        except Exception as exc:
            self._fail("report", exc, self.report.path.name)

    def close(self, status: str) -> None:
        """``run_finished`` closes the log, then the report records the final head; best effort once broken."""
        if self.error is not None:
            status = "failed"
        with contextlib.suppress(RecordError):
            self.log_event("run_finished", run_id=self.report.run_id, status=status, exit_code=for_run_status(status))
        with contextlib.suppress(RecordError):
            self.write(finish=status)
        self.report.data["status"] = status
        for log in self.audit:
            log.close()

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        stage: Any = step.stage
        self.log_event("step_started", run_id=self.report.run_id, step=step.step_id, stage=stage.key,
                       stage_version=stage.version, index=index, total=total)

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        self.report.add_step(StepEntry.from_result(result))
        self.write()
        # A failed step's first error (sanitized, one line: e.g. which artifact could not be
        # written and why) goes into the log too, so the audit trail says why the run stopped.
        why = {"error": sanitize_text(result.errors[0], 300)} if result.status == "failed" and result.errors else {}
        self.log_event("step_finished", run_id=self.report.run_id, step=step.step_id, status=result.status.value,
                       duration_s=result.duration_s, errors=len(result.errors), **why)

    def decision(self, decision: PolicyDecision) -> None:
        self.report.data["policy_decisions"].append(decision.to_dict())
        self.log_event("policy_decision", run_id=self.report.run_id, **decision.to_dict())


def _load(manifest_or_path: Any, registry: Any) -> Any:
    if manifest_or_path is None:
        return load_manifest(shipped_manifest(), registry=registry)
    if isinstance(manifest_or_path, str | os.PathLike):
        problem = file_problem(Path(manifest_or_path))
        if problem:
            raise RunUsageError(f"manifest: {problem}: {sanitize_text(str(manifest_or_path))}")
        return load_manifest(Path(manifest_or_path), registry=registry)
    return manifest_or_path


def _steps(values: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


@attrs.frozen(kw_only=True)
class RunRequest:
    """One run as asked for: the keywords of :func:`run_manifest` (``rflow run``'s options) as one value.

    ``manifest``: a loaded manifest, a path, or None for the shipped DEMO pipeline. ``executor``
    overrides the manifest's ``execution:`` block: a kind (``"processes"``), a mapping
    (``{"executor": "dask", "address": "local:2", "partition_bytes": "16MiB"}``), an
    :class:`engine.execution.executors.ExecutorSpec`, or an :class:`engine.execution.executors.Executor`
    the caller owns (reused and not closed, e.g. one Dask cluster for many runs).
    """

    manifest: Any = None
    mode: str | None = None
    inputs: Mapping[str, str | os.PathLike[str]] = attrs.field(factory=dict)
    approvals: tuple[Any, ...] = attrs.field(factory=tuple, converter=as_tuple)
    out_dir: str | os.PathLike[str] | None = None
    only: tuple[str, ...] | None = attrs.field(default=None, converter=_steps)
    from_step: str | None = None
    job_id: str | None = None
    observer: RunObserver | None = None
    registry: Any = None
    phi_key: bytes | None = None
    audit_log: str | os.PathLike[str] | None = None
    executor: Any = None


@attrs.frozen
class _Prepared:
    """What :func:`arun_manifest` decided before the run folder exists, each once: the plan, the
    selected steps, the inputs, the mode's rules and the preflight decisions, the executor."""

    request: RunRequest
    manifest: Any
    mode: str
    steps: list[PlannedStep]
    selection: list[PolicyDecision]
    resolved: list[ResolvedInput]
    rules: ModeRules
    decisions: list[PolicyDecision]
    executor: Any


async def arun_manifest(
    manifest_or_path: Any = None,
    *,
    mode: str | None = None,
    inputs: Mapping[str, str | os.PathLike[str]] | None = None,
    approvals: Iterable[Any] = (),
    out_dir: str | os.PathLike[str] | None = None,
    only: Iterable[str] | None = None,
    from_step: str | None = None,
    job_id: str | None = None,
    observer: RunObserver | None = None,
    registry: Any = None,
    phi_key: bytes | None = None,
    audit_log: str | os.PathLike[str] | None = None,
    executor: Any = None,
) -> RunReport:
    """Validate and run a manifest (default: the shipped DEMO pipeline on bundled data).

    The keywords are the fields of :class:`RunRequest`; a :class:`RunRequest` may be given
    instead, as the only argument.

    Raises :class:`engine.manifest.ManifestError` for an invalid manifest and
    :class:`RunUsageError` for bad arguments; otherwise returns the report, whatever happened.
    """
    given = RunRequest(mode=mode, inputs=inputs or {}, approvals=approvals, out_dir=out_dir, only=only,
                       from_step=from_step, job_id=job_id, observer=observer, registry=registry, phi_key=phi_key,
                       audit_log=audit_log, executor=executor)
    if isinstance(manifest_or_path, RunRequest):
        if given != RunRequest():
            raise TypeError("arun_manifest takes a RunRequest or keywords, not both")
        return await _arun(manifest_or_path)
    return await _arun(attrs.evolve(given, manifest=manifest_or_path))


async def _arun(request: RunRequest) -> RunReport:
    registry = request.registry
    manifest = _load(request.manifest, registry)
    check_run_paths(request.out_dir, request.audit_log)
    the_plan = make_plan(manifest, request.mode, registry=registry) if registry is not None else make_plan(
        manifest, request.mode)
    try:
        steps, selection = select_steps(the_plan.steps, request.only, request.from_step)
    except SelectionError as exc:
        raise RunUsageError(str(exc)) from None
    resolved = resolve_inputs(manifest, request.inputs)
    runner_executor, owned = _executor_for(manifest, request.executor)
    # Preflight is pure: a run governance will refuse never starts a pool or a cluster.
    rules = ModeRules.from_mode(the_plan.mode, manifest.governance.modes[the_plan.mode])
    decisions = preflight(rules, steps, request.approvals)
    run = _Prepared(request, manifest, the_plan.mode, steps, selection, resolved, rules, decisions, runner_executor)
    try:
        if owned and not refused(decisions):
            try:
                await asyncio.to_thread(runner_executor.start)
            except RflowError as exc:
                raise RunUsageError(str(exc)) from None
        return await _run_planned(run)
    finally:
        if owned:
            # Every exit path (success, failure, Ctrl-C) closes pools and clusters this run started.
            runner_executor.close()


def _executor_for(manifest: Any, requested: Any) -> tuple[Any, bool]:
    """``(executor, owned)``: the caller's Executor as is, or a new one from manifest + override."""

    if isinstance(requested, Executor):
        return requested, False
    try:
        return create(resolve(getattr(manifest, "execution", None), requested)), True
    except ExecutorError as exc:
        raise RunUsageError(str(exc)) from None


def _write_html(report: RunReport, manifest: Any, key: Any) -> None:
    """``report.html`` beside report.json; if it cannot be written the run's record says so (the run stands)."""

    try:
        write_html(report.data, report.run_dir, manifest=manifest, key=None if key.is_random else key)
    except ReportRenderError as exc:
        report.html_problem = str(exc)


def _claim_run_folder(run_dir: Path, run_id: str) -> RunFolderLock:
    """Own ``run_dir`` (new or empty) for this run, and sweep what killed sibling runs left behind."""
    had_lock = (run_dir / LOCK_NAME).exists()
    try:
        lock = RunFolderLock.acquire(run_dir, run_id)
    except RunFolderBusy as exc:
        raise RunUsageError(str(exc)) from None
    except OSError as exc:
        raise RunUsageError(f"cannot create the run folder or record its owner ({safe_error_text(exc)}); "
                            "no step was started") from None
    if any(p.name != LOCK_NAME for p in run_dir.iterdir()):
        if not had_lock:
            (run_dir / LOCK_NAME).unlink(missing_ok=True)
        lock.release()
        raise RunUsageError(f"output folder is not empty: {sanitize_text(str(run_dir))}")
    sweep_abandoned_parts(run_dir.parent, skip=run_dir)
    return lock


def _manifest_dir(manifest: Any) -> Path | None:
    path = getattr(manifest, "path", None)
    return Path(path).parent if path else None


def _open_audit(path: Path, keying: AuditKeying) -> AuditLog:
    try:
        return AuditLog(path, keying)
    except (AuditLogError, OSError) as exc:
        raise RunUsageError(f"audit log {sanitize_text(path.name)}: {safe_error_text(exc)}") from None


async def _run_planned(run: _Prepared) -> RunReport:
    key = resolve_key(run.request.phi_key)
    run_id = new_run_id()
    out_dir = run.request.out_dir
    run_dir = Path(out_dir) if out_dir is not None else Path.cwd() / "rflow-runs" / run_id
    lock = _claim_run_folder(run_dir, run_id)
    try:
        report = await _run_in_folder(run, key=key, run_id=run_id, run_dir=run_dir)
        _write_html(report, run.manifest, key)
        return report
    finally:
        remove_parts(run_dir)  # partial outputs may hold raw data: gone on every exit path
        lock.release()


async def _run_in_folder(run: _Prepared, *, key: Any, run_id: str, run_dir: Path) -> RunReport:
    request = run.request
    report = RunReport(
        {
            "schema": REPORT_KIND,
            "run_id": run_id,
            "job_id": request.job_id or run_id,
            "rflow_version": __version__,
            "status": "running",
            "mode": run.mode,
            "manifest": {
                "name": run.manifest.metadata.name,
                "version": str(run.manifest.metadata.version),
                "path": printable(sanitize_text(str(getattr(run.manifest, "path", "") or "<text>"))),
                "sha256": run.manifest.sha256,
                "api_version": run.manifest.api_version,
            },
            "inputs": [
                {"name": i.name, "file": safe_file_name(i.path.name), "size_bytes": i.fingerprint.size_bytes,
                 "sha256": i.fingerprint.sha256, "format": i.format}
                for i in run.resolved
            ],
            "phi_key_source": key.source,
            "phi_key": key.describe(),
            "executor": run.executor.describe(),
            "started_at": iso(time.time()),
            "finished_at": None,
            "duration_s": None,
            "steps": [],
            "policy_decisions": [],
            "exit_code": None,
        },
        run_dir / "report.json",
    )
    if request.only or request.from_step:
        report.data["selection"] = {"only": list(request.only or []), "from": request.from_step}
    keying = AuditKeying.from_phi_key(key)
    audits = [_open_audit(run_dir / "audit.jsonl", keying)]
    if request.audit_log is not None:
        audits.append(_open_audit(Path(request.audit_log), keying))
    recorder = _ReportObserver(report, audits)
    try:
        recorder.log_event("run_started", run_id=run_id, user=getpass.getuser(), mode=run.mode,
                      manifest=report.data["manifest"]["name"], manifest_version=report.data["manifest"]["version"],
                      manifest_sha256=run.manifest.sha256, inputs=[{"name": i["name"], "sha256": i["sha256"]}
                                                              for i in report.data["inputs"]],
                      steps=[s.step_id for s in run.steps], phi_key_source=key.source,
                      phi_key_id=key.describe()["key_id"])
        recorder.write()
        for decision in run.selection:
            recorder.decision(decision)
        for decision in run.decisions:
            recorder.decision(decision)
    except RecordError:
        recorder.close("failed")
        return report
    if refused(run.decisions):
        for result in refused_results(run.steps):
            report.add_step(StepEntry.from_result(result))
        recorder.close("refused")
        return report

    world = World()
    world.add(RUN_ENTITY, RunInfo(run_id, request.job_id or run_id, run.mode, run.manifest.metadata.name,
                                  str(run.manifest.metadata.version)))
    for item in run.resolved:
        world.add(f"input:{item.name}", InputDataset(item.name, str(item.path), item.format))
    watch = InputWatch({i.name: (i.path, i.fingerprint) for i in run.resolved}, on_decision=recorder.decision)
    policy = PolicyChain([watch, GovernancePolicy(run.rules, on_decision=recorder.decision)])
    context = StageContext(job_id=request.job_id or run_id, run_id=run_id, mode=run.mode, world=world,
                           workspace=run_dir, phi_key=key.key, phi_key_source=key.source,
                           policy=run.rules.as_policy_mapping(), approvals=request.approvals, executor=run.executor,
                           allowed_roots=run.manifest.governance.roots(_manifest_dir(run.manifest)))
    outcome: RunOutcome | None = None
    changed = None
    try:
        outcome = await execute_plan(
            run.steps, context, stop_on_failure=run.manifest.defaults.stop_on_failure,
            observer=ObserverGroup([recorder, *([request.observer] if request.observer else [])]), policy=policy,
        )
        changed = None if outcome.cancelled else watch.finish()
    except RecordError:
        pass  # the record could not be kept: the run stops, and the report says failed (and why)
    finally:
        status = "cancelled" if outcome is None else outcome.status
        if changed is not None and status != "cancelled":
            status = "failed"  # the report and outputs may describe other bytes than the run checked
        report.data["executor"] = run.executor.describe()
        recorder.close(status)
    return report


def _synchronous(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """``fn`` run to completion on a new event loop, with ``fn``'s typed signature (SIGTERM stops it as
    Ctrl-C does: :mod:`engine.core.terminate`)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return asyncio.run(terminable(fn(*args, **kwargs)))

    return run


run_manifest = _synchronous(arun_manifest)
run_manifest.__name__ = run_manifest.__qualname__ = "run_manifest"
run_manifest.__doc__ = """Synchronous :func:`arun_manifest` (for scripts and notebooks without an event loop)."""
