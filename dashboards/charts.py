"""Geometry for the server-rendered SVG charts; the templates draw them.

Charts are plain SVG with a <title>, a description and text labels, so they
read without JavaScript, print, and make sense to a screen reader.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_y: float
    value_y: float
    text_x: float


def column_chart(
    items: list[tuple[str, int]], *, width: int = 640, height: int = 220
) -> dict:
    """Vertical bars for `(label, value)` pairs, left to right."""
    top, bottom, side = 20, 30, 10
    plot = height - top - bottom
    peak = max((value for _label, value in items), default=0) or 1
    step = (width - 2 * side) / max(len(items), 1)
    bar_width = max(step * 0.7, 2)
    bars = []
    for index, (label, value) in enumerate(items):
        bar_height = plot * value / peak
        x = side + index * step + (step - bar_width) / 2
        y = top + plot - bar_height
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                y=round(y, 1),
                width=round(bar_width, 1),
                height=round(bar_height, 1),
                label_y=height - bottom + 16,
                value_y=round(y - 4, 1),
                text_x=round(x + bar_width / 2, 1),
            )
        )
    return {"width": width, "height": height, "bars": bars, "baseline": top + plot}


def _months(day: dt.date) -> float:
    """`day` as a count of months, so that equal spans of time are equal lengths."""
    length = calendar.monthrange(day.year, day.month)[1]
    return day.year * 12 + day.month - 1 + (day.day - 1) / length


def line_chart(
    points: list[tuple[dt.date, str, int]], *, width: int = 640, height: int = 240
) -> dict:
    """A line through `(date, label, value)` points, placed in proportion to time.

    Three years between two points are drawn three times as wide as one year,
    never as one step. Every point has a dot whose tooltip gives its value;
    the text under and above the dots is thinned so that no two labels overlap,
    keeping the first and the last.
    """
    top, bottom, side = 24, 34, 30
    plot_w, plot_h = width - 2 * side, height - top - bottom
    peak = max((value for _day, _label, value in points), default=0) or 1
    start = _months(points[0][0]) if points else 0.0
    span = (_months(points[-1][0]) - start) if points else 0.0
    dots = []
    for day, label, value in points:
        share = (_months(day) - start) / span if span else 0.5
        x = side + plot_w * share
        y = top + plot_h - plot_h * value / peak
        dots.append(
            {
                "label": label,
                "value": value,
                "x": round(x, 1),
                "y": round(y, 1),
                "labelled": False,
            }
        )
    _thin_labels(dots)
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{d['x']},{d['y']}" for i, d in enumerate(dots)
    )
    return {
        "width": width,
        "height": height,
        "dots": dots,
        "path": path,
        "baseline": top + plot_h,
        "label_y": height - bottom + 18,
    }


def _label_width(dot: dict) -> float:
    """About how wide a dot's label is drawn, in the chart's units (11px text)."""
    return 6.5 * max(len(dot["label"]), len(str(dot["value"]))) + 8


def _thin_labels(dots: list[dict]) -> None:
    """Mark the dots whose labels fit: left to right, and always the last one."""
    shown: list[dict] = []
    for dot in dots:
        if not shown or _apart(shown[-1], dot):
            shown.append(dot)
    if dots and shown[-1] is not dots[-1]:
        while len(shown) > 1 and not _apart(shown[-1], dots[-1]):
            shown.pop()
        shown.append(dots[-1])
    for dot in shown:
        dot["labelled"] = True


def _apart(left: dict, right: dict) -> bool:
    return right["x"] - left["x"] >= (_label_width(left) + _label_width(right)) / 2
