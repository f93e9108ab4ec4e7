import datetime as dt

import pytest

from dashboards.charts import line_chart

# line_chart's plot runs from x=30 to x=610 in a 640-wide chart.
LEFT, RIGHT = 30, 610


def month(year: int, number: int) -> tuple[dt.date, str, int]:
    return dt.date(year, number, 1), f"{number:02d}/{year}", 0


def xs_of(points) -> list[float]:
    return [dot["x"] for dot in line_chart(points, width=640)["dots"]]


def test_the_time_axis_is_proportional_to_time():
    """12/2023, 01/2024 and 11/2026: one month, then 34 more, 35 in all."""
    xs = xs_of([month(2023, 12), month(2024, 1), month(2026, 11)])
    one_month = (RIGHT - LEFT) / 35
    assert xs == pytest.approx([LEFT, LEFT + one_month, RIGHT], abs=0.1)


def test_equal_spans_of_time_are_equal_lengths():
    """February is shorter than January, but each is one month of the axis."""
    xs = xs_of([month(2025, 1), month(2025, 2), month(2025, 3), month(2025, 7)])
    one_month = (RIGHT - LEFT) / 6
    assert xs == pytest.approx(
        [LEFT, LEFT + one_month, LEFT + 2 * one_month, RIGHT], abs=0.1
    )


def test_a_single_point_sits_in_the_middle():
    (dot,) = line_chart([month(2025, 5)], width=640)["dots"]
    assert dot["x"] == (LEFT + RIGHT) / 2 and dot["labelled"]


def test_labels_that_would_overlap_are_thinned_keeping_the_ends():
    points = [month(2024, n) for n in range(1, 13)] + [month(2026, 11)]
    dots = line_chart(points, width=640)["dots"]
    labelled = [dot for dot in dots if dot["labelled"]]
    assert labelled[0] is dots[0] and labelled[-1] is dots[-1]
    assert 2 < len(labelled) < len(dots)
    for left, right in zip(labelled, labelled[1:], strict=False):
        assert right["x"] - left["x"] >= 50  # "01/2024" is about 54 wide
