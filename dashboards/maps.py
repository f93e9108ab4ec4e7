"""The point map of unit progress: each enrolled unit a dot where it lies.

The map is plain SVG drawn on the server: no tiles, no script, nothing from
the internet. Positions come from the coordinates of the official list
(`Ward.latitude`, `Ward.longitude`); units without them are counted, not
drawn. The projection is equirectangular with longitudes shrunk by the
cosine of the middle latitude, so that near the map's middle a kilometre
east is as long as a kilometre north; across Vietnam (8°–23° N) that is
close enough for a picture of where units stand.

A phone has no hover: the dots' titles are a bonus for a mouse, the summary
beside the map and the tables of the page carry the details.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.progress import Progress

from .figures import BANDS, band_labels, band_of

# The longer side of the drawing, in the units of its viewBox; whole numbers
# at this size place a dot within a pixel on any screen, in fewer bytes.
SIZE = 1000
# The smallest span drawn, in degrees (about 5 km): one unit, or a few at
# one spot, are not blown up to fill the map.
MIN_SPAN = 0.05


@dataclass(frozen=True)
class Spot:
    """One enrolled unit: its name, where it lies (if known) and its progress."""

    name: str
    latitude: Decimal | float | None
    longitude: Decimal | float | None
    progress: Progress


@dataclass(frozen=True)
class Projection:
    """Degrees to the map's x (east) and y (south), fitted to a bounding box."""

    west: float
    north: float
    scale: float  # map units per degree of latitude
    shrink: float  # cos(middle latitude): a degree of longitude is this much shorter
    margin: float
    width: int
    height: int

    def __call__(self, latitude: float, longitude: float) -> tuple[int, int]:
        x = self.margin + (longitude - self.west) * self.shrink * self.scale
        y = self.margin + (self.north - latitude) * self.scale
        return round(x), round(y)


def fit(
    places: Iterable[tuple[float, float]], *, size: int = SIZE, margin: float = 20
) -> Projection:
    """The projection that fits `(latitude, longitude)` pairs into the drawing.

    The longer side of the bounding box (after shrinking longitudes) spans
    `size` less the margins; the other side keeps its proportion. A box
    narrower than `MIN_SPAN` is widened around its middle.
    """
    places = list(places)
    if not places:
        return Projection(0.0, 0.0, 1.0, 1.0, margin, size, size)
    latitudes = [lat for lat, _lon in places]
    longitudes = [lon for _lat, lon in places]
    south, north = _widened(min(latitudes), max(latitudes))
    west, east = _widened(min(longitudes), max(longitudes))
    shrink = math.cos(math.radians((south + north) / 2))
    tall, wide = north - south, (east - west) * shrink
    scale = (size - 2 * margin) / max(tall, wide)
    return Projection(
        west=west,
        north=north,
        scale=scale,
        shrink=shrink,
        margin=margin,
        width=math.ceil(wide * scale + 2 * margin),
        height=math.ceil(tall * scale + 2 * margin),
    )


def _widened(low: float, high: float) -> tuple[float, float]:
    if high - low >= MIN_SPAN:
        return low, high
    middle = (low + high) / 2
    return middle - MIN_SPAN / 2, middle + MIN_SPAN / 2


# Three cities named on the national map, so that a few dots far apart can
# still be told where they are: the map has no coastline to go by.
LANDMARKS = (
    ("Hà Nội", 21.0285, 105.8542),
    ("Đà Nẵng", 16.0544, 108.2022),
    ("TP. Hồ Chí Minh", 10.7769, 106.7009),
)


@dataclass(frozen=True)
class PointMap:
    """What the template draws: the viewBox, the dots, and the summary."""

    width: int
    height: int
    dots: SafeString
    shown: int
    without_coordinates: int
    bands: list[dict]
    # A circle per province (`province_map`), not a dot per unit.
    of_provinces: bool = False

    @property
    def enrolled(self) -> int:
        return self.shown + self.without_coordinates


def point_map(
    spots: Sequence[Spot],
    *,
    frame: tuple[float, float, float, float] | None = None,
    landmarks: Sequence[tuple[str, float, float]] = (),
) -> PointMap:
    """Every spot with coordinates as a dot coloured by its progress band.

    The box fits the spots, and `frame` (south, west, north, east) if given:
    the national map is framed by all the units in force, so a few enrolled
    units show where they lie in the country. The dots are grouped by band
    (the group carries the colour's class), best first, so the units
    furthest behind are drawn on top. Each dot's <title> says the unit and
    its progress ("Phường Ba Đình: 18/22"), escaped. `landmarks` (name,
    latitude, longitude) are marked and named over the dots.
    """
    placed = [
        (float(s.latitude), float(s.longitude), s)
        for s in spots
        if s.latitude is not None and s.longitude is not None
    ]
    corners = [(frame[0], frame[1]), (frame[2], frame[3])] if frame else []
    projection = fit([(lat, lon) for lat, lon, _s in placed] + corners)
    radius = _radius(projection, len(placed))
    groups: dict[str, list[str]] = {band: [] for band in BANDS}
    for latitude, longitude, spot in placed:
        x, y = projection(latitude, longitude)
        groups[band_of(spot.progress)].append(
            f'<circle cx="{x:d}" cy="{y:d}" r="{radius:d}"><title>'
            f"{html.escape(spot.name)}: {spot.progress.label}</title></circle>"
        )
    labels = band_labels()
    dots = _layers(groups, projection, landmarks if placed else ())
    return PointMap(
        width=projection.width,
        height=projection.height,
        dots=mark_safe(dots),  # noqa: S308 - names escaped here, the rest numbers
        shown=len(placed),
        without_coordinates=len(spots) - len(placed),
        bands=[
            {"key": band, "label": labels[band], "count": len(groups[band])}
            for band in BANDS
        ],
    )


