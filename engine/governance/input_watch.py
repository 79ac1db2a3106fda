"""Inputs must not change while a run reads them.

Each input is fingerprinted (size, modification time, SHA-256) when the run starts, before any
step reads it. Before every later step that reads raw data a cheap check (size and modification
time) runs, and at the end of the run the full hash is taken again. A change fails the run: the
step about to run fails with one line that says which input changed and how, later steps are
skipped, and an ``input`` decision is recorded in the report and the audit log. Otherwise the
report and a de-identified copy could describe different bytes than the ones the run checked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs

from engine.core.components import World
from engine.core.contract import PlannedStep, StageResult, StageStatus, Verdict
from engine.core.errors import RflowError
from engine.core.paths import file_sha256
from engine.governance.policy import PolicyDecision, reads_raw_data


class InputChanged(RflowError):
    """An input changed while it was being fingerprinted."""


@attrs.frozen
class Fingerprint:
    size_bytes: int
    mtime_ns: int
    sha256: str


def _stat(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def fingerprint(path: Path) -> Fingerprint:
    """Size, mtime and SHA-256 of ``path``; raises :class:`InputChanged` if it moves meanwhile."""
    before = _stat(path)
    digest = file_sha256(path)
    if _stat(path) != before:
        raise InputChanged("the file changed while it was being read")
    return Fingerprint(before[0], before[1], digest)


def quick_change(path: Path, seen: Fingerprint) -> str | None:
    """How ``path`` differs from ``seen`` by size and mtime (cheap), or ``None``."""
    try:
        size, mtime = _stat(path)
    except OSError:
        return "it was removed or can no longer be read"
    if size != seen.size_bytes:
        return f"its size went from {seen.size_bytes} to {size} bytes"
    if mtime != seen.mtime_ns:
        return "it was modified (its modification time changed)"
    return None


def full_change(path: Path, seen: Fingerprint) -> str | None:
    """:func:`quick_change`, then the SHA-256 of the whole file."""
    quick = quick_change(path, seen)
    if quick is not None:
        return quick
    try:
        digest = file_sha256(path)
    except OSError:
        return "it can no longer be read"
    if digest != seen.sha256:
        return "its content changed (its SHA-256 differs, though size and modification time are the same)"
    return None


class InputWatch:
    """A runner StepPolicy that fails the run as soon as an input is seen to have changed."""

    def __init__(self, inputs: Mapping[str, tuple[Path, Fingerprint]],
                 on_decision: Callable[[PolicyDecision], None] | None = None) -> None:
        self.inputs = dict(inputs)
        self.change: PolicyDecision | None = None
        self._on_decision = on_decision

    def _record(self, decision: PolicyDecision) -> PolicyDecision:
        if self._on_decision is not None:
            self._on_decision(decision)
        return decision

    def _check(self, check: Callable[[Path, Fingerprint], str | None]) -> PolicyDecision | None:
        for name, (path, seen) in self.inputs.items():
            how = check(path, seen)
            if how is not None:
                self.change = self._record(PolicyDecision(
                    "input", name, "failed", f"input {name!r} changed during the run: {how}"))
                return self.change
        return None

    def before_step(self, step: PlannedStep, world: World, results: Sequence[StageResult]) -> Verdict | None:
        if self.change is None and reads_raw_data(step.stage):
            self._check(quick_change)
        if self.change is not None:
            return Verdict(StageStatus.FAILED, f"{self.change.reason}; the run stops")
        return None

    def after_step(self, step: PlannedStep, result: StageResult, world: World) -> Verdict | None:
        if self.change is not None:
            return Verdict(StageStatus.SKIPPED, f"not run: {self.change.reason}")
        return None

    def finish(self) -> PolicyDecision | None:
        """The full check at the end of the run: the change found, if any."""
        if self.change is None and self._check(full_change) is None:
            for name in self.inputs:
                self._record(PolicyDecision("input", name, "passed",
                                            "unchanged during the run (size, modification time and SHA-256)"))
        return self.change
