"""Tamper-evident audit log: append-only JSON lines, each carrying the hash of the previous one.

Editing, deleting, inserting or reordering a line breaks the chain at that line, which
``rflow audit verify`` reports. Entries hold metadata only (ids, hashes, statuses, decisions).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

GENESIS = "0" * 64


def _digest(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _last_entry(path: Path) -> tuple[int, str]:
    """(last seq, last hash) of an existing log, reading only its tail."""
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        tail = handle.read().splitlines()
    for raw in reversed(tail):
        if raw.strip():
            entry = json.loads(raw)
            return int(entry["seq"]), str(entry["hash"])
    return 0, GENESIS


class AuditLog:
    """Appends chained entries to one file (a run's log, or a shared log across runs)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._prev = _last_entry(self.path)

    def append(self, event: str, **data: Any) -> dict[str, Any]:
        from engine.errors import sanitize_text

        clean = json.loads(json.dumps(data, default=str))
        clean = _sanitize_strings(clean, sanitize_text)
        entry: dict[str, Any] = {
            "seq": self._seq + 1,
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "event": event,
            "data": clean,
            "prev": self._prev,
        }
        entry["hash"] = _digest(entry)
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self._seq, self._prev = entry["seq"], entry["hash"]
        return entry


def _sanitize_strings(value: Any, clean: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_sanitize_strings(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _sanitize_strings(v, clean) for k, v in value.items()}
    return value


@attrs.frozen
class VerifyResult:
    ok: bool
    entries: int
    line: int | None = None
    problem: str | None = None


def verify_log(path: Path) -> VerifyResult:
    """Check every line's hash and link; report the first broken or edited entry (1-based line)."""
    prev, expected_seq, count = GENESIS, 1, 0
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                return VerifyResult(False, count, number, "blank line inside the log")
            try:
                entry = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return VerifyResult(False, count, number, "line is not valid JSON")
            if not isinstance(entry, dict) or not {"seq", "event", "prev", "hash"} <= entry.keys():
                return VerifyResult(False, count, number, "entry lacks seq/event/prev/hash")
            if entry["prev"] != prev:
                why = "previous-hash link is broken (line removed, inserted or reordered)"
                return VerifyResult(False, count, number, why)
            if entry["hash"] != _digest(entry):
                return VerifyResult(False, count, number, "entry content does not match its hash (edited)")
            if entry["seq"] != expected_seq:
                why = f"sequence number {entry['seq']} where {expected_seq} was expected"
                return VerifyResult(False, count, number, why)
            prev, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    return VerifyResult(True, count)
