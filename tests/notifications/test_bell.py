"""The bell: notifications made once per key, an exact unread count, opening
and marking them read, and how each person wants to hear of things."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from access.models import Membership
from accounts.models import User
from assessments import workflow
from notifications.models import Kind, Notification, Preference
from notifications.services import mark_read, notify, recount_unread
from tests.factories import ProvinceFactory, UserFactory, add_file, member

Role = Membership.Role
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
COUNT = '<span class="count" aria-hidden="true">{}</span>'


def unread(user) -> int:
    return User.objects.values_list("unread_notifications", flat=True).get(pk=user.pk)


def tell(user, key, url="", kind=Kind.REMINDER):
    (made,) = notify([user], kind=kind, key=key, title=f"Tin {key}", url=url)
    return made


@pytest.fixture
def person(db):
    return UserFactory()


def test_notify_makes_one_notification_per_key(person):
    other = UserFactory()
    (first,) = notify([person], kind=Kind.REMINDER, key="k:1", title="Nhắc")
    assert first.user == person and first.read_at is None
    assert notify([person], kind=Kind.REMINDER, key="k:1", title="Nhắc lại") == []
    assert unread(person) == 1
    # The same key for two people: made for the one who had not had it.
    (made,) = notify([person, other], kind=Kind.REMINDER, key="k:1", title="Nhắc")
    assert made.user == other
    assert Notification.objects.filter(key="k:1").count() == 2
    assert (unread(person), unread(other)) == (1, 1)
    notify([person], kind=Kind.REMINDER, key="k:2", title="Khác")
    assert unread(person) == 2
    assert Notification.objects.get(user=person, key="k:1").title == "Nhắc"


def test_notify_skips_inactive_people_and_cuts_long_titles(person):
    gone = UserFactory(is_active=False)
    made = notify([gone, person], kind=Kind.REVIEW, key="k", title="x" * 400)
    assert [n.user for n in made] == [person]
    assert len(made[0].title) == 300
    assert unread(gone) == 0


def test_the_bell_in_the_header_shows_the_count(client, person):
    client.force_login(person)
    page = client.get("/help/").content.decode()
    assert 'class="bell"' in page
    assert 'class="count"' not in page
    for n in range(3):
        tell(person, f"k:{n}")
    for url in ("/help/", "/notifications/"):
        page = client.get(url).content.decode()
        assert 'class="bell unread"' in page
        assert COUNT.format(3) in page
    mark_read(person, [Notification.objects.filter(user=person).first().pk])
    assert COUNT.format(2) in client.get("/help/").content.decode()


def test_the_inbox_lists_only_ones_own(client, person):
    tell(person, "mine")
    tell(UserFactory(), "theirs")
    client.force_login(person)
    page = client.get("/notifications/").content.decode()
    assert "Tin mine" in page
    assert "Tin theirs" not in page
    # The inbox is the way to one's own settings: mail, and API tokens.
    assert 'href="/accounts/tokens/"' in page


def test_opening_a_notification_marks_it_read_and_follows_it(client, person):
    notification = tell(person, "k", url="/calendar/?year=2026")
    tell(person, "other")
    client.force_login(person)
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/calendar/?year=2026"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread(person) == 1
    # Opened again: still read, the count unchanged.
    client.post(f"/notifications/{notification.pk}/open/")
    assert unread(person) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "http://evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_an_off_site_link_is_not_followed(client, person, url):
    notification = tell(person, "k", url=url)
    client.force_login(person)
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_users_notification_is_not_found(client, person):
    theirs = tell(UserFactory(), "k", url="/help/")
    client.force_login(person)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert unread(theirs.user) == 1


def test_opening_needs_a_post_and_a_login(client, person):
    notification = tell(person, "k", url="/help/")
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(person)
    assert client.get(f"/notifications/{notification.pk}/open/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(client, person):
    for n in range(4):
        tell(person, f"k:{n}")
    mine_read_before = tell(person, "old")
    mark_read(person, [mine_read_before.pk])
    theirs = tell(UserFactory(), "theirs")
    client.force_login(person)
    response = client.post("/notifications/read/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    assert not Notification.objects.filter(user=person, read_at=None).exists()
    assert unread(person) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None and unread(theirs.user) == 1
    assert client.get("/notifications/read/").status_code == 405


def test_the_preferences_page_saves_the_choices(db, client):
    person = member(Role.PROVINCIAL_LEADER, province=ProvinceFactory())
    client.force_login(person)
    page = client.get("/notifications/settings/")
    assert page.status_code == 200
    form = page.context["form"]
    assert form["review"].initial == "email" and form["daily"].initial == "email"
    choices = {
        "review": "digest",
        "recognition": "email",
        "reminder": "none",
        "escalation": "email",
        "expiry": "digest",
        "comment": "email",
        "daily": "none",
        "weekly": "email",
    }
    response = client.post("/notifications/settings/", choices)
    assert response.status_code == 302
    assert response["Location"] == "/notifications/settings/"
    saved = dict(Preference.objects.filter(user=person).values_list("kind", "delivery"))
    assert saved == choices
    # Shown as chosen, and changed again in place.
    form = client.get("/notifications/settings/").context["form"]
    assert form["reminder"].initial == "none"
    client.post("/notifications/settings/", {**choices, "reminder": "email"})
    assert Preference.objects.get(user=person, kind="reminder").delivery == "email"
    assert Preference.objects.filter(user=person).count() == len(choices)


def test_only_leaders_are_offered_the_weekly_digest(client, person):
    client.force_login(person)
    form = client.get("/notifications/settings/").context["form"]
    assert "daily" in form.fields and "weekly" not in form.fields
    choices = dict.fromkeys(Kind.values, "email") | {"daily": "none", "weekly": "none"}
    client.post("/notifications/settings/", choices)
    saved = set(Preference.objects.filter(user=person).values_list("kind", flat=True))
    assert saved == {*Kind.values, "daily"}


def test_a_digest_cannot_be_chosen_for_a_digest(client, person):
    client.force_login(person)
    choices = dict.fromkeys(Kind.values, "email") | {
        "daily": "digest",
        "weekly": "email",
    }
    response = client.post("/notifications/settings/", choices)
    assert response.status_code == 200
    assert "daily" in response.context["form"].errors
    assert not Preference.objects.filter(user=person).exists()


def test_recount_fixes_a_wrong_count(person):
    right = UserFactory()
    tell(person, "a")
    tell(person, "b")
    tell(right, "c")
    mark_read(person, [Notification.objects.get(user=person, key="a").pk])
    User.objects.filter(pk=person.pk).update(unread_notifications=9)
    wrong = recount_unread()
    assert [(user.pk, stored, counted) for user, stored, counted in wrong] == [
        (person.pk, 9, 1)
    ]
    assert unread(person) == 1 and unread(right) == 1
    assert recount_unread() == []


def test_mark_read_keeps_the_count_exact(person):
    made = [tell(person, f"k:{n}") for n in range(3)]
    User.objects.filter(pk=person.pk).update(unread_notifications=7)  # drifted
    assert mark_read(person, [made[0].pk]) == 1
    assert unread(person) == 2 and person.unread_notifications == 2
    assert mark_read(person, [made[0].pk]) == 0
    assert mark_read(person) == 2
    assert unread(person) == 0


def test_a_submission_rings_the_reviewers_bells(
    enrolment,
    officer,
    reviewer,
    other_province,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = IMMEDIATE
    far = member(Role.REVIEWER, province=other_province)
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(assessment, actor=officer)
    (notification,) = Notification.objects.filter(user=reviewer)
    assert notification.kind == Kind.REVIEW
    assert enrolment.ward.name in notification.title
    assert notification.url == assessment.get_absolute_url()
    assert notification.mailed_at is not None
    assert unread(reviewer) == 1
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert not Notification.objects.filter(user__in=[far, officer]).exists()
    # The decision rings the officer's bell.
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(assessment, actor=reviewer)
    (told,) = Notification.objects.filter(user=officer)
    assert told.kind == Kind.REVIEW and unread(officer) == 1
    assert unread(reviewer) == 1


def test_a_reviewer_who_chose_the_bell_only_gets_no_mail(
    enrolment, officer, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    Preference.objects.create(user=reviewer, kind=Kind.REVIEW, delivery="none")
    assessment = enrolment.assessments.get(criterion__number=1)
    add_file(assessment, officer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(assessment, actor=officer)
    assert mail.outbox == []
    (notification,) = Notification.objects.filter(user=reviewer)
    assert notification.mailed_at is None
    assert unread(reviewer) == 1


def test_a_notification_mail_that_fails_is_sent_once_on_the_retry(
    person, settings, monkeypatch
):
    """The mail server fails: the rows are given back and the retry, enqueued
    for later, sends the mail once; a task that runs again sends nothing."""
    from django_tasks_db.models import DBTaskResult

    from notifications import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tell(person, "k:mail")
    sent = []

    def broken(subject, body, recipients, **_headers):
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_text_mail", broken)
    assert services.mail_notification.call(key="k:mail") == 0
    assert Notification.objects.get(key="k:mail").mailed_at is None
    retry = DBTaskResult.objects.get(task_path__endswith="mail_notification")
    assert retry.args_kwargs["kwargs"] == {"key": "k:mail", "attempt": 2}
    monkeypatch.setattr(
        services, "send_text_mail", lambda s, b, r, **_h: sent.append(r) or len(r)
    )
    assert services.mail_notification.call(key="k:mail", attempt=2) == 1
    assert services.mail_notification.call(key="k:mail", attempt=2) == 0
    assert sent == [[person.email]]
    assert Notification.objects.get(key="k:mail").mailed_at is not None


def test_a_worker_killed_while_the_mail_goes_leaves_it_for_the_next_run(
    person, mailoutbox, monkeypatch, settings, time_machine
):
    """The worker dies in the middle of sending (here: interrupted before the
    server said it accepted): the rows stay taken, not mailed. A run at once
    (a second worker) leaves them alone and comes back when the claim
    lapses; that run sends the mail once, under the Message-ID it would have
    had, and no lock was held while the mail went."""
    from django_tasks_db.models import DBTaskResult

    from notifications import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.WORKER_LOST_SECONDS = 60
    time_machine.move_to(timezone.now(), tick=False)
    tell(person, "k:killed")
    sending = services.send_text_mail

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # as the worker's process ends

    monkeypatch.setattr(services, "send_text_mail", killed)
    with pytest.raises(KeyboardInterrupt):
        services.mail_notification.call(key="k:killed")
    row = Notification.objects.get(key="k:killed")
    assert row.mailed_at is None and row.mailing_since is not None

    monkeypatch.setattr(services, "send_text_mail", sending)
    assert services.mail_notification.call(key="k:killed") == 0
    assert mailoutbox == []
    again = DBTaskResult.objects.get(task_path__endswith="mail_notification")
    assert again.run_after == row.mailing_since + dt.timedelta(seconds=60)

    time_machine.shift(dt.timedelta(seconds=61))
    assert services.mail_notification.call(key="k:killed") == 1
    assert services.mail_notification.call(key="k:killed") == 0
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert row.mailed_at is not None and row.mailing_since is None
    assert mailoutbox[0].extra_headers["Message-ID"] == services.message_id(
        "k:killed", [row]
    )


def test_the_message_id_is_the_same_for_the_same_mail_only(person, settings):
    from notifications import services

    tell(person, "k:id")
    rows = list(Notification.objects.filter(key="k:id"))
    first = services.message_id("k:id", rows)
    assert services.message_id("k:id", rows) == first
    assert services.message_id("k:other", rows) != first
    settings.SECRET_KEY = "another installation's key, as long as it should be"
    assert services.message_id("k:id", rows) != first
