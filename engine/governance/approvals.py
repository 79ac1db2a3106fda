"""Approvals a governed run may need (an IRB protocol reference, its expiry, its scope).

Two sources, one type: the command-line form ``KIND=REFERENCE:EXPIRES[:SCOPE,...]``, for example
``irb_approval=IRB-2026-0142:2027-06-30:dataset``, and a YAML file::

    approvals:
      - kind: irb_approval
        reference: IRB-2026-0142
        expires: 2027-06-30        # ISO date; omit or null for an approval without expiry
        scope: [dataset]           # input names it covers; omit or [] for every input
      - kind: data_use_agreement   # a Limited Data Set needs the recipient too
        reference: DUA-2026-007
        recipient: Example University
        expires: 2027-06-30
      - kind: expert_determination # and an expert determination the expert and the transforms
        reference: ED-2026-003
        expert: Statistical Review Group
        transforms: [drop, subject, year, zip3, age, scrub]
        expires: 2027-06-30

One rule decides whether an approval is valid (:func:`approval_problem`): the governance
preflight, the ``irb_check`` stage and the de-identification profiles all call it.

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

from engine.core.display import display_name
from engine.core.errors import RflowError, safe_excerpt
from engine.manifest.loader import load_document

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,63}$")
SCOPE_RE = re.compile(r"^(\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")
PARTY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .,&()'/_-]{1,99}$")
"""A recipient or an expert: an organisation or a person, as the agreement names it."""
TRANSFORM_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_FILE_BYTES = 256 * 1024
FIELDS = ("kind", "reference", "expires", "scope", "recipient", "expert", "transforms")
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "data_use_agreement": ("recipient",),
    "expert_determination": ("expert", "transforms"),
}
"""Fields some approval kinds need besides a reference and an expiry (45 CFR 164.514(e)(4), (b)(1))."""


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
    recipient: str | None = None
    expert: str | None = None
    transforms: tuple[str, ...] = attrs.field(default=(), converter=_scope)

    def is_expired(self, today: datetime.date | None = None) -> bool:
        """True once ``today`` is past the expiry date (the expiry day itself is still valid)."""
        left = days_remaining(self, today)
        return left is not None and left < 0

    def days_remaining(self, today: datetime.date | None = None) -> int | None:
        return days_remaining(self, today)

    def covers(self, input_name: str, *, explicit: bool = False) -> bool:
        return covers(self, input_name, explicit=explicit)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "reference": self.reference,
            "expires": None if self.expires is None else self.expires.isoformat(),
            "scope": list(self.scope),
        }
        for name in ("recipient", "expert"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.transforms:
            data["transforms"] = list(self.transforms)
        return data


def days_remaining(approval: Any, today: datetime.date | None = None) -> int | None:
    """Days until the approval's expiry (0 on its last day), None without one.

    Days, not the date, go into reports and logs: the output guard treats calendar dates as PHI.
    """
    expires = getattr(approval, "expires", None)
    if not isinstance(expires, datetime.date):
        return None
    return (expires - (today or datetime.date.today())).days


def covers(approval: Any, input_name: str, *, explicit: bool = False) -> bool:
    """Does the approval's scope cover ``input_name``? An empty scope covers all, unless ``explicit``."""
    scope = tuple(getattr(approval, "scope", ()) or ())
    if not scope:
        return not explicit
    return "*" in scope or input_name in scope


def approval_problem(approval: Any, *, today: datetime.date | None = None,
                     require_expiry: bool = True) -> tuple[str, str] | None:
    """The one validity rule: ``(status, reason)`` of an unusable approval, None for a valid one.

    ``status`` is ``invalid`` (no valid reference, no expiry where one is required, an expiry
    that is not a date, a field its kind needs is missing) or ``expired`` (past its expiry day;
    the expiry day itself is still valid). Duck-typed, so an approval from any source is judged
    the same way. Reasons hold the kind and a number of days, never a value.
    """
    kind = getattr(approval, "kind", None)
    shown = kind if isinstance(kind, str) and KIND_RE.match(kind) else "?"
    reference = getattr(approval, "reference", None)
    if not isinstance(reference, str) or not REFERENCE_RE.match(reference):
        return "invalid", f"the '{shown}' approval has no valid reference"
    for name in REQUIRED_FIELDS.get(shown, ()):
        if not getattr(approval, name, None):
            return "invalid", f"the '{shown}' approval names no {name} (a {shown} approval needs one)"
    expires = getattr(approval, "expires", None)
    if expires is None:
        return ("invalid", f"the '{shown}' approval has no expiry date") if require_expiry else None
    if not isinstance(expires, datetime.date):
        return "invalid", f"the '{shown}' approval's expiry is not a date"
    left = days_remaining(approval, today)
    if left is not None and left < 0:
        return "expired", f"the '{shown}' approval expired {-left} day(s) ago"
    return None


def valid_approvals(approvals: Iterable[Any], kind: str, *, today: datetime.date | None = None,
                    require_expiry: bool = True) -> tuple[list[Any], tuple[str, str] | None]:
    """The valid approvals of ``kind``, and the first problem of the others (None if there were none)."""
    candidates = [a for a in approvals if getattr(a, "kind", None) == kind]
    valid = [a for a in candidates if approval_problem(a, today=today, require_expiry=require_expiry) is None]
    first = next((p for a in candidates
                  if (p := approval_problem(a, today=today, require_expiry=require_expiry)) is not None), None)
    return valid, first


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


def _check_party(value: Any, name: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not PARTY_RE.match(value.strip()):
        raise ApprovalError(
            f"{where}: '{name}' must be 2-100 characters of letters, digits, spaces and . , & ( ) ' / _ -")
    return value.strip()


def _check_transforms(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ApprovalError(f"{where}: 'transforms' must be a list of transform names (drop, year, zip3...)")
    items = [t.strip() if isinstance(t, str) else t for t in value]
    if not all(isinstance(t, str) and TRANSFORM_RE.match(t) for t in items):
        raise ApprovalError(f"{where}: 'transforms' entries must be lowercase transform names (drop, year, zip3...)")
    return tuple(items)


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
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        shown = ", ".join(safe_excerpt(k, 30) for k in unknown[:5])
        raise ApprovalError(f"{where}: unknown field(s) {shown}; allowed: {', '.join(FIELDS)}")
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
        recipient=_check_party(data.get("recipient"), "recipient", where),
        expert=_check_party(data.get("expert"), "expert", where),
        transforms=_check_transforms(data.get("transforms"), where),
    )


def load_approvals(path: str | Path) -> tuple[Approval, ...]:
    """Read an approvals YAML file (a top-level ``approvals:`` list, or a bare list).

    The file goes through the manifest's loader: a regular file under the size cap, UTF-8, one
    YAML 1.2 document with no tags or directives, bounded nesting and aliases, finite numbers,
    dates that exist. Every problem is an :class:`ApprovalError` with ``file:line:col``.
    """

    file = Path(path)
    return _approvals_from(file, display_name(file.name))


def approvals_from_text(text: str | bytes, name: str = "<approvals>") -> tuple[Approval, ...]:
    """Like :func:`load_approvals`, for text already in memory."""
    return _approvals_from(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"), name)


def _approvals_from(source: Path | bytes, shown: str) -> tuple[Approval, ...]:
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
