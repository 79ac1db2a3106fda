"""``rflow phi keyring new|rotate|list`` and ``rflow phi crosswalk``: keys that rotate, and links kept.

Output names key ids (fingerprints), never keys, never values of the input.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from pathlib import Path
from typing import Any

from engine.cli.parsing import action, action_group
from engine.core import exitcodes
from engine.core.display import shown
from engine.phi.errors import PhiError, PhiKeyError
from engine.phi.keyring import configured_keyring, create_keyring, load_keyring, rotate_keyring
from engine.phi.labels import safe_file_name

ENV_HINT = "point RFLOW_PHI_KEYRING at the keyring file"


def add_parsers(sub: Any) -> None:
    """Register ``keyring`` and ``crosswalk`` under ``rflow phi``."""
    rsub = action_group(sub, "keyring", "a keyring: rotate the deployment key, keep the old ids",
                        dest="keyring_command",
                        description="A keyring file (mode 0600) holds every deployment key with its key id; "
                        "runs use the active key, rflow audit verify finds the key a log was written under. "
                        "Set RFLOW_PHI_KEYRING=FILE to use it.")
    new = action(rsub, "new", "create a keyring holding one fresh key (or an existing key file's key)", _new)
    new.add_argument("file", metavar="FILE", help="the keyring file to create (mode 0600)")
    new.add_argument("--from-key-file", metavar="KEY_FILE",
                     help="start from this key file's key, so what it wrote keeps its key id")
    rotate = action(rsub, "rotate", "add a fresh key and make it active; older keys stay", _rotate)
    rotate.add_argument("file", metavar="FILE", help="the keyring file to add a key to")
    show = action(rsub, "list", "the key ids of a keyring, the active one marked", _list)
    show.add_argument("file", metavar="FILE", help="the keyring file to read")

    walk = sub.add_parser(
        "crosswalk", help="map the pseudonyms of an old key id to those of a new one (approved, audited)",
        description="Read the distinct values of one column of the raw source, and write the pairs (old "
        "pseudonym, new pseudonym) to a new file readable only by you. Needs a valid pseudonym_crosswalk "
        "approval; every request is recorded in the audit log. Exit: 0 written, 2 usage, 3 refused.")
    walk.add_argument("input", metavar="INPUT", help="the raw source (CSV with a header row)")
    walk.add_argument("--column", required=True, help="the column whose values were pseudonymised")
    walk.add_argument("--kind", default="SUBJECT_ID",
                      help="what the column holds, as deidentify names it (SUBJECT_ID, NAME, MRN...; "
                      "default SUBJECT_ID)")
    walk.add_argument("--from", dest="from_key", required=True, metavar="KEY_ID", help="the old key id")
    walk.add_argument("--to", dest="to_key", metavar="KEY_ID", help="the new key id (default: the active key)")
    walk.add_argument("--out", required=True, metavar="FILE", help="the crosswalk to write (a new file)")
    walk.add_argument("--audit-log", required=True, metavar="FILE", help="the audit log to record the request in")
    walk.add_argument("--approval", action="append", default=[], metavar="KIND=REF:YYYY-MM-DD[:SCOPE,...]",
                      help="the pseudonym_crosswalk approval, e.g. pseudonym_crosswalk=CW-2026-01:2027-01-31")
    walk.add_argument("--approvals", metavar="FILE", help="an approvals YAML file")
    walk.set_defaults(func=_crosswalk)


def _fail(message: str, code: int = exitcodes.USAGE) -> int:
    sys.stderr.write(f"rflow phi: error: {shown(message)}\n")
    return code


def _new(args: argparse.Namespace) -> int:
    try:
        ring = create_keyring(args.file, from_key_file=args.from_key_file)
    except FileExistsError:
        return _fail("the keyring file exists; rotate it with rflow phi keyring rotate FILE")
    except (PhiKeyError, OSError) as exc:
        return _fail(str(exc) if isinstance(exc, PhiKeyError) else f"cannot write the keyring ({exc.strerror})")
    sys.stdout.write(f"keyring written (mode 0600), active key id {ring.active}; {ENV_HINT}\n")
    return exitcodes.OK


def _rotate(args: argparse.Namespace) -> int:
    try:
        ring, old = rotate_keyring(args.file)
    except (PhiKeyError, OSError) as exc:
        return _fail(str(exc) if isinstance(exc, PhiKeyError) else f"cannot rewrite the keyring ({exc.strerror})")
    sys.stdout.write(f"active key id {ring.active} (was {old}); {len(ring.keys) - 1} older key(s) kept, "
                     "so older audit logs still verify\n")
    return exitcodes.OK


def _list(args: argparse.Namespace) -> int:
    try:
        ring = load_keyring(args.file, "the command line")
    except PhiKeyError as exc:
        return _fail(str(exc))
    for key_id in ring.ids:
        sys.stdout.write(f"{key_id}{'  (active)' if key_id == ring.active else ''}\n")
    return exitcodes.OK


def _crosswalk(args: argparse.Namespace) -> int:
    from engine.governance.approvals import ApprovalError, load_approvals, parse_approval
    from engine.phi import crosswalk as cw
    from engine.reporting.audit import AuditKeying, AuditLog, AuditLogError

    try:
        ring = configured_keyring()
        if ring is None:
            return _fail(f"a crosswalk needs the keyring: {ENV_HINT}")
        approvals = [parse_approval(a) for a in args.approval]
        if args.approvals:
            approvals.extend(load_approvals(args.approvals))
        log = AuditLog(Path(args.audit_log), AuditKeying.from_phi_key(ring.active_key()))
    except (PhiError, ApprovalError, AuditLogError, OSError) as exc:
        return _fail(str(exc) if not isinstance(exc, OSError) else f"cannot open the audit log ({exc.strerror})")
    if not re.fullmatch(r"[A-Z][A-Z_]{1,31}", args.kind):
        log.close()
        return _fail("--kind must be an upper-case kind such as SUBJECT_ID, NAME or MRN")
    to_key = args.to_key or ring.active
    source = safe_file_name(Path(args.input).name)
    base = {"user": getpass.getuser(), "from_key_id": _id(args.from_key), "to_key_id": _id(to_key),
            "source": source}
    try:
        try:
            approval = _approval(approvals, Path(args.input).stem)
        except cw.CrosswalkRefused as exc:
            log.append("crosswalk_refused", **base, reason=str(exc))
            return _fail(f"crosswalk refused: {exc}", exitcodes.REFUSED)
        pairs = cw.build(ring, args.from_key, to_key, args.kind, cw.distinct_values(Path(args.input), args.column))
        digest = cw.write_pairs(Path(args.out), pairs)
        done = cw.Crosswalk(len(pairs), args.from_key, to_key, digest, approval.reference)
        log.append("crosswalk_written", **{**base, **done.to_dict(), "approval": _approval_record(approval)})
    except PhiError as exc:
        log.append("crosswalk_failed", **base, reason=str(exc))
        return _fail(str(exc))
    finally:
        log.close()
    sys.stdout.write(f"crosswalk of {len(pairs)} pseudonym(s) from key id {done.from_key} to {done.to_key} "
                     f"written (mode 0600); recorded in the audit log\n")
    return exitcodes.OK


def _approval(approvals: list[Any], source_name: str) -> Any:
    """The approval the crosswalk relies on (the one validity rule, then its scope), or
    :class:`engine.phi.crosswalk.CrosswalkRefused` saying why not."""
    from engine.governance.approvals import covers, valid_approvals
    from engine.phi.crosswalk import APPROVAL_KIND, CrosswalkRefused

    valid, problem = valid_approvals(tuple(approvals), APPROVAL_KIND)
    usable = [a for a in valid if covers(a, source_name)]
    if usable:
        return usable[0]
    if valid:
        raise CrosswalkRefused(f"the '{APPROVAL_KIND}' approval's scope does not cover '{source_name}'")
    if problem is not None:
        raise CrosswalkRefused(problem[1])
    raise CrosswalkRefused(f"a crosswalk needs a '{APPROVAL_KIND}' approval "
                           f"(--approval {APPROVAL_KIND}=REFERENCE:YYYY-MM-DD or --approvals FILE)")


def _approval_record(approval: Any) -> dict[str, Any]:
    from engine.governance.approvals import days_remaining

    return {"kind": approval.kind, "reference": approval.reference, "days_remaining": days_remaining(approval)}


def _id(value: str) -> str:
    from engine.reporting.audit import shown_key_id

    return shown_key_id(value)
