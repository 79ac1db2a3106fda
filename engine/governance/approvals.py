"""Approvals a governed run may need (an IRB protocol reference, its expiry, its scope).

Two sources, one type: the command-line form ``KIND=REFERENCE:EXPIRES[:SCOPE,...]``, for example
``irb_approval=IRB-2026-0142:2027-06-30:dataset``, and a YAML file::

    approvals:
      - kind: irb_approval
        reference: IRB-2026-0142
        expires: 2027-06-30        # ISO date; omit or null for an approval without expiry
        scope: [dataset]           # input names it covers; omit or [] for every input

Error messages name the field and the position, never the text given, because an approvals file
is user input like any other.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from engine.core.errors import RflowError, safe_excerpt

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,63}$")
SCOPE_RE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")
MAX_FILE_BYTES = 256 * 1024


class ApprovalError(RflowError, ValueError):
    """An approval that cannot be parsed; the message says which part is wrong."""


def _scope(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Approval:
    """One approval: what kind, which reference, until when, for which inputs.

    An empty ``scope`` covers every input of the run; ``"*"`` says so explicitly.
    """

    kind: str
    reference: str
    expires: datetime.date | None = None
    scope: tuple[str, ...] = attrs.field(default=(), converter=_scope)

    def is_expired(self, today: datetime.date | None = None) -> bool:
        """True once ``today`` is past the expiry date (the expiry day itself is still valid)."""
        return self.expires is not None and (today or datetime.date.today()) > self.expires

    def days_remaining(self, today: datetime.date | None = None) -> int | None:
        if self.expires is None:
            return None
        return (self.expires - (today or datetime.date.today())).days

    def covers(self, input_name: str) -> bool:
        return not self.scope or "*" in self.scope or input_name in self.scope

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reference": self.reference,
            "expires": None if self.expires is None else self.expires.isoformat(),
            "scope": list(self.scope),
        }


def _check_kind(kind: str, where: str) -> str:
    if not KIND_RE.match(kind):
        raise ApprovalError(f"{where}: approval kind must be a lowercase name like 'irb_approval'")
    return kind


def _check_reference(reference: str, where: str) -> str:
    if not REFERENCE_RE.match(reference):
        raise ApprovalError(
            f"{where}: approval reference must be 2-64 characters of letters, digits and . _ / - "
            "(for example IRB-2026-0142)"
        )
    return reference


def _parse_date(value: Any, where: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ApprovalError(f"{where}: expiry must be an ISO date YYYY-MM-DD")


def _check_scope(items: Iterable[Any], where: str) -> tuple[str, ...]:
    scope: list[str] = []
    for item in items:
        if not isinstance(item, str) or not SCOPE_RE.match(item.strip()):
            raise ApprovalError(f"{where}: scope entries must be input names (letters, digits, _ . -) or '*'")
        scope.append(item.strip())
    return tuple(scope)


def parse_approval(text: str, *, where: str = "--approval") -> Approval:
    """Parse ``KIND=REFERENCE[:EXPIRES[:SCOPE,...]]`` (the command-line form)."""
    if not isinstance(text, str) or "=" not in text:
        raise ApprovalError(f"{where}: expected KIND=REFERENCE:EXPIRES[:INPUT,...], e.g. irb_approval=IRB-1:2027-06-30")
    kind, _, rest = text.partition("=")
    parts = rest.split(":")
    if len(parts) > 3:
        raise ApprovalError(f"{where}: too many ':' parts; expected REFERENCE:EXPIRES[:INPUT,...]")
    reference = _check_reference(parts[0].strip(), where)
    expires = _parse_date(parts[1], where) if len(parts) > 1 else None
    scope = _check_scope([s for s in parts[2].split(",") if s.strip()], where) if len(parts) > 2 else ()
    return Approval(kind=_check_kind(kind.strip(), where), reference=reference, expires=expires, scope=scope)


def approval_from_mapping(data: Mapping[str, Any], *, where: str = "approval") -> Approval:
    """Build an approval from a mapping (one entry of an approvals file)."""
    if not isinstance(data, Mapping):
        raise ApprovalError(f"{where}: expected a mapping with kind, reference, expires, scope")
    unknown = sorted(str(k) for k in data if k not in ("kind", "reference", "expires", "scope"))
    if unknown:
        shown = ", ".join(safe_excerpt(k, 30) for k in unknown[:5])
        raise ApprovalError(f"{where}: unknown field(s) {shown}; allowed: kind, reference, expires, scope")
    kind, reference = data.get("kind"), data.get("reference")
    if not isinstance(kind, str):
        raise ApprovalError(f"{where}: 'kind' is required and must be a string")
    if not isinstance(reference, str):
        raise ApprovalError(f"{where}: 'reference' is required and must be a string")
    scope_raw = data.get("scope") or ()
    if isinstance(scope_raw, str) or not isinstance(scope_raw, Iterable):
        raise ApprovalError(f"{where}: 'scope' must be a list of input names")
    return Approval(
        kind=_check_kind(kind.strip(), where),
        reference=_check_reference(reference.strip(), where),
        expires=_parse_date(data.get("expires"), f"{where}: 'expires'"),
        scope=_check_scope(scope_raw, where),
    )


def load_approvals(path: str | Path) -> tuple[Approval, ...]:
    """Read an approvals YAML file (a top-level ``approvals:`` list, or a bare list).

    The file goes through the manifest's loader: a regular file under the size cap, UTF-8, one
    YAML 1.2 document with no tags or directives, bounded nesting and aliases, finite numbers,
    dates that exist. Every problem is an :class:`ApprovalError` with ``file:line:col``.
    """
    from engine.core.configfile import display_name

    file = Path(path)
    return _approvals_from(file, display_name(file.name))


def approvals_from_text(text: str | bytes, name: str = "<approvals>") -> tuple[Approval, ...]:
    """Like :func:`load_approvals`, for text already in memory."""
    return _approvals_from(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"), name)


def _approvals_from(source: Path | bytes, shown: str) -> tuple[Approval, ...]:
    from engine.manifest.loader import load_document

    loaded = load_document(source, name=shown, max_bytes=MAX_FILE_BYTES)
    errors = [d for d in loaded.diagnostics if d.is_error]
    if errors and all(d.code == "RF109" for d in errors):
        return ()  # an empty file: no approvals
    if errors:
        d = errors[0]
        where = f"{d.file}:{d.line}:{d.col}" if d.line else d.file
        message = d.message.replace("manifest", "file")
        if d.code == "RF100":
            raise ApprovalError(f"approvals file {where}: cannot read it ({message})")
        if d.code == "RF101":
            raise ApprovalError(f"approvals file {where}: {message}")
        raise ApprovalError(f"approvals file {where} is not valid YAML: {message}")
    data = loaded.data
    entries = data.get("approvals") if isinstance(data, Mapping) else data
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise ApprovalError(f"approvals file {shown}: expected a list under 'approvals:'")
    base = ("approvals",) if isinstance(data, Mapping) else ()
    found = []
    for i, entry in enumerate(entries):
        pos = loaded.source_map.locate((*base, i))
        found.append(approval_from_mapping(entry, where=f"{shown}:{pos.line}:{pos.col}: approvals[{i}]"))
    return tuple(found)