def province_map(
    rows: Sequence[dict],
    centres: dict[int, tuple[float, float]],
    *,
    frame: tuple[float, float, float, float] | None = None,
    landmarks: Sequence[tuple[str, float, float]] = (),
) -> PointMap:
    """The national map: each province a circle at the centre of its units,
    its area as its enrolled wards, its colour the band of their mean
    progress (all met only when every ward is). A few dozen circles however
    many units; each province's own map shows its units.
    """
    placed = [
        (*centres[row["ward__province_id"]], row)
        for row in rows
        if row["ward__province_id"] in centres and row["enrolled"]
    ]
    corners = [(frame[0], frame[1]), (frame[2], frame[3])] if frame else []
    projection = fit([(lat, lon) for lat, lon, _row in placed] + corners)
    largest = max((row["enrolled"] for _lat, _lon, row in placed), default=1)
    groups: dict[str, list[str]] = {band: [] for band in BANDS}
    counts = dict.fromkeys(BANDS, 0)
    # Largest first, so that a small province next to a large one stays visible.
    for latitude, longitude, row in sorted(placed, key=lambda p: -p[2]["enrolled"]):
        x, y = projection(latitude, longitude)
        radius = max(5, round(30 * math.sqrt(row["enrolled"] / largest)))
        band = (
            "complete"
            if row["complete"] == row["enrolled"]
            else band_of(Progress(approved=round(1000 * row["mean"]), size=1000))
        )
        counts[band] += 1
        title = _(
            "%(province)s: %(wards)s wards, mean progress %(percent)d%%, "
            "%(complete)s with all criteria met"
        ) % {
            "province": row["ward__province__name"],
            "wards": intcomma(row["enrolled"]),
            "percent": row["mean_percent"],
            "complete": intcomma(row["complete"]),
        }
        groups[band].append(
            f'<circle cx="{x:d}" cy="{y:d}" r="{radius:d}">'
            f"<title>{html.escape(title)}</title></circle>"
        )
    labels = band_labels()
    dots = _layers(groups, projection, landmarks if placed else (), kind=" provinces")
    return PointMap(
        width=projection.width,
        height=projection.height,
        dots=mark_safe(dots),  # noqa: S308 - names escaped here, the rest numbers
        shown=len(placed),
        # Wards of provinces whose units have no coordinates (before 2025).
        without_coordinates=sum(
            row["enrolled"] for row in rows if row["ward__province_id"] not in centres
        ),
        bands=[
            {"key": band, "label": labels[band], "count": counts[band]}
            for band in BANDS
        ],
        of_provinces=True,
    )


def _layers(
    groups: dict[str, list[str]], projection: Projection, landmarks, *, kind: str = ""
) -> str:
    """The circles grouped by band (the group carries the colour's class),
    then the landmarks on top, to stay legible."""
    dots = "".join(
        f'<g class="band-{band}{kind}">{"".join(circles)}</g>'
        for band, circles in groups.items()
        if circles
    )
    return dots + _landmarks(projection, landmarks)


def _radius(projection: Projection, count: int) -> int:
    """About a fifth of the spacing the dots would have if spread evenly over
    the map, within bounds: 3,321 units in the country are small dots, a
    province's few dozen large enough to point at."""
    if not count:
        return 0
    spacing = math.sqrt(projection.width * projection.height / count)
    return max(4, min(10, round(spacing / 5)))


def _landmarks(projection: Projection, landmarks) -> str:
    """A small ring and the name of each landmark inside the map, the name on
    the side with more room, so that it stays inside the picture."""
    parts = []
    for name, latitude, longitude in landmarks:
        x, y = projection(latitude, longitude)
        if not (0 <= x <= projection.width and 0 <= y <= projection.height):
            continue
        left = x > projection.width / 2
        anchor, dx = (' text-anchor="end"', -10) if left else ("", 10)
        parts.append(
            f'<circle cx="{x:d}" cy="{y:d}" r="5"/>'
            f'<text x="{x + dx:d}" y="{y + 8:d}"{anchor}>{html.escape(name)}</text>'
        )
    return f'<g class="landmarks">{"".join(parts)}</g>' if parts else ""
