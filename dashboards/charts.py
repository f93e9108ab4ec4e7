"""Geometry for the server-rendered SVG charts; the templates draw them.

Charts are plain SVG with a <title>, a description and text labels, so they
read without JavaScript, print, and make sense to a screen reader.
"""

from __future__ import annotations

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


def line_chart(
    points: list[tuple[str, int]], *, width: int = 640, height: int = 240
) -> dict:
    """A line through `(label, value)` points, with a dot and value at each."""
    top, bottom, side = 24, 34, 30
    plot_w, plot_h = width - 2 * side, height - top - bottom
    peak = max((value for _label, value in points), default=0) or 1
    step = plot_w / max(len(points) - 1, 1)
    dots = []
    for index, (label, value) in enumerate(points):
        x = side + index * step if len(points) > 1 else side + plot_w / 2
        y = top + plot_h - plot_h * value / peak
        dots.append(
            {"label": label, "value": value, "x": round(x, 1), "y": round(y, 1)}
        )
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
