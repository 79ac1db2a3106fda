"""Chart geometry for the HTML report: numbers only, drawn as inline SVG by the template.

Why numbers only: the template writes every label through Jinja's escaping, so a chart cannot
carry markup; and each chart is shown with the table of the same rows behind it, for screen
readers and for copying.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 190
PLOT_WIDTH = 420
VALUE_WIDTH = 150


@attrs.frozen
class Bar:
    label: str
    value_text: str
    y: int
    x: float
    width: float
    css: str = ""


@attrs.frozen
class Chart:
    """A horizontal bar chart: ``bars`` in rows, ``width`` by ``height`` pixels."""

    title: str
    bars: tuple[Bar, ...]
    width: int
    height: int
    plot_x: int = LABEL_WIDTH


def bar_chart(title: str, rows: list[tuple[str, float, str]], css: str = "") -> Chart:
    """Bars from zero, scaled to the largest value; ``rows`` are ``(label, value, value_text)``."""
    top = max((v for _, v, _ in rows), default=0.0) or 1.0
    bars = tuple(Bar(label, text, i * (BAR_HEIGHT + GAP), 0.0, max(PLOT_WIDTH * value / top, 1.0 if value else 0.0),
                     css) for i, (label, value, text) in enumerate(rows))
    return Chart(title, bars, LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, len(rows) * (BAR_HEIGHT + GAP))


def timeline(title: str, rows: list[tuple[str, float | None, float | None, str, str]]) -> Chart:
    """Steps on a time axis: ``(label, start offset s, duration s, value_text, css)``; no start, no bar."""
    end = max(((s or 0.0) + (d or 0.0) for _, s, d, _, _ in rows), default=0.0) or 1.0
    bars = []
    for i, (label, start, duration, text, css) in enumerate(rows):
        x = PLOT_WIDTH * (start or 0.0) / end if start is not None else 0.0
        width = max(PLOT_WIDTH * (duration or 0.0) / end, 2.0) if start is not None else 0.0
        bars.append(Bar(label, text, i * (BAR_HEIGHT + GAP), round(x, 2), round(width, 2), css))
    return Chart(title, tuple(bars), LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH, len(rows) * (BAR_HEIGHT + GAP))


def heat(value: float, top: float) -> float:
    """Cell shading 0.08..0.85 on a log scale (a count of 3 next to 9,000 must still show)."""
    if value <= 0 or top <= 0:
        return 0.0
    return round(0.08 + 0.77 * math.log1p(value) / math.log1p(top), 3)


def as_dict(chart: Chart) -> dict[str, Any]:
    return attrs.asdict(chart)
