"""The point map: the projection, the SVG it draws, and the pages that show it."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from access.models import Membership
from assessments.progress import Progress
from dashboards.maps import Spot, fit, point_map
from tests.factories import (
    EnrolmentFactory,
    ProvinceFactory,
    WardFactory,
    make_criteria_set,
    member,
    set_statuses,
)
from wards.models import Ward

Role = Membership.Role
SVG = "{http://www.w3.org/2000/svg}"

# Four corners of Vietnam: Lũng Cú (north), Sín Thầu (west), Đất Mũi (south),
# Trường Sa (east, the farthest island).
LUNG_CU = (23.3241, 105.318)
SIN_THAU = (22.4, 102.293)
DAT_MUI = (8.63765, 104.8)
TRUONG_SA = (8.65, 114.45)
HA_NOI = (21.0386, 105.838)


def test_north_is_above_south_and_west_left_of_east():
    project = fit([LUNG_CU, SIN_THAU, DAT_MUI, TRUONG_SA, HA_NOI])
    x_north, y_north = project(*LUNG_CU)
    x_south, y_south = project(*DAT_MUI)
    x_west, _y = project(*SIN_THAU)
    x_east, _y = project(*TRUONG_SA)
    x_hanoi, y_hanoi = project(*HA_NOI)
    assert y_north < y_hanoi < y_south  # y grows downwards in SVG
    assert x_west < x_north < x_hanoi < x_east
    assert x_west < x_south < x_east


def test_the_box_fits_the_points_with_its_margin():
    places = [LUNG_CU, SIN_THAU, DAT_MUI, TRUONG_SA, HA_NOI]
    project = fit(places, size=1000, margin=20)
    xs, ys = zip(*(project(*place) for place in places), strict=True)
    # The points touch the margin on every side; nothing falls outside.
    assert min(xs) == 20 and max(xs) == pytest.approx(project.width - 20, abs=1)
    assert min(ys) == 20 and max(ys) == pytest.approx(project.height - 20, abs=1)
    # Vietnam is taller than wide: the height takes the whole size.
    assert project.height == 1000 and project.width < project.height


def test_longitudes_are_shrunk_by_the_cosine_of_the_latitude():
    """At 60° N a degree east is half a degree north: a 2°×1° box is square."""
    project = fit([(59.5, 10.0), (60.5, 12.0)], size=1000, margin=0)
    assert project.width == pytest.approx(project.height, abs=2)
    near_equator = fit([(-0.5, 10.0), (0.5, 12.0)], size=1000, margin=0)
    assert near_equator.width == 1000 and near_equator.height == 500
    assert project.shrink == pytest.approx(math.cos(math.radians(60)))


def test_a_single_point_sits_in_the_middle_of_a_small_box():
    project = fit([HA_NOI, HA_NOI], size=1000, margin=20)
    x, y = project(*HA_NOI)
    assert (x, y) == (pytest.approx(project.width / 2, abs=1), 500)
    # The box is MIN_SPAN high, and less wide once longitudes are shrunk.
    assert project.height == 1000 and 900 < project.width < 1000


def spots() -> list[Spot]:
    return [
        Spot("Phường Ba Đình", *HA_NOI, Progress(approved=22, size=22)),
        Spot("Xã Lũng Cú", *LUNG_CU, Progress(approved=18, size=22)),
        Spot("Xã Đất Mũi", *DAT_MUI, Progress(approved=12, size=22)),
        Spot('Xã <b>"A" & B</b>', *TRUONG_SA, Progress(approved=3, size=22)),
        Spot("Phường Cũ", None, None, Progress(approved=5, size=22)),
    ]


def parse(drawn) -> ET.Element:
    return ET.fromstring(  # noqa: S314 - the app's own drawing, as a browser reads it
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {drawn.width} '
        f'{drawn.height}">{drawn.dots}</svg>'
    )


def test_one_dot_per_unit_with_coordinates_coloured_by_band():
    drawn = point_map(spots())
    svg = parse(drawn)  # well-formed: every name was escaped
    dots = {
        circle.find(f"{SVG}title").text: group.get("class")
        for group in svg.iter(f"{SVG}g")
        for circle in group.iter(f"{SVG}circle")
    }
    assert dots == {
        "Phường Ba Đình: 22/22": "band-complete",
        "Xã Lũng Cú: 18/22": "band-band_high",
        "Xã Đất Mũi: 12/22": "band-band_mid",
        'Xã <b>"A" & B</b>: 3/22': "band-band_low",
    }
    assert (drawn.shown, drawn.without_coordinates, drawn.enrolled) == (4, 1, 5)
    assert [(b["key"], b["count"]) for b in drawn.bands] == [
        ("complete", 1),
        ("band_high", 1),
        ("band_mid", 1),
        ("band_low", 1),
    ]
    for circle in svg.iter(f"{SVG}circle"):
        assert 0 <= int(circle.get("cx")) <= drawn.width
        assert 0 <= int(circle.get("cy")) <= drawn.height


def test_titles_are_escaped():
    dots = str(point_map(spots()).dots)
    assert "Xã &lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;: 3/22" in dots
    assert "<b>" not in dots


def test_the_units_furthest_behind_are_drawn_last():
    order = re.findall(r'<g class="band-(\w+)">', str(point_map(spots()).dots))
    assert order == ["complete", "band_high", "band_mid", "band_low"]


def test_a_frame_widens_the_box_and_landmarks_inside_it_are_named():
    """Two units of Hà Nội on a map framed by the whole country."""
    near = [
        Spot("Phường Ba Đình", *HA_NOI, Progress(approved=22, size=22)),
        Spot("Phường Ngọc Hà", 21.0381, 105.816, Progress(approved=2, size=22)),
    ]
    country = (DAT_MUI[0], SIN_THAU[1], LUNG_CU[0], TRUONG_SA[1])
    framed = point_map(
        near,
        frame=country,
        landmarks=[("Hà Nội", 21.0285, 105.8542), ("Paris", 48.85, 2.35)],
    )
    assert framed.height == fit([LUNG_CU, SIN_THAU, DAT_MUI, TRUONG_SA]).height
    assert framed.width == fit([LUNG_CU, SIN_THAU, DAT_MUI, TRUONG_SA]).width
    cys = [
        int(y) for y in re.findall(r'<circle cx="\d+" cy="(\d+)" r="\d+">', framed.dots)
    ]
    assert len(cys) == 2 and all(y < framed.height / 4 for y in cys)  # the north
    svg = parse(framed)
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["Hà Nội"]  # not Paris
    # Alone, the two units (2 km apart) fill a map of their own.
    alone = [int(x) for x in re.findall(r'cx="(\d+)"', point_map(near).dots)]
    framed_xs = [int(x) for x in re.findall(r'cx="(\d+)"', framed.dots)]
    assert abs(alone[0] - alone[1]) > 100 > abs(framed_xs[0] - framed_xs[1])


def test_dots_are_smaller_where_there_are_many():
    one = point_map(spots()[:1])
    many = point_map(spots()[:1] * 3000)
    radius = re.compile(r' r="(\d+)"')
    assert int(radius.search(one.dots).group(1)) > int(
        radius.search(many.dots).group(1)
    )


def test_no_coordinates_no_dots():
    drawn = point_map(spots()[-1:])
    assert (drawn.shown, drawn.without_coordinates, str(drawn.dots)) == (0, 1, "")


@pytest.fixture(scope="module")
def mapped(module_db):
    """Thanh Hóa: two units with coordinates (22/22, 10/22), one without."""
    criteria_set = make_criteria_set(22)
    th = ProvinceFactory(name="Thanh Hóa", code="38")
    for name, position, approved in [
        ("Hạc Thành", (19.8076, 105.776), 22),
        ("Đông Quang", (19.79, 105.74), 10),
        ("An Hưng", (None, None), 5),
    ]:
        ward = WardFactory(
            province=th, name=name, latitude=position[0], longitude=position[1]
        )
        enrolment = EnrolmentFactory(ward=ward, criteria_set=criteria_set, year=2026)
        set_statuses(enrolment, approved=approved)
    return member(Role.NATIONAL_LEADER)


def test_the_province_dashboard_maps_its_units_and_says_what_is_missing(
    db, client, mapped
):
    client.force_login(mapped)
    client.cookies["django_language"] = "en"
    response = client.get("/dashboard/38/", {"year": 2026})
    text = response.text
    svg = re.search(r'<svg class="map".*?</svg>', text, re.S).group(0)
    assert re.findall(r"<title>([^<]*)</title></circle>", svg) == [
        "Phường Hạc Thành: 22/22",
        "Phường Đông Quang: 10/22",
    ]
    assert 'viewBox="0 0 ' in svg and "<desc" in svg
    assert "2 units are shown" in text
    assert "1 enrolled unit has no coordinates in the official list" in text


def test_the_national_dashboard_maps_each_province_at_its_units_centre(
    db, client, mapped
):
    client.force_login(mapped)
    client.cookies["django_language"] = "en"
    response = client.get("/dashboard/", {"year": 2026})
    svg = re.search(r'<svg class="map".*?</svg>', response.text, re.S).group(0)
    assert re.findall(r"<title>([^<]*)</title></circle>", svg) == [
        # (22 + 10 + 5) of 66 criteria; the centre of the two placed units.
        "Thanh Hóa: 3 wards, mean progress 56%, 1 with all criteria met"
    ]
    drawn = response.context["map"]
    frame = response.context["units"]["extent"]
    projection = fit([frame[:2], frame[2:]])
    x, y = projection((19.8076 + 19.79) / 2, (105.776 + 105.74) / 2)
    assert f'<circle cx="{x}" cy="{y}" r="30">' in svg
    assert 'class="band-band_mid provinces"' in svg
    assert (drawn.shown, drawn.without_coordinates) == (1, 0)
    assert "1 province is shown" in response.text


def test_a_year_without_coordinates_says_so_instead_of_a_map(db, client, mapped):
    client.force_login(mapped)
    client.cookies["django_language"] = "en"
    Ward.objects.update(latitude=None, longitude=None)
    text = client.get("/dashboard/", {"year": 2026}).text
    assert '<svg class="map"' not in text
    assert "None of the 3 enrolled units has coordinates" in text
