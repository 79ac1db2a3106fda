"""``rflow manifest ...``: create, edit, format and migrate manifests, keeping every comment.

Every edit validates its result before writing and writes atomically; a refused edit prints one
line, a hint and the diagnostics, and leaves the file untouched. ``--dry-run`` prints a unified
diff instead of writing. Exit codes: 0 done, 1 refused (the result would be invalid, or
``fmt --check`` found a file to reformat), 2 usage or I/O errors.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.cli.parsing import UsageError, action, action_group
from engine.core import exitcodes
from engine.core.display import shown, shown_path
from engine.core.errors import safe_excerpt

_EDIT_HELP = "the manifest file to edit"


def add_parser(sub: Any) -> None:
    msub = action_group(sub, "manifest", "create, edit, format and migrate manifests (comments kept)",
                        dest="manifest_command",
                        description="Edit pipeline manifests like a careful person would: comments, key "
                        "order, quoting, blank lines and indentation outside the edit stay byte for byte. "
                        "Each edit is validated before it is written.")

    new = action(msub, "new", "write a new, valid, commented manifest from a template", _new)
    new.add_argument("name", metavar="NAME", help="pipeline name (a-z 0-9 . _ -)")
    new.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: NAME.yaml)")
    new.add_argument("--from-template", dest="template", default="demo", metavar="TEMPLATE",
                     help="demo (default), live or minimal")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.add_argument("--dry-run", action="store_true", help="print the manifest instead of writing it")

    add = _edit_parser(msub, "add-step", "add a step (and to modes)", _add_step)
    add.add_argument("step_id", metavar="ID", help="the new step's id (unique in the manifest)")
    add.add_argument("--stage", required=True, metavar="KEY", help="stage key or id, optionally pinned (phi_scan@1)")
    place = add.add_mutually_exclusive_group()
    place.add_argument("--after", metavar="STEP", help="put it after this step (default: last)")
    place.add_argument("--before", metavar="STEP", help="put it before this step")
    add.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                     help="a config option (value read as YAML, typed by the stage's schema); repeatable")
    add.add_argument("--mode", action="append", default=[], metavar="MODE",
                     help="run it in MODE (a step in no mode never runs: warning RF311); repeatable")
    add.add_argument("--description", metavar="TEXT", help="a description of the step, kept in the manifest")

    rem = _edit_parser(msub, "remove-step", "remove a step, from the steps list and every mode", _remove_step)
    rem.add_argument("step_id", metavar="ID", help="the id of the step to remove")
    rem.add_argument("--force", action="store_true",
                     help="also drop from a mode the later steps that need what only this step writes")

    mov = _edit_parser(msub, "move-step", "move a step (in the steps list and in modes listing both)", _move_step)
    mov.add_argument("step_id", metavar="ID", help="the id of the step to move")
    where = mov.add_mutually_exclusive_group(required=True)
    where.add_argument("--after", metavar="STEP", help="move it right after this step")
    where.add_argument("--before", metavar="STEP", help="move it right before this step")
    mov.add_argument("--mode", action="append", default=None, metavar="MODE",
                     help="only reorder these modes (default: every mode listing both steps)")

    st = _edit_parser(msub, "set", "set a value by dotted path (steps.phi_scan.config.on_findings)", _set)
    st.add_argument("path", metavar="DOTTED.PATH",
                    help="where: keys joined by dots; a step by its id (steps.ID.config.KEY)")
    st.add_argument("value", metavar="VALUE", help="read as one YAML value, typed by the schema at the path")

    un = _edit_parser(msub, "unset", "remove a key or list item by dotted path", _unset)
    un.add_argument("path", metavar="DOTTED.PATH", help="what to remove: keys joined by dots, a step by its id")

    modesub = action_group(msub, "mode", "add or remove a governance mode, or set its steps", dest="mode_command")
    madd = _edit_parser(modesub, "add", "add a mode", _mode_add)
    madd.add_argument("mode", metavar="NAME", help="the new mode's name (such as AUDIT)")
    madd.add_argument("--steps", nargs="+", metavar="STEP", help="its steps, in run order")
    madd.add_argument("--from", dest="copy_from", metavar="MODE", help="start from a copy of MODE")
    madd.add_argument("--phi-policy", choices=("warn", "block"), default=None, help="default: block")
    madd.add_argument("--require", nargs="*", metavar="APPROVAL", default=None,
                      help="approvals a run in this mode needs (such as irb_approval)")
    madd.add_argument("--description", metavar="TEXT", help="what the mode is for, kept in the manifest")
    madd.add_argument("--default", action="store_true", help="make it the default mode")
    mrem = _edit_parser(modesub, "remove", "remove a mode", _mode_remove)
    mrem.add_argument("mode", metavar="NAME", help="the mode to remove (not the default mode)")
    mset = _edit_parser(modesub, "set-steps", "set a mode's ordered steps", _mode_set_steps)
    mset.add_argument("mode", metavar="NAME", help="the mode whose steps to set")
    mset.add_argument("steps", nargs="+", metavar="STEP", help="its steps, in run order")

    bump = _edit_parser(msub, "bump-version", "bump metadata.version (the pipeline's semver)", _bump)
    bump.add_argument("part", choices=("major", "minor", "patch"),
                      help="which part of the version to raise (the parts after it reset to 0)")

    fmt = action(msub, "fmt", "canonical key order and indentation (comments kept)", _fmt)
    fmt.add_argument("manifests", nargs="+", metavar="MANIFEST", help="manifest files to format")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would be reformatted")
    fmt.add_argument("--dry-run", action="store_true", help="print the diff instead of writing")

    mig = msub.add_parser("migrate", help="a legacy job config or an older manifest -> the current format")
    mig.add_argument("source", metavar="SOURCE", help="legacy job config (JSON/YAML) or manifest")
    mig.add_argument("-o", "--output", metavar="FILE",
                     help="write here (default: a manifest is migrated in place, a legacy job printed)")
    mig.add_argument("--to", dest="target", default=None, metavar="VERSION",
                     help="target apiVersion (default: current)")
    mig.add_argument("--name", default=None, help="pipeline name for a legacy job (default: from job_id or file)")
    mig.add_argument("--drop-unknown", action="store_true", help="drop unknown legacy fields instead of refusing")
    mig.add_argument("--force", action="store_true", help="overwrite an existing output file")
    mig.add_argument("--dry-run", action="store_true", help="print the result (or the diff) instead of writing")
    mig.set_defaults(func=_migrate)


def _edit_parser(sub: Any, name: str, text: str, handler: Callable[[Any, argparse.Namespace], None]) -> Any:
    parser = sub.add_parser(name, help=text, description=text + ". The result is validated before it is written.")
    parser.add_argument("manifest", metavar="MANIFEST", help=_EDIT_HELP)
    parser.add_argument("--dry-run", action="store_true", help="print a unified diff instead of writing")
    parser.set_defaults(func=lambda args: _edit(args, handler))
    return parser


# -- output ----------------------------------------------------------------------------------------
def _refused(message: str, hint: str = "", diagnostics: Any = ()) -> None:
    from engine.manifest.diagnostics import render_text

    sys.stderr.write(f"rflow: error: {shown(message, 2000)}\n")
    if hint:
        sys.stderr.write(f"    hint: {shown(hint, 2000)}\n")
    if diagnostics:
        sys.stderr.write(render_text(diagnostics))


def _edit_failed(exc: Any) -> int:
    _refused(str(exc), getattr(exc, "hint", ""), getattr(exc, "diagnostics", ()))
    return exitcodes.USAGE if getattr(exc, "usage", False) else exitcodes.FAILED


def _warnings(doc: Any) -> None:
    from engine.manifest.diagnostics import render_text

    warnings = [d for d in doc.diagnostics if not d.is_error]
    if warnings:
        sys.stderr.write(render_text(warnings))
    for note in doc.notes:
        sys.stderr.write(f"note: {shown(note, 2000)}\n")


def _edit(args: argparse.Namespace, handler: Callable[[Any, argparse.Namespace], None]) -> int:
    from engine.authoring import EditError, ManifestDocument

    try:
        doc = ManifestDocument.open(args.manifest)
        handler(doc, args)
        done = str(doc.history[-1])  # what the edit did, as the document records it
        _warnings(doc)
        if args.dry_run:
            sys.stdout.write(doc.diff())
            sys.stderr.write(f"{shown_path(doc.name)}: {shown(done, 2000)} (dry run: nothing written)\n")
            return exitcodes.OK
        if doc.changed:
            doc.save()
        sys.stderr.write(f"{shown_path(doc.name)}: {shown(done, 2000)}\n")
    except EditError as exc:
        return _edit_failed(exc)
    return exitcodes.OK


# -- edits -----------------------------------------------------------------------------------------
def _add_step(doc: Any, args: argparse.Namespace) -> None:
    config = doc.parse_config(args.stage, args.config)
    doc.add_step(args.step_id, args.stage, after=args.after, before=args.before, config=config,
                 description=args.description, modes=args.mode)


def _remove_step(doc: Any, args: argparse.Namespace) -> None:
    doc.remove_step(args.step_id, force=args.force)


def _move_step(doc: Any, args: argparse.Namespace) -> None:
    doc.move_step(args.step_id, after=args.after, before=args.before, modes=args.mode)


def _set(doc: Any, args: argparse.Namespace) -> None:
    doc.set_text(args.path, args.value)


def _unset(doc: Any, args: argparse.Namespace) -> None:
    doc.unset(args.path)


def _mode_add(doc: Any, args: argparse.Namespace) -> None:
    doc.mode_add(args.mode, args.steps, description=args.description, phi_policy=args.phi_policy,
                 require=args.require, copy_from=args.copy_from, default=args.default)


def _mode_remove(doc: Any, args: argparse.Namespace) -> None:
    doc.mode_remove(args.mode)


def _mode_set_steps(doc: Any, args: argparse.Namespace) -> None:
    doc.mode_set_steps(args.mode, args.steps)


def _bump(doc: Any, args: argparse.Namespace) -> None:
    doc.bump_version(args.part)


# -- whole files -----------------------------------------------------------------------------------
def _new(args: argparse.Namespace) -> int:
    from engine.authoring import EditError, ManifestDocument

    target = Path(args.output or f"{args.name}.yaml")
    if target.exists() and not args.force and not args.dry_run:
        raise UsageError(f"{safe_excerpt(target, 200)} exists; use --force to overwrite it")
    try:
        doc = ManifestDocument.new(args.name, args.template, path=target)
        if args.dry_run:
            sys.stdout.write(doc.text)
            return exitcodes.OK
        doc.save(target)
    except EditError as exc:
        return _edit_failed(exc)
    _warnings(doc)
    sys.stderr.write(f"{shown_path(target)}: new pipeline {shown(args.name)!r} from template "
                     f"{shown(args.template)!r}; check it with: rflow validate {shown_path(target)}\n")
    return exitcodes.OK


def _fmt(args: argparse.Namespace) -> int:
    from engine.authoring import EditError, ManifestDocument

    status = exitcodes.OK
    for name in args.manifests:
        try:
            doc = ManifestDocument.open(name)
            doc.fmt()
        except EditError as exc:
            status = max(status, _edit_failed(exc))
            continue
        if not doc.changed:
            sys.stderr.write(f"{shown_path(name)}: already formatted\n")
        elif args.check:
            sys.stderr.write(f"{shown_path(name)}: would be reformatted (run: rflow manifest fmt {shown_path(name)})\n")
            status = max(status, exitcodes.FAILED)
        elif args.dry_run:
            sys.stdout.write(doc.diff())
        else:
            try:
                doc.save()
            except EditError as exc:
                status = max(status, _edit_failed(exc))
                continue
            sys.stderr.write(f"{shown_path(name)}: reformatted\n")
    return status


def _migrate(args: argparse.Namespace) -> int:
    from engine.authoring import write_atomic
    from engine.authoring.migrate import LegacyOptions, MigrationError, migrate_file
    from engine.manifest.schema import CURRENT_API_VERSION

    output = Path(args.output) if args.output else None
    source = Path(args.source)
    try:
        result = migrate_file(source, target=args.target or CURRENT_API_VERSION,
                              options=LegacyOptions(name=args.name, drop_unknown=args.drop_unknown), output=output)
    except MigrationError as exc:
        return _edit_failed(exc)
    for warning in result.warnings:
        sys.stderr.write(f"warning: {shown(warning, 2000)}\n")
    if not result.changed:
        sys.stderr.write(f"{shown_path(args.source)}: already {shown(result.target)}; nothing to migrate\n")
        return exitcodes.OK
    legacy = result.source == "legacy job config"
    destination = output or (None if legacy else source)
    steps = "; ".join(result.steps)
    if args.dry_run or destination is None:
        if destination is not None and destination.exists():
            old = destination.read_text("utf-8")
            sys.stdout.write("".join(difflib.unified_diff(old.splitlines(True), result.text.splitlines(True),
                                                          str(destination), str(destination))))
        else:
            sys.stdout.write(result.text)
        sys.stderr.write(f"{shown_path(args.source)}: {shown(steps, 2000)}"
                         + (" (dry run: nothing written)\n" if args.dry_run else "\n"))
        return exitcodes.OK
    if destination != source and destination.exists() and not args.force:
        raise UsageError(f"{safe_excerpt(destination, 200)} exists; use --force to overwrite it")
    write_atomic(destination, result.text)
    sys.stderr.write(f"{shown_path(destination)}: {shown(steps, 2000)}; validated\n")
    return exitcodes.OK
