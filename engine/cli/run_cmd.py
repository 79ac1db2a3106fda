"""``rflow run``."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from engine.cli.parsing import UsageError
from engine.core import exitcodes
from engine.core.display import shown, shown_path
from engine.core.errors import safe_excerpt, sanitize_text
from engine.core.paths import file_problem

if TYPE_CHECKING:
    from engine.orchestrate import RunRequest


def add_parser(sub: Any) -> None:
    run = sub.add_parser(
        "run", help="validate and run a pipeline manifest (default: the DEMO pipeline on bundled data)",
        description="Validate MANIFEST, check its governance mode, run its steps and write report.json "
                    f"and audit.jsonl into the run folder. Exit: {exitcodes.OK} success, {exitcodes.FAILED} a "
                    f"step failed, {exitcodes.USAGE} usage or input errors (an unusable input included), "
                    f"{exitcodes.REFUSED} refused or blocked by governance, {exitcodes.INTERRUPTED} interrupted.",
    )
    run.add_argument("manifest", nargs="?", metavar="MANIFEST",
                     help="the pipeline manifest (YAML) to run (default: the shipped DEMO pipeline); "
                          "data files go in --input")
    run.add_argument("--mode", help="governance mode (default: the manifest's default_mode)")
    run.add_argument("--input", action="append", default=[], metavar="NAME=PATH",
                     help="the data file for the manifest's input NAME (the DEMO pipeline's is 'dataset'); "
                          "repeatable")
    run.add_argument("--approval", action="append", default=[], metavar="KIND=REF:YYYY-MM-DD[:SCOPE,...]",
                     help="an approval the mode requires, with its reference and expiry date, such as "
                          "irb_approval=IRB-2026-0142:2027-06-30; repeatable")
    run.add_argument("--approvals", metavar="FILE", help="a YAML file of approvals (see docs/governance.md)")
    run.add_argument("--out", metavar="DIR", help="run folder (default: ./rflow-runs/RUN_ID); must be new or empty")
    run.add_argument("--only", metavar="STEP,...",
                     help="run only these steps of the mode (comma-separated); steps they need are pulled in")
    run.add_argument("--from", dest="from_step", metavar="STEP", help="run the mode's steps from this one on")
    run.add_argument("--job-id", help="your job id (a scheduler's, a ticket's), recorded in the report and audit log")
    run.add_argument("--audit-log", metavar="FILE",
                     help="also append the audit events to this shared log (hash-chained across runs)")
    run.add_argument("--json", action="store_true", help="print one JSON event per line instead of text (for programs)")
    scale = run.add_argument_group("execution (overrides the manifest's execution: block; see docs/scale-out.md)")
    scale.add_argument("--executor", choices=("local", "processes", "dask"),
                       help="where partitions and datasets run: in process, a local process pool, or Dask")
    scale.add_argument("--workers", type=int, metavar="N", help="worker threads/processes (dask: LocalCluster size)")
    scale.add_argument("--dask-address", metavar="ADDR",
                       help="Dask scheduler (tcp://host:8786) or local:N for a LocalCluster of N worker processes "
                            "started for the run; implies --executor dask")
    scale.add_argument("--dask-workers", type=int, metavar="N",
                       help="start a LocalCluster of N worker processes for the run (= --executor dask --workers N)")
    scale.add_argument("--partition-size", metavar="SIZE",
                       help="target size of one partition of a large input, e.g. 64MiB (default 64MiB)")
    run.set_defaults(func=_run)


def _parse_inputs(pairs: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise UsageError("--input takes NAME=PATH")
        if name in inputs:
            raise UsageError(f"--input {safe_excerpt(name, 40)!r} given twice")
        inputs[name] = path
    return inputs


_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,127}$")


def _job_id(value: str | None) -> str | None:
    """A caller's job id goes into the report and the audit log: printable ASCII, at most 128 characters."""

    if value is not None and not _JOB_ID.match(value):
        raise UsageError("--job-id takes 1-128 characters: letters, digits and . _ : / @ + = - "
                         "(starting with a letter or digit)")
    return value


def _approvals(args: argparse.Namespace) -> list[Any]:
    from engine.governance.approvals import ApprovalError, load_approvals, parse_approval

    try:
        found = [parse_approval(text) for text in args.approval]
        if args.approvals:
            problem = file_problem(Path(args.approvals))
            if problem:
                raise UsageError(f"--approvals: {problem}: {sanitize_text(args.approvals)}")
            found.extend(load_approvals(args.approvals))
    except ApprovalError as exc:
        raise UsageError(str(exc)) from exc
    return found


def _execution(args: argparse.Namespace) -> dict[str, Any] | None:
    """The execution settings given on the command line (``None``: the manifest decides)."""
    from engine.execution.executors import ExecutorError, parse_size

    chosen: dict[str, Any] = {}
    if args.dask_workers is not None:
        if args.dask_address is not None or args.workers is not None:
            raise UsageError("--dask-workers starts a LocalCluster: give it alone, not with --dask-address/--workers")
        if args.executor not in (None, "dask"):
            raise UsageError(f"--dask-workers needs --executor dask, not {args.executor}")
        chosen.update(executor="dask", workers=args.dask_workers)
    if args.dask_address is not None:
        if args.executor not in (None, "dask"):
            raise UsageError(f"--dask-address needs --executor dask, not {args.executor}")
        chosen.update(executor="dask", address=args.dask_address)
    if args.executor is not None:
        chosen["executor"] = args.executor
    if args.workers is not None:
        if not 1 <= args.workers <= 1024:
            raise UsageError("--workers must be between 1 and 1024")
        chosen["workers"] = args.workers
    if args.partition_size is not None:
        try:
            chosen["partition_bytes"] = parse_size(args.partition_size)
        except ExecutorError as exc:
            raise UsageError(f"--partition-size: {exc}") from None
    return chosen or None


