"""``rflow audit verify``: whether a run's audit log is intact, as the run really ended."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import attrs

from engine.cli.parsing import UsageError, action, action_group
from engine.core import exitcodes
from engine.core.display import shown as _text
from engine.core.display import shown_path
from engine.phi.errors import PhiKeyError
from engine.phi.keyring import ENV_KEYRING, configured_keyring
from engine.phi.keys import ENV_KEY, ENV_KEY_FILE, resolve_key

AUDIT_NAME = "audit.jsonl"
EXIT_INTACT, EXIT_BROKEN, EXIT_USAGE = exitcodes.OK, exitcodes.FAILED, exitcodes.USAGE


def add_parser(sub: Any) -> None:
    asub = action_group(sub, "audit", "check a run's tamper-evident audit log", dest="audit_command")
    verify = action(
        asub, "verify", "verify an audit log (a run folder, or a log file such as a shared --audit-log)", _verify,
        description="Check the hash chain, the keying, that every run finished, and (for a run folder) the "
                    "entry count and head hash report.json recorded. A keyed log needs its key in RFLOW_PHI_KEY "
                    "or RFLOW_PHI_KEY_FILE. Exit: 0 intact, 1 broken, tampered or unfinished, 2 usage (no log, "
                    "key needed).")
    verify.add_argument("path", help="run folder or audit log file")
    verify.add_argument("--report", metavar="RUN_FOLDER", action="append", default=[],
                        help="for a shared log: also check it against the shared-log anchor this run's report "
                             "recorded (repeatable)")
    verify.add_argument("--allow-unkeyed", action="store_true",
                        help="accept a plain SHA-256 log although a deployment key is configured")



def _verifier_key() -> Any:
    """The configured deployment key or keyring, or None (a per-process random key verifies nothing).

    A keyring is given whole: the verifier takes the key whose id the log declares.
    """

    try:
        if os.environ.get(ENV_KEYRING) is not None and not {ENV_KEY, ENV_KEY_FILE} & set(os.environ):
            return configured_keyring()
        key = resolve_key()
    except PhiKeyError as exc:
        raise UsageError(str(exc)) from None
    return None if key.is_random else key


def _run_report(folder: Path) -> Any:
    from engine.reporting.run_report import REPORT_NAME, ReportError, read_report

    if not (folder / REPORT_NAME).exists():
        return None
    try:
        return read_report(folder)
    except ReportError as exc:
        raise UsageError(f"{_shown(folder)}: {exc}") from None


def _shown(path: Path) -> str:
    return shown_path(path)


def _verify(args: argparse.Namespace) -> int:
    from engine.execution.runfolder import LOCK_NAME
    from engine.reporting.audit_verify import shown_run, verify_log

    path = Path(args.path)
    log = path / AUDIT_NAME if path.is_dir() else path
    if not log.is_file():
        raise UsageError(f"no audit log at {_shown(log)}")
    shown = _shown(log)
    report = _run_report(log.parent) if log.name == AUDIT_NAME else None
    orphan = report is None and log.name == AUDIT_NAME and (log.parent / LOCK_NAME).exists()
    if report is not None and report.status == "running":
        print(f"{shown}: broken: run {shown_run(report.run_id)} is still running (its run folder is locked); "
              "verify it once it has finished")
        return EXIT_BROKEN
    anchor = report.data.get("audit", {}) if report is not None else None
    final = report is not None and report.status != "aborted"
    key = _verifier_key()
    result = verify_log(log, key=key, anchor=anchor, final=final, allow_unkeyed=args.allow_unkeyed)
    for folder in args.report:  # anchors of a shared log: later runs may follow, so not final
        run = _run_report(Path(folder))
        if run is None:
            raise UsageError(f"no report.json in {_shown(Path(folder))}")
        audit = run.data.get("audit", {})
        shared = {**audit.get("shared", {}), **{k: audit[k] for k in ("alg", "key_id") if k in audit}}
        extra = verify_log(log, key=key, anchor=shared, final=False, allow_unkeyed=args.allow_unkeyed)
        result = attrs.evolve(result, problems=result.problems + tuple(
            attrs.evolve(p, text=f"{p.text} [anchor of run {shown_run(run.run_id)}]") for p in extra.problems
            if p.line is None and p not in result.problems))
    if result.needs_key:
        raise UsageError(f"{shown}: {result.needs_key}")
    for note in result.notes:
        print(f"{shown}: note: {_text(note, 2000)}")
    if report is not None and report.status == "aborted":
        print(f"{shown}: broken: run {shown_run(report.run_id)} aborted: its report still says running and no process "
              "holds its run folder")
    if orphan:
        print(f"{shown}: broken: the run folder has no report.json (the run could not write it): entries "
              "removed from the end cannot be ruled out")
    for problem in result.problems:
        where = f"{shown}:{problem.line}" if problem.line is not None else shown
        print(f"{where}: broken: {_text(problem.text, 2000)}")
    if result.ok and not orphan and not (report is not None and report.status == "aborted"):
        keyed = f"keyed (hmac-sha256, key id {result.keying.get('key_id')})" if result.keyed else "not keyed (sha256)"
        print(f"{shown}: ok, {result.entries} entries, chain intact, {keyed}")
        return EXIT_INTACT
    return EXIT_BROKEN

