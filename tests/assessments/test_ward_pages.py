import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import UserFactory


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client):
    for url in ["/", "/wards/", "/wards/W00001/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_is_in_vietnamese_by_default(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="vi"' in response.text
    assert "Đăng nhập" in response.text


def test_switching_to_english_and_back(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    response = client.get("/accounts/login/")
    assert 'lang="en"' in response.text and "Log in" in response.text
    client.post("/i18n/setlang/", {"language": "vi", "next": "/accounts/login/"})
    assert "Đăng nhập" in client.get("/accounts/login/").text


def test_an_officer_lands_on_their_ward(client, officer, enrolment, other_enrolment):
    client.force_login(officer)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/wards/{enrolment.ward.code}/"
    assert response.context["enrolment"] == enrolment
    assert "0/22" in response.text
    assert len(response.context["assessments"]) == 22


def test_leaders_land_on_their_dashboard(client, leader, national, enrolment):
    client.force_login(leader)
    province = enrolment.ward.province
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/dashboard/{province.code}/"
    client.force_login(national)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/"


def test_an_officer_cannot_open_another_ward(client, officer, other_enrolment):
    client.force_login(officer)
    assert client.get(f"/wards/{other_enrolment.ward.code}/").status_code == 404


def test_a_provincial_leader_sees_only_their_province(
    client, leader, enrolment, other_enrolment
):
    client.force_login(leader)
    response = client.get("/wards/")
    assert [e.pk for e in response.context["page"]] == [enrolment.pk]
    assert client.get(f"/wards/{enrolment.ward.code}/").status_code == 200
    assert client.get(f"/wards/{other_enrolment.ward.code}/").status_code == 404


def test_a_national_leader_sees_every_ward(
    client, national, enrolment, other_enrolment
):
    client.force_login(national)
    response = client.get("/wards/")
    assert {e.pk for e in response.context["page"]} == {
        enrolment.pk,
        other_enrolment.pk,
    }
    filtered = client.get("/wards/", {"province": other_enrolment.ward.province.code})
    assert [e.pk for e in filtered.context["page"]] == [other_enrolment.pk]


def test_a_user_without_membership_sees_nothing(client, enrolment):
    client.force_login(UserFactory())
    response = client.get("/wards/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert client.get(f"/wards/{enrolment.ward.code}/").status_code == 404


def test_a_bad_year_or_page_is_not_an_error(client, national, enrolment):
    client.force_login(national)
    assert client.get("/wards/", {"year": "abc", "page": "zz"}).status_code == 200
    assert (
        client.get(f"/wards/{enrolment.ward.code}/", {"year": "1"}).status_code == 404
    )


def test_an_english_browser_still_gets_vietnamese(client, db):
    response = client.get("/accounts/login/", headers={"accept-language": "en-US,en"})
    assert 'lang="vi"' in response.text


def test_dates_are_day_first_in_both_languages(client, national, enrolment):
    import datetime as dt

    from assessments.models import ReviewEvent

    assessment = enrolment.assessments.first()
    ReviewEvent.objects.create(
        assessment=assessment,
        actor=UserFactory(),
        action="submit",
        from_status="in_progress",
        to_status="submitted",
        created_at=dt.datetime(2025, 11, 15, 3, 0, tzinfo=dt.UTC),
    )
    client.force_login(national)
    url = f"/wards/{enrolment.ward.code}/"
    assert "15/11/2025" in client.get(url).text
    client.cookies["django_language"] = "en"
    assert "15/11/2025" in client.get(url).text  # day first, whatever the language


def test_grouped_numbers_follow_the_language():
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    with translation.override("vi"):
        assert intcomma(3321) == "3.321"
    with translation.override("en"):
        assert intcomma(3321) == "3,321"


@pytest.mark.django_db
def test_odd_digits_in_numbers_are_not_errors(client, national, reviewer, enrolment):
    client.force_login(national)
    for url in [
        "/wards/?year=²",
        f"/wards/{enrolment.ward.code}/?year=²",
        "/dashboard/?year=²",
        "/dashboard/trend/?year=٣",
    ]:
        assert client.get(url).status_code in (200, 302, 404), url
    client.force_login(reviewer)
    assert client.get("/review/?group=²&older_than=²").status_code == 200


def test_only_plain_digits_are_numbers(client, national, enrolment):
    """Anything but one to nine ASCII digits is no year: the latest is shown."""
    client.force_login(national)
    for odd in ["+2026", " 2026", "2026.0", "２０２６", "2_026", "-0", "0000002026x"]:
        response = client.get("/wards/", {"year": odd})
        assert response.context["year"] == 2026, odd
    assert client.get("/wards/", {"year": "2025"}).context["year"] == 2025


def test_list_filters_do_not_hide_a_ward_page(client, national, enrolment):
    """The ward list's province and track mean nothing on one ward's page."""
    client.force_login(national)
    url = f"/wards/{enrolment.ward.code}/"
    other_track = "province" if enrolment.track == "ministry" else "ministry"
    for query in [{"track": other_track}, {"province": "99"}]:
        assert client.get(url, query).status_code == 200, query
        assert client.get(url + "dossier/", query).status_code == 200, query


def test_a_long_year_shows_its_latest_steps_and_the_rest_a_page_away(
    client, officer, reviewer, enrolment
):
    """A busy ward's page carries its latest steps, not the whole year; the
    year's history pages through all of them, newest first."""
    from assessments.models import ReviewEvent
    from assessments.views.wards import HISTORY_PER_PAGE, TIMELINE_ON_PAGE

    first = enrolment.assessments.order_by("criterion__number").first()
    start = timezone.now() - dt.timedelta(days=10)
    total = HISTORY_PER_PAGE + 5
    # The reviewer's comments, then the officer's own steps (the latest).
    ReviewEvent.objects.bulk_create(
        ReviewEvent(
            assessment=first,
            actor=reviewer if n < 10 else officer,
            action=ReviewEvent.Action.RETURN if n < 10 else "add_evidence",
            from_status="submitted" if n < 10 else "in_progress",
            to_status="returned" if n < 10 else "in_progress",
            comment=f"step {n}",
            created_at=start + dt.timedelta(minutes=n),
        )
        for n in range(total)
    )
    client.force_login(officer)
    page = client.get(f"/wards/{enrolment.ward.code}/")
    shown = page.context["timeline"]
    assert [e.comment for e in shown[:2]] == [f"step {total - 1}", f"step {total - 2}"]
    assert len(shown) == TIMELINE_ON_PAGE and page.context["more_events"]
    assert f"{TIMELINE_ON_PAGE} sự kiện gần nhất" in page.text
    assert f"/wards/{enrolment.ward.code}/history/?year={enrolment.year}" in page.text
    # Others' steps are still "recent", though the officer's own came after.
    recent = page.context["recent_events"]
    assert [e.comment for e in recent] == [f"step {n}" for n in range(9, 1, -1)]

    history = client.get(f"/wards/{enrolment.ward.code}/history/?year={enrolment.year}")
    assert history.status_code == 200
    assert len(history.context["page"].object_list) == HISTORY_PER_PAGE
    assert f"Sự kiện 1–{HISTORY_PER_PAGE} trong {total}" in history.text
    rest = client.get(
        f"/wards/{enrolment.ward.code}/history/?year={enrolment.year}&page=2"
    )
    assert [e.comment for e in rest.context["page"].object_list] == [
        f"step {n}" for n in range(4, -1, -1)
    ]
    # A page past the end is the last page, not an error.
    assert (
        client.get(f"/wards/{enrolment.ward.code}/history/?page=99").status_code == 200
    )
