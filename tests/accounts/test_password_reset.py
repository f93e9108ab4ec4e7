"""Forgot password: a link by e-mail, throttled, silent about who has an account."""

import datetime as dt
import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.tasks import default_task_backend
from django.test import RequestFactory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import current_code
from tests.factories import UserFactory

PASSWORD = "secret-pass-123"
NEW_PASSWORD = "mat-khau-moi-2026"
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def ask(client, email, ip="10.0.0.1"):
    return client.post("/accounts/password-reset/", {"email": email}, REMOTE_ADDR=ip)


def link_in(message) -> str:
    (link,) = re.findall(r"http://\S+/accounts/reset/\S+/", message.body)
    return link.removeprefix("http://127.0.0.1:8000")


def without_csrf(page: str) -> str:
    """The page without its CSRF token, which differs on every page."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def can_log_in(user, password) -> bool:
    request = RequestFactory().post("/")
    return authenticate(request, username=user.username, password=password) is not None


def set_password(client, link, password=NEW_PASSWORD):
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    return client.post(
        form.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


@pytest.fixture
def user(db):
    return UserFactory(username="can-bo", email="Can.Bo@example.invalid")


def test_the_login_page_links_to_it(client, db):
    page = client.get("/accounts/login/")
    assert 'href="/accounts/password-reset/"' in page.text
    assert "Quên mật khẩu?" in page.text  # Vietnamese by default


def test_a_known_address_gets_a_link_in_vietnamese(client, user):
    response = ask(client, "can.bo@EXAMPLE.invalid")  # any case
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["Can.Bo@example.invalid"]
    assert "can-bo" in message.body and "mật khẩu mới" in message.body
    assert link_in(message).startswith("/accounts/reset/")
    # Readable as sent, like every mail of the app.
    assert "mật khẩu mới".encode() in message.message().as_bytes()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, user):
    known = ask(client, "can.bo@example.invalid", ip="10.0.0.1")
    known_page = client.get(known["Location"])
    mail.outbox.clear()
    unknown = ask(client, "nobody@example.invalid", ip="10.0.0.2")
    unknown_page = client.get(unknown["Location"])
    assert (unknown.status_code, unknown["Location"]) == (
        known.status_code,
        known["Location"],
    )
    assert without_csrf(unknown_page.text) == without_csrf(known_page.text)
    assert mail.outbox == []


def test_the_request_does_the_same_work_whoever_the_address_is(client, user, settings):
    """Only the worker looks the address up: the answer takes as long either way."""
    settings.TASKS = DUMMY
    default_task_backend.clear()
    ask(client, "can.bo@example.invalid")
    ask(client, "nobody@example.invalid")
    results = default_task_backend.results
    assert [r.task.name for r in results] == ["send_reset_link"] * 2
    assert [r.kwargs["email"] for r in results] == [
        "can.bo@example.invalid",
        "nobody@example.invalid",
    ]


def test_inactive_accounts_and_those_without_a_password_get_nothing(client, db):
    UserFactory(email="off@example.invalid", is_active=False)
    no_password = UserFactory(email="nopass@example.invalid")
    no_password.set_unusable_password()
    no_password.save()
    for email in ["off@example.invalid", "nopass@example.invalid"]:
        assert ask(client, email).status_code == 302
    assert mail.outbox == []


def test_one_address_is_throttled(client, user, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 3
    for n in range(3):
        assert (
            ask(client, "can.bo@example.invalid", ip=f"10.0.1.{n}").status_code == 302
        )
    refused = ask(client, "CAN.BO@example.invalid", ip="10.0.1.9")
    assert refused.status_code == 429
    assert "Quá nhiều yêu cầu" in refused.text
    assert len(mail.outbox) == 3
    # An unknown address is throttled the same way: nothing tells them apart.
    for n in range(3):
        assert (
            ask(client, "nobody@example.invalid", ip=f"10.0.2.{n}").status_code == 302
        )
    assert ask(client, "nobody@example.invalid", ip="10.0.2.9").status_code == 429
    # Another address is not held back.
    assert ask(client, "other@example.invalid", ip="10.0.3.1").status_code == 302


def test_one_client_address_is_throttled(client, user, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS = 2
    assert ask(client, "a@example.invalid", ip="10.0.0.7").status_code == 302
    assert ask(client, "b@example.invalid", ip="10.0.0.7").status_code == 302
    assert ask(client, "can.bo@example.invalid", ip="10.0.0.7").status_code == 429
    assert mail.outbox == []
    assert ask(client, "can.bo@example.invalid", ip="10.0.0.8").status_code == 302
    assert len(mail.outbox) == 1


def test_behind_a_proxy_the_client_address_counts(client, user, settings):
    settings.TRUSTED_PROXIES = 1
    settings.PASSWORD_RESETS_PER_ADDRESS = 1

    def ask_via_proxy(email, client_ip):
        return client.post(
            "/accounts/password-reset/",
            {"email": email},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=client_ip,
        )

    assert ask_via_proxy("a@example.invalid", "203.0.113.1").status_code == 302
    assert ask_via_proxy("b@example.invalid", "203.0.113.1").status_code == 429
    assert ask_via_proxy("c@example.invalid", "203.0.113.2").status_code == 302


def test_the_link_sets_a_new_password_once(client, user):
    ask(client, "can.bo@example.invalid")
    link = link_in(mail.outbox[0])
    done = set_password(client, link)
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert can_log_in(user, NEW_PASSWORD) and not can_log_in(user, PASSWORD)
    # Setting the password did not sign anyone in.
    assert "_auth_user_id" not in client.session
    again = client.get(link, follow=True)
    assert not again.context["validlink"]
    assert "Xin cấp đường dẫn mới" in again.text


def test_a_new_password_signs_out_other_sessions(client, user):
    elsewhere = client.__class__()
    elsewhere.post("/accounts/login/", {"username": "can-bo", "password": PASSWORD})
    assert "_auth_user_id" in elsewhere.session
    ask(client, "can.bo@example.invalid")
    set_password(client, link_in(mail.outbox[0]))
    assert elsewhere.get("/help/").wsgi_request.user.is_anonymous


def test_after_a_reset_the_second_factor_is_still_asked_for(client, reviewer):
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    ask(client, reviewer.email)
    set_password(client, link_in(mail.outbox[0]))
    login = client.post(
        "/accounts/login/", {"username": reviewer.username, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    queue = client.get("/review/")
    assert queue.status_code == 302 and "/accounts/2fa/" in queue["Location"]
    # The authenticator set up before the reset is the one that works.
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).count() == 1
    client.post("/accounts/2fa/", {"code": current_code(device)})
    assert client.get("/review/").status_code == 200


def test_throttle_counts_are_kept_in_the_database_for_the_hour(db):
    counts = caches["throttle"]
    assert counts.add("probe", 0, 3600)
    assert [counts.incr("probe") for _ in range(3)] == [1, 2, 3]
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM throttle_counts")
        (expires,) = cursor.fetchone()
    if isinstance(expires, str):  # SQLite
        expires = dt.datetime.fromisoformat(expires)
    if timezone.is_naive(expires):
        expires = timezone.make_aware(expires, dt.UTC)
    # Django's incr() stores the count with the cache's TIMEOUT (a day), not
    # with the 5 minutes of its default: a count outlives its hour.
    assert expires > timezone.now() + dt.timedelta(hours=1)
