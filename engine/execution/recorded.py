"""How many errors a step recorded without failing: one count for the report and the run display.

A stage under ``on_errors: report`` completes although it counted errors (its output's
``errors_total``); the report stores the count as ``errors_recorded`` and the display shows
``completed with N errors``. Both read it here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def recorded_errors(step: Mapping[str, Any]) -> int:
    """How many errors a completed step recorded without failing (0: none, or it did not complete).

    ``step`` is a report's step entry, or ``{"status": ..., "output": ...}`` of a live result.
    """
    if step.get("status") != "completed":
        return 0
    given = step.get("errors_recorded")
    if given is None:
        output = step.get("output")
        given = output.get("errors_total") if isinstance(output, Mapping) else None
    return given if isinstance(given, int) and not isinstance(given, bool) and given > 0 else 0
