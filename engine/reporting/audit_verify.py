"""Verify an audit log: its chain, its keying, its runs, and the anchor a run's report holds.

What is detected (one problem per line, no logged value ever shown):

- an edited entry (its hash no longer matches), a removed, inserted or reordered entry (a
  broken link or sequence number), a garbage or torn line that no segment entry acknowledges;
- an empty log; a run that started and never finished (killed, or its log was cut);
- entries appended after a run's ``run_finished``;
- against ``report.json``'s anchor (entry count and head hash): entries removed from the end,
  a rewritten head, entries appended after a finished run;
- with a key (``hmac-sha256``): any entry written without the key, so also a full rewrite.
  Without a key (``sha256``) a full rewrite with recomputed hashes (and a matching report) is
  not detectable; the result says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from engine.reporting.audit import (
    ALG_HMAC,
    ALG_SHA256,
    GENESIS,
    HEADER_EVENT,
    SEGMENT_EVENT,
    AuditKeying,
    header_keying,
    parse_entry,
    shown_key_id,
)

MAX_PROBLEMS = 50
_RUN_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@attrs.frozen
class Problem:
    line: int | None
    text: str


@attrs.frozen
class VerifyResult:
    """``ok`` only when nothing is wrong; ``needs_key`` when the log cannot be checked without one."""

    entries: int
    keying: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    needs_key: str | None = None
    runs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.needs_key is None

    @property
    def line(self) -> int | None:
        return self.problems[0].line if self.problems else None

    @property
    def problem(self) -> str | None:
        return self.problems[0].text if self.problems else None

    @property
    def keyed(self) -> bool:
        return self.keying.get("alg") == ALG_HMAC


def _lines(path: Path) -> Iterator[tuple[int, int, bytes, bool]]:
    """(1-based number, byte offset, content without newline, complete) of each line."""
    offset = 0
    with Path(path).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            complete = raw.endswith(b"\n")
            yield number, offset, raw[:-1] if complete else raw, complete
            offset += len(raw)


def shown_run(value: Any) -> str:
    return value if isinstance(value, str) and _RUN_ID.fullmatch(value) else "(invalid run id)"


class _Checker:
    def __init__(self, key: Any, allow_unkeyed: bool) -> None:
        self.key = key
        self.allow_unkeyed = allow_unkeyed
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.declared: dict[str, Any] | None = None
        self.keying: AuditKeying | None = None
        self.needs_key: str | None = None
        self.prev, self.expected, self.count, self.last_seq = GENESIS, 1, 0, 0
        self.pending: list[tuple[int, int, bool]] = []  # lines that are not entries, not yet acknowledged
        self.open_runs: dict[str, int] = {}
        self.closed_runs: set[str] = set()
        self.anchor_seen: dict[int, str] = {}
        self.events = 0  # entries other than log_started / segment_started

    def problem(self, line: int | None, text: str) -> None:
        self.problems.append(Problem(line, text))

    def declare(self, number: int, entry: Mapping[str, Any]) -> None:
        """The first entry fixes the keying every later entry is checked with."""
        if entry["event"] in (HEADER_EVENT, SEGMENT_EVENT):
            self.declared = header_keying(entry)
        else:
            self.declared = {"alg": ALG_SHA256}
            self.notes.append("no log_started entry: written by an older rflow (plain SHA-256)")
        alg = self.declared.get("alg")
        if alg == ALG_SHA256:
            self.keying = AuditKeying.plain()
            if self.key is not None and not self.allow_unkeyed:
                self.problem(None, "the log is not keyed although a deployment key is configured: a rewrite with "
                                   "recomputed hashes cannot be ruled out (--allow-unkeyed accepts such a log)")
        elif alg == ALG_HMAC:
            wanted = shown_key_id(self.declared.get("key_id"))
            if self.key is None:
                self.needs_key = (f"the log is keyed (hmac-sha256, key id {wanted}): set RFLOW_PHI_KEY or "
                                  "RFLOW_PHI_KEY_FILE to its key to verify it")
                return
            key = self.key.find(self.declared.get("key_id")) if hasattr(self.key, "find") else self.key
            if key is None:  # a keyring without that id
                self.needs_key = (f"the log is keyed with key id {wanted}, which the keyring does not hold: "
                                  "configure the keyring (or key) it was written with")
                return
            self.keying = AuditKeying.from_phi_key(key)
            if self.keying.key_id != self.declared.get("key_id"):
                self.needs_key = (f"the log is keyed with key id {wanted}, the configured key has id "
                                  f"{self.keying.key_id}: configure the key it was written with")
        else:
            self.problem(number, "the log declares an unknown hash algorithm")
            self.keying = AuditKeying.plain()

    def acknowledge(self, number: int, entry: Mapping[str, Any]) -> None:
        """Lines before this entry that are not entries: a torn tail closed by a segment, or damage."""
        data = entry.get("data")
        data = data if isinstance(data, dict) else {}
        first_line, first_offset, _ = self.pending[0]
        if entry["event"] == SEGMENT_EVENT and data.get("torn_at_byte") == first_offset and len(self.pending) == 1:
            self.notes.append(f"line {first_line}: torn entry (a writer stopped mid-line); a new segment starts "
                              f"at line {number}")
        else:
            for line, _, _ in self.pending:
                self.problem(line, "not a valid audit entry (torn, edited or inserted)")
        self.pending = []

    def entry(self, number: int, entry: Mapping[str, Any]) -> None:
        if self.declared is None:
            self.declare(number, entry)
            if self.needs_key:
                return
        assert self.keying is not None
        event = entry["event"]
        if self.pending:
            self.acknowledge(number, entry)
        elif event == SEGMENT_EVENT:
            self.problem(number, "segment entry without a torn line before it (inserted)")
        if event == HEADER_EVENT and self.count:
            self.problem(number, "log_started entry inside the log (logs joined, or entries inserted)")
        if event in (HEADER_EVENT, SEGMENT_EVENT) and header_keying(entry) != self.declared:
            self.problem(number, "entry declares another keying than the log's first entry")
        if self.keying.digest(entry) != entry["hash"]:
            self.problem(number, "entry does not match its hash (edited, or written without the log's key)")
        if entry["prev"] != self.prev:
            self.problem(number, "link to the previous entry is broken (entry removed, inserted or reordered)")
        elif entry["seq"] != self.expected:
            self.problem(number, f"sequence number {entry['seq']} where {self.expected} was expected")
        self.track_run(number, entry)
        self.prev, self.expected, self.last_seq = entry["hash"], entry["seq"] + 1, entry["seq"]
        self.anchor_seen[entry["seq"]] = entry["hash"]
        self.count += 1
        self.events += event not in (HEADER_EVENT, SEGMENT_EVENT)

    def track_run(self, number: int, entry: Mapping[str, Any]) -> None:
        data = entry.get("data")
        run = data.get("run_id") if isinstance(data, dict) else None
        if run is None:
            return
        shown = shown_run(run)
        if not isinstance(run, str):
            self.problem(number, "entry has an invalid run id")
            return
        if run in self.closed_runs:
            self.problem(number, f"entry for run {shown} after its run_finished (appended)")
        elif entry["event"] == "run_started":
            if run in self.open_runs:
                self.problem(number, f"second run_started for run {shown}")
            self.open_runs[run] = number
        elif run not in self.open_runs:
            self.problem(number, f"entry for run {shown}, which has no run_started before it")
        if entry["event"] == "run_finished":
            self.open_runs.pop(run, None)
            self.closed_runs.add(run)

    def finish(self, last_line: int, last_complete: bool) -> None:
        for line, _, _ in self.pending:
            torn = line == last_line and not last_complete
            self.problem(line, "torn last entry (a writer stopped mid-line)" if torn
                         else "not a valid audit entry (torn, edited or inserted)")
        for run, line in self.open_runs.items():
            self.problem(line, f"run {shown_run(run)} is unfinished (no run_finished: killed, or its log was cut)")

    def check_anchor(self, anchor: Mapping[str, Any], final: bool) -> None:
        """Compare with the entry count and head hash a run's report recorded."""
        recorded = {k: anchor[k] for k in ("alg", "key_id") if anchor.get(k)}
        if self.declared is not None and recorded != self.declared:
            self.problem(None, "report.json records another keying than the log declares (one was rewritten)")
        count, head = anchor.get("entries"), anchor.get("head")
        if type(count) is not int or not isinstance(head, str):
            self.problem(None, "report.json records no audit head (entry count and head hash)")
            return
        if count > self.last_seq:
            self.problem(None, f"the log ends at entry {self.last_seq}, report.json records {count}: entries were "
                               "removed from its end")
        elif self.anchor_seen.get(count) != head:
            self.problem(None, f"entry {count} does not match the head hash in report.json (rewritten)")
        elif final and self.last_seq > count:
            self.problem(None, f"{self.last_seq - count} entries after the run's last one recorded in report.json "
                               "(appended)")


