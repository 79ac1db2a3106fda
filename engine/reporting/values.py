"""Report values as the HTML may show them: text through :func:`engine.core.display.shown`, numbers as numbers.

Why here: report.json is read back from disk, so any field may hold what a user typed (or an edit
put there). The HTML view takes nothing from it except through these functions.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
from collections.abc import Iterator, Mapping
from typing import Any

from engine.core.display import shown

STATUS_CLASSES = frozenset({"completed", "failed", "blocked", "skipped", "refused", "cancelled", "aborted",
                            "running", "unusable_input", "allowed", "passed", "warned", "included", "excluded"})


_TEXTS: contextvars.ContextVar[dict[tuple[str, int], str] | None] = contextvars.ContextVar("rflow_report_texts",
                                                                                           default=None)


def text(value: Any, limit: int = 200) -> str:
    """Safe display text; ``None`` shows as an empty string."""
    if value is None:
        return ""
    memo = _TEXTS.get()
    if memo is None or type(value) is not str:
        return shown(value, limit)
    found = memo.get((value, limit))
    if found is None:
        found = memo[(value, limit)] = shown(value, limit)
    return found


@contextlib.contextmanager
def texts_memoized() -> Iterator[None]:
    """Inside the block, :func:`text` shows each string once: a wide run's report names each of its
    columns in several tables (classification, quality, de-identification), with the same few
    words beside them, and every one goes through the PHI sanitizer."""
    token = _TEXTS.set({})
    try:
        yield
    finally:
        _TEXTS.reset(token)


def number(value: Any) -> float:
    """A finite number, or 0 (a string or a NaN in an edited report is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) else 0.0


def count(value: Any) -> int:
    return int(number(value))


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def status_class(value: Any) -> str:
    """A CSS class from a fixed set, whatever the report holds."""
    return f"st-{value}" if isinstance(value, str) and value in STATUS_CLASSES else "st-other"


def moment(value: Any) -> dt.datetime | None:
    """A report timestamp: epoch seconds (report schema 1) or an ISO 8601 string (later versions)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def iso(value: Any) -> str:
    """A timestamp as ISO 8601 UTC to the second, or an empty string."""
    when = moment(value)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else ""


def seconds(value: Any) -> str:
    """A duration for people: ``0.42s``, ``12.3s``, ``4m 05s``."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    s = number(value)
    if s < 10:
        return f"{s:.2f}s"
    if s < 60:
        return f"{s:.1f}s"
    minutes, rest = divmod(round(s), 60)
    return f"{minutes}m {rest:02d}s" if minutes < 60 else f"{minutes // 60}h {minutes % 60:02d}m"


def size(value: Any) -> str:
    n = number(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


def digest(value: Any) -> str:
    """A SHA-256 as hex (shortened for the eye; the full value is in report.json)."""
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:16] + "…"
    return text(value, 20)
