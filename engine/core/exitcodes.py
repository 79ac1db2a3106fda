"""The one table of ``rflow`` exit codes; every command and the run report take theirs from here.

Why one table: scripts and CI branch on these numbers, so a command that invents its own (or a
second copy that drifts) breaks them silently.
"""

from __future__ import annotations

OK = 0
"""Success: the run completed, the manifests are clean, nothing was found."""
FAILED = 1
"""A step failed; or the checked thing has problems (``validate`` errors, ``phi scan --fail-on-findings``)."""
USAGE = 2
"""Usage or input error: a bad option, a missing or unusable file, an invalid manifest or key."""
REFUSED = 3
"""Refused or blocked by governance (approvals, PHI policy)."""
INTERRUPTED = 130
"""Interrupted (Ctrl-C, SIGINT), as shells report 128 + SIGINT."""

BY_RUN_STATUS: dict[str, int] = {
    "completed": OK,
    "failed": FAILED,
    "unusable_input": USAGE,
    "blocked": REFUSED,
    "refused": REFUSED,
    "cancelled": INTERRUPTED,
    "running": FAILED,
    "aborted": FAILED,
}
"""The exit code of ``rflow run`` for each report status; an unknown status is ``FAILED``."""


def for_run_status(status: str) -> int:
    """The exit code of a run that ended with ``status`` (fails closed: unknown -> ``FAILED``)."""
    return BY_RUN_STATUS.get(status, FAILED)
