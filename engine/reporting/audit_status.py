"""The audit status line the HTML report shows: the same check as ``rflow audit verify``, in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.core.display import shown
from engine.core.errors import RflowError
from engine.phi.keys import resolve_key
from engine.reporting.audit_verify import verify_log

AUDIT_NAME = "audit.jsonl"


def configured_key() -> Any:
    """The deployment key from the environment, or ``None`` (a random key verifies nothing)."""

    key = resolve_key()
    return None if key.is_random else key


def audit_status(run_dir: Path, data: dict[str, Any], key: Any = None) -> tuple[bool, str]:
    """``(ok, line)`` for the run folder's audit log against the report's anchor."""

    log = Path(run_dir) / AUDIT_NAME
    if not log.is_file():
        return False, "no audit log in the run folder"
    status = data.get("status")
    if status == "running":
        return False, "not checked: the run is still running"
    anchor = data.get("audit") if isinstance(data.get("audit"), dict) else None
    try:
        result = verify_log(log, key=key if key is not None else configured_key(), anchor=anchor,
                            final=status != "aborted")
    except (RflowError, OSError, ValueError) as exc:
        return False, shown(f"not checked: {type(exc).__name__}: {exc}", 300)
    if result.needs_key:
        return False, shown(f"not checked: {result.needs_key}", 300)
    if result.problems:
        first = result.problems[0]
        where = f" (line {first.line})" if first.line is not None else ""
        more = f"; {len(result.problems) - 1} more problem(s)" if len(result.problems) > 1 else ""
        return False, shown(f"broken{where}: {first.text}{more}", 300)
    if status == "aborted":
        return False, f"{result.entries} entries; the run aborted without finishing"
    keyed = "keyed (hmac-sha256)" if result.keyed else "not keyed (sha256)"
    return True, f"intact: {result.entries} entries, chain and report anchor check out, {keyed}"
