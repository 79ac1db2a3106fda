"""Timestamps as reports show them: ISO 8601 in UTC (``2026-12-01T13:04:05.123456Z``).

Why ISO and not epoch seconds: a person reading report.json, and any tool that is not Python,
reads the date at a glance and without guessing the unit or the zone. The engine still measures
with ``time.time()``; only what is written is converted, and readers accept both forms so the
reports of older versions (epoch floats) keep working.
"""

from __future__ import annotations

import datetime as dt
import math

_UTC = dt.UTC


def iso(epoch: float | None) -> str | None:
    """``epoch`` seconds as an ISO 8601 UTC timestamp with microseconds and a ``Z``; ``None`` stays."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz=_UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def epoch(value: object) -> float | None:
    """Seconds since the epoch from an ISO 8601 string or (older reports) a number; ``None`` when neither.

    A string without a zone is read as UTC, the only zone reports are written in.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.timestamp()


def as_iso(value: object) -> str | None:
    """A timestamp of either form as ISO 8601 (for reading older reports); ``None`` when it is neither."""
    seconds = epoch(value)
    return None if seconds is None else iso(seconds)
