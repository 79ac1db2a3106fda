"""Tamper-evident audit log: append-only JSON lines, each carrying the hash of the previous one.

Every entry's ``hash`` is HMAC-SHA-256 under a subkey of the deployment key when one is
configured (``hmac-sha256``), else a plain SHA-256 (``sha256``). The log's first entry
(``log_started``) says which, with the key's id - never the key. Without a key anyone can
recompute a rewritten chain; with one, only a holder of the key can. ``rflow audit verify``
checks a log (``engine.reporting.audit_verify``). Entries hold metadata only (ids, hashes, statuses).

Appends take an exclusive ``flock`` on the file, so several runs can share one log and keep one
chain. A writer that died mid-line leaves a torn tail; the next writer ends that line and
starts a new segment (``segment_started``, naming the torn line's byte offset) chained to the
last complete entry.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from engine.core.atomic import write_all
from engine.core.errors import RflowError, sanitize_text

GENESIS = "0" * 64
FORMAT = "rflow/audit/v2"
ALG_SHA256 = "sha256"
ALG_HMAC = "hmac-sha256"
HEADER_EVENT = "log_started"
SEGMENT_EVENT = "segment_started"
_TAIL_CHUNK = 65536


class AuditLogError(RflowError):
    """An audit log cannot be appended to (another key, not an rflow audit log)."""


@attrs.frozen
class AuditKeying:
    """How entries are hashed: ``sha256``, or ``hmac-sha256`` under a derived audit subkey."""

    alg: str
    key_id: str | None = None
    mac_key: bytes | None = attrs.field(default=None, repr=False)

    @classmethod
    def plain(cls) -> AuditKeying:
        return cls(ALG_SHA256)

    @classmethod
    def from_phi_key(cls, key: Any) -> AuditKeying:
        """Keyed by a configured deployment key (its audit-MAC subkey and key id); plain for none or
        a per-run random key.

        A random key would make the log unverifiable once the process is gone, so it is not used.
        """
        if key is None or getattr(key, "is_random", False):
            return cls.plain()
        return cls(ALG_HMAC, key.key_id, key.audit_mac_key)

    def describe(self) -> dict[str, Any]:
        """What the report and the log's header record: the algorithm and the key id only."""
        return {"alg": self.alg, "key_id": self.key_id} if self.key_id else {"alg": self.alg}

    def digest(self, entry: Mapping[str, Any]) -> str:
        body = {k: v for k, v in entry.items() if k != "hash"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if self.mac_key is not None:
            return hmac.new(self.mac_key, canonical, "sha256").hexdigest()
        return hashlib.sha256(canonical).hexdigest()


def parse_entry(raw: bytes) -> dict[str, Any] | None:
    """One line as an entry, or None when it is not one (torn, garbage, wrong shape)."""
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(entry, dict) or not {"seq", "event", "prev", "hash"} <= entry.keys():
        return None
    if type(entry["seq"]) is not int or not isinstance(entry["hash"], str) or not isinstance(entry["prev"], str):
        return None
    return entry


def header_keying(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """``{"alg", "key_id"}`` a header or segment entry declares; logs from before headers are sha256."""
    data = entry.get("data") if entry else None
    if not entry or entry.get("event") not in (HEADER_EVENT, SEGMENT_EVENT) or not isinstance(data, dict):
        return {"alg": ALG_SHA256}
    return {"alg": data.get("alg"), **({"key_id": data["key_id"]} if data.get("key_id") else {})}


@attrs.frozen
class Tail:
    """The end of a log: its last complete entry, and where a torn tail starts (if any)."""

    seq: int
    hash: str
    size: int
    torn_at: int | None
    ends_with_newline: bool


def read_tail(fd: int) -> Tail:
    """Last valid entry and torn tail of the open log ``fd``, reading backwards from the end."""
    size = os.fstat(fd).st_size
    if size == 0:
        return Tail(0, GENESIS, 0, None, True)
    chunk = _TAIL_CHUNK
    while True:
        start = max(0, size - chunk)
        data = os.pread(fd, size - start, start)
        pieces = data.split(b"\n")
        offsets, at = [], start
        for piece in pieces:
            offsets.append(at)
            at += len(piece) + 1
        torn_at: int | None = None
        if pieces[-1]:
            torn_at = offsets[-1]  # no newline at the end: the last line is incomplete
        for index in range(len(pieces) - 2, -1, -1):
            if index == 0 and start > 0:
                break  # may be the middle of a line: read further back
            raw = pieces[index]
            if not raw.strip():
                continue
            entry = parse_entry(raw)
            if entry is not None:
                return Tail(entry["seq"], entry["hash"], size, torn_at, data.endswith(b"\n"))
            torn_at = offsets[index]  # a complete line that is not an entry: garbage after a crash
        if start == 0:
            return Tail(0, GENESIS, size, torn_at if torn_at is not None else 0, data.endswith(b"\n"))
        chunk *= 4


def _first_line(fd: int) -> bytes:
    data = os.pread(fd, _TAIL_CHUNK, 0)
    return data.split(b"\n", 1)[0]


class AuditLog:
    """Appends chained entries to one file (a run's log, or a log shared by many runs).

    ``notices`` collects one-line, value-free remarks for the user (a torn tail that was closed).
    """

    def __init__(self, path: Path, keying: AuditKeying | None = None) -> None:
        self.path = Path(path)
        self.keying = keying or AuditKeying.plain()
        self.notices: list[str] = []
        self.head: tuple[int, str] = (0, GENESIS)
        self._fd = -1  # close() (and __del__) work when the open below fails
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            with self._locked():
                self._check_keying()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()

    def _locked(self) -> _Flock:
        return _Flock(self._fd)

    def _check_keying(self) -> None:
        """An existing log keeps its keying: entries under another key could never be verified."""
        if os.fstat(self._fd).st_size == 0:
            return
        first = parse_entry(_first_line(self._fd))
        if first is None and read_tail(self._fd).seq == 0:
            return  # nothing but a torn first write: the segment entry that follows declares the keying
        if first is None:
            raise AuditLogError("the audit log's first line is not an rflow audit entry; use a new file")
        declared = header_keying(first)
        if declared != self.keying.describe():
            raise AuditLogError(
                f"the audit log is {_keying_text(declared)}, this run's entries would be "
                f"{_keying_text(self.keying.describe())}: use the same key (RFLOW_PHI_KEY / RFLOW_PHI_KEY_FILE) "
                "or a new log file")

    def _entry(self, seq: int, prev: str, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "seq": seq, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "event": event, "data": dict(data), "prev": prev,
        }
        entry["hash"] = self.keying.digest(entry)
        return entry

    def append(self, event: str, **data: Any) -> dict[str, Any]:
        """Append one entry (with a header or segment entry first when needed) and fsync it."""

        clean = _sanitize_strings(json.loads(json.dumps(data, default=str)), sanitize_text)
        with self._locked():
            tail = read_tail(self._fd)
            seq, prev = tail.seq, tail.hash
            lines: list[dict[str, Any]] = []
            prefix = b""
            marker = {"format": FORMAT, **self.keying.describe()}
            if tail.size == 0:
                lines.append(self._entry(1, GENESIS, HEADER_EVENT, marker))
            elif tail.torn_at is not None:
                prefix = b"" if tail.ends_with_newline else b"\n"
                lines.append(self._entry(seq + 1, prev, SEGMENT_EVENT, {**marker, "torn_at_byte": tail.torn_at}))
            for line in lines:
                seq, prev = line["seq"], line["hash"]
            entry = self._entry(seq + 1, prev, event, clean)
            lines.append(entry)
            payload = prefix + b"".join(
                json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
                for e in lines)
            write_all(self._fd, payload)
            os.fsync(self._fd)
        if len(lines) > 1 and lines[0]["event"] == SEGMENT_EVENT:  # said only once the segment is written
            self.notices.append(f"the audit log {self.path.name} ended in a torn entry at byte {tail.torn_at} "
                                "(a writer stopped mid-line); a new segment starts after it")
        self.head = (entry["seq"], entry["hash"])
        return entry


class _Flock:
    """``with _Flock(fd):`` holds an exclusive advisory lock on ``fd``."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def _keying_text(described: Mapping[str, Any]) -> str:
    if described.get("alg") == ALG_HMAC:
        return f"keyed (hmac-sha256, key id {shown_key_id(described.get('key_id'))})"
    return "not keyed (sha256)"


def shown_key_id(value: Any) -> str:
    """A key id as printed: 16 hex digits, or a placeholder for anything else (never a raw value)."""
    return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{16}", value) else "(not a key id)"


def _sanitize_strings(value: Any, clean: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_sanitize_strings(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _sanitize_strings(v, clean) for k, v in value.items()}
    return value