def _request(args: argparse.Namespace) -> RunRequest:
    """The run the command line asks for; a bad option is a :class:`engine.cli.UsageError` before anything runs."""
    from engine.orchestrate import RunRequest

    only = [s.strip() for s in args.only.split(",") if s.strip()] if args.only else None
    return RunRequest(manifest=args.manifest, mode=args.mode, inputs=_parse_inputs(args.input),
                      approvals=_approvals(args), out_dir=args.out, only=only, from_step=args.from_step,
                      job_id=_job_id(args.job_id), audit_log=args.audit_log,
                      executor=_execution(args))


def _data_file_hint(manifest: str | None) -> str | None:
    """When a data file was given where the manifest goes: how to pass it as an input instead."""
    from engine.dataplane.sniff import format_by_name

    if manifest is None or format_by_name(manifest) is None:
        return None
    where = shown_path(manifest)
    return (f"{where} looks like a data file, not a manifest: give it as an input, e.g. "
            f"rflow run --input dataset={where} (the DEMO pipeline) or rflow run MANIFEST --input NAME={where}")


def _run(args: argparse.Namespace) -> int:
    from engine.execution.progress import observer_for, run_status, summary_table
    from engine.governance.policy import PolicyDecision
    from engine.governance.selection import pulled_in_line
    from engine.manifest import ManifestError
    from engine.orchestrate import RunUsageError, run_manifest

    request = _request(args)
    observer: Any = observer_for(sys.stdout, json_events=args.json, environ=os.environ)
    try:
        report = run_manifest(attrs.evolve(request, observer=observer))
    except ManifestError as exc:
        from engine.manifest import render_text

        sys.stderr.write(render_text(exc.diagnostics))
        sys.stderr.write("rflow: the manifest is invalid; no step was started\n")
        hint = _data_file_hint(args.manifest)
        if hint:
            sys.stderr.write(f"rflow: hint: {hint}\n")
        return exitcodes.USAGE
    except RunUsageError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        getattr(observer, "close", lambda: None)()  # a live display gives the terminal back, however the run ends
    data = report.data
    for notice in data.get("audit", {}).get("notices", []):
        sys.stderr.write(f"rflow: warning: {notice}\n")
    record_error = _record_error(report)
    if record_error:
        sys.stderr.write(f"rflow: error: {record_error}\n")
    if args.json:
        shown_report = {"error": record_error} if record_error else {"report": shown_path(report.path)}
        observer.emit("run_finished", status=data["status"], exit_code=report.exit_code, **shown_report)
        return report.exit_code
    if data["status"] == "refused":
        reasons = [d["reason"] for d in data["policy_decisions"] if d["outcome"] == "refused"]
        for reason in reasons:
            sys.stderr.write(f"rflow: refused: {shown(reason)}\n")
    elif changed := [d for d in data["policy_decisions"] if d["policy"] == "input" and d["outcome"] == "failed"]:
        sys.stderr.write(f"rflow: {shown(changed[0]['reason'])}; the run failed\n")
    elif data["status"] == "unusable_input":
        failed = [s for s in data["steps"] if s["status"] == "failed" and s["errors"]]
        sys.stderr.write(f"rflow: unusable input: {shown(failed[0]['errors'][0]) if failed else 'see the report'}\n")
    elif not data.get("error") and not any(step["started_at"] is not None for step in data["steps"]):
        sys.stderr.write(f"rflow: no step ran: every step was skipped or blocked (run {data['status']})\n")
    print()
    print(summary_table(data))
    print()
    print(f"run {shown(data['run_id'])} {run_status(data)} (mode {shown(data['mode'])}, pipeline "
          f"{shown(data['manifest']['name'])} {shown(data['manifest']['version'])}) in {data['duration_s']:.2f}s")
    if data["phi_key_source"] == "random":
        print("note: no PHI key configured (RFLOW_PHI_KEY or RFLOW_PHI_KEY_FILE): finding digests use a "
              "per-run random key and compare only within this run (make a key with: rflow phi keygen)")
    pulled_in = pulled_in_line(PolicyDecision(**d) for d in data["policy_decisions"])
    if pulled_in:
        print(shown(pulled_in, 2000))
    if record_error:
        return report.exit_code  # the record is incomplete: no report or artifact is offered as the run's account
    for step in data["steps"]:
        for artifact in step["artifacts"]:
            print(f"artifact ({shown(step['step_id'])}): {shown_path(report.run_dir / artifact)}")
    print(f"report: {shown_path(report.path)}")
    if report.html_problem:
        sys.stderr.write(f"rflow: warning: {shown(report.html_problem)} (rflow report RUN_DIR writes it again)\n")
    else:
        print(f"html report: {shown_path(report.run_dir / 'report.html')}")
    return report.exit_code


def _record_error(report: Any) -> str | None:
    """The one line saying the run's record (audit log, report) could not be kept, or None.

    Such a run exits non-zero and the CLI names no report: the file on disk is cut short (its
    last entries are missing) or older than the run's end (it still says ``running``).
    """
    error = report.data.get("error")
    if not error:
        return None
    if report.written_status is None:  # the disk was full before the first report could be written
        return f"{shown(error)}; no {report.path.name} was written"
    if report.written_status != report.status:
        return f"{shown(error)}; {report.path.name} is out of date (it says {shown(str(report.written_status))})"
    return f"{shown(error)}; {report.path.name} says {shown(report.status)} but the record is incomplete"