def verify_log(path: Path, *, key: Any = None, anchor: Mapping[str, Any] | None = None, final: bool = True,
               allow_unkeyed: bool = False) -> VerifyResult:
    """Check a whole log; ``key`` is the deployment key (``PhiKey``), ``anchor`` a report's ``audit``.

    ``final``: the anchor's run has finished, so nothing of it may follow the anchored entry.
    """
    checker = _Checker(key, allow_unkeyed)
    last_line, last_complete = 0, True
    for number, offset, raw, complete in _lines(path):
        last_line, last_complete = number, complete
        entry = parse_entry(raw) if complete and raw.strip() else None
        if entry is None:
            checker.pending.append((number, offset, complete))
            continue
        checker.entry(number, entry)
        if checker.needs_key:
            return VerifyResult(checker.count, checker.declared or {}, needs_key=checker.needs_key)
    if last_line == 0:
        checker.problem(None, "the log is empty (no entries)")
    elif not checker.events:
        # the header is written together with the first entry: a header alone is a cut log
        checker.problem(None, "the log holds no entry besides its header (cut)")
    checker.finish(last_line, last_complete)
    if anchor is not None:
        checker.check_anchor(anchor, final)
    if checker.declared is not None and checker.declared.get("alg") == ALG_SHA256:
        checker.notes.append("not keyed (sha256): edits, removals and reordering are detected; a full rewrite with "
                             "recomputed hashes is not")
    return VerifyResult(checker.count, checker.declared or {"alg": ALG_SHA256}, tuple(checker.problems),
                        tuple(checker.notes), runs=len(checker.closed_runs) + len(checker.open_runs))
