import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.models import Membership
from accounts.client_address import client_address
from accounts.second_factor import current_code
from accounts.sessions import LOGIN_AT, RENEWED_AT
from tests.factories import UserFactory, member
from wards.models import Ward

PASSWORD = "secret-pass-123"
pytestmark = pytest.mark.usefixtures("english")


def log_in(client, username, password=PASSWORD, ip="10.0.0.1"):
    client.cookies["django_language"] = "en"
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return current_code(device)


def test_weak_passwords_are_refused(db):
    for weak in ["123456", "password", "kieumau"]:
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_repeated_failures_lock_out_that_user_from_that_address(client, officer):
    for _ in range(4):
        assert log_in(client, officer.username, "wrong").status_code == 200
    # The fifth failure locks the account out, even with the right password.
    assert log_in(client, officer.username, "wrong").status_code == 429
    locked = log_in(client, officer.username)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    # Another address is not locked out.
    assert log_in(client, officer.username, ip="10.0.0.2").status_code == 302
    client.logout()
    # An administrator unlocks it in the admin: the attempts are removed.
    assert AccessAttempt.objects.filter(username=officer.username).exists()
    AccessAttempt.objects.filter(username=officer.username).delete()
    assert log_in(client, officer.username).status_code == 302


def test_the_lockout_message_is_vietnamese_by_default(client, officer):
    client.cookies["django_language"] = "vi"
    for _ in range(6):
        response = client.post(
            "/accounts/login/", {"username": officer.username, "password": "x"}
        )
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.text


def test_officers_need_no_second_factor(client, officer, enrolment):
    response = log_in(client, officer.username)
    assert response.status_code == 302
    assert client.get("/", follow=True).redirect_chain[-1][0].startswith("/wards/")


def test_a_reviewer_enrols_a_second_factor_then_uses_it(client, reviewer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after a wrong code here
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    log_in(client, reviewer.username)
    response = client.get("/review/")
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    setup = client.get("/accounts/2fa/setup/?next=/review/")
    assert "<svg" in setup.text and "otpauth" not in setup.text
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert client.post("/accounts/2fa/setup/", {"code": "000000"}).status_code == 400
    done = client.post(
        "/accounts/2fa/setup/", {"code": code_for(device), "next": "/review/"}
    )
    codes = done.context["codes"]
    assert len(codes) == 10
    assert client.get("/review/").status_code == 200

    # Next time: the code, or a recovery code that works only once.
    client.logout()
    log_in(client, reviewer.username)
    assert client.get("/review/").status_code == 302
    wrong = client.post("/accounts/2fa/", {"code": "123456"})
    assert wrong.status_code == 400 and "not right" in wrong.text
    assert client.post("/accounts/2fa/", {"code": codes[0]}).status_code == 302
    assert client.get("/review/").status_code == 200
    client.logout()
    log_in(client, reviewer.username)
    assert client.post("/accounts/2fa/", {"code": codes[0]}).status_code == 400


@pytest.mark.parametrize(
    "role", [Membership.Role.PROVINCIAL_LEADER, Membership.Role.NATIONAL_LEADER]
)
def test_leaders_need_the_second_factor(client, province, role):
    user = member(role, province=province if role == "provincial_leader" else None)
    log_in(client, user.username)
    assert "/accounts/2fa/" in client.get("/dashboard/")["Location"]


def test_administrators_need_it_for_the_admin(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    log_in(client, admin.username)
    assert "/accounts/2fa/" in client.get("/admin/")["Location"]


def test_an_administrator_resets_a_second_factor(admin_client, client, reviewer):
    log_in(client, reviewer.username)
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    client.post("/accounts/2fa/", {"code": code_for(device)})
    assert client.get("/review/").status_code == 200
    admin_client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [reviewer.pk]},
    )
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticToken.objects.filter(device__user=reviewer).exists()
    # The reset also signed the reviewer out everywhere.
    assert client.get("/review/").status_code == 302
    assert LogEntry.objects.filter(object_id=str(reviewer.pk)).exists()


def test_login_gives_a_new_session_key_and_logout_ends_it(client, officer):
    client.get("/accounts/login/")
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    log_in(client, officer.username)
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=after).exists()


def test_sessions_end_when_idle(client, officer, settings):
    assert settings.SESSION_COOKIE_AGE <= 3600
    log_in(client, officer.username)
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    assert client.get("/wards/")["Location"].startswith("/accounts/login/")


def test_an_active_session_is_renewed_once_a_minute_not_on_every_page(
    client, officer, settings
):
    log_in(client, officer.username)
    key = client.session.session_key
    soon = timezone.now() + dt.timedelta(seconds=10)
    Session.objects.filter(pk=key).update(expire_date=soon)
    # Read just after logging in: the session row is not written.
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/wards/").status_code == 200
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    assert Session.objects.get(pk=key).expire_date == soon
    # A minute on, the same read moves the expiry a whole idle time ahead.
    session = client.session
    session[RENEWED_AT] = int(time.time()) - settings.SESSION_RENEW_SECONDS
    session.save()
    Session.objects.filter(pk=key).update(expire_date=soon)
    assert client.get("/wards/").status_code == 200
    expires = Session.objects.get(pk=key).expire_date
    assert expires > timezone.now() + dt.timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 5
    )
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == (
        settings.SESSION_COOKIE_AGE
    )


def test_sessions_end_after_their_absolute_lifetime(client, officer, settings):
    log_in(client, officer.username)
    session = client.session
    session[LOGIN_AT] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get("/wards/")["Location"].startswith("/accounts/login/")


def test_deactivating_a_user_ends_all_their_sessions(
    client, officer, django_capture_on_commit_callbacks
):
    from django.test import Client

    other = Client()
    log_in(client, officer.username)
    log_in(other, officer.username, ip="10.0.0.9")
    assert Session.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        officer.is_active = False
        officer.save()
    assert Session.objects.count() == 0
    for browser in (client, other):
        assert browser.get("/wards/")["Location"].startswith("/accounts/login/")


def test_admin_changes_are_recorded_and_viewable(admin_client, enrolment):
    ward = enrolment.ward
    response = admin_client.post(
        f"/admin/wards/ward/{ward.pk}/change/",
        {
            "code": ward.code,
            "name": "Phường Mới",
            "kind": "phuong",
            "province": ward.province_id,
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Ward.objects.get(pk=ward.pk).name == "Phường Mới"
    entry = LogEntry.objects.get(object_id=str(ward.pk))
    with translation.override("en"):  # the message is told in the reader's language
        message = entry.get_change_message()
    assert entry.user.is_superuser and "name" in message.lower()
    listing = admin_client.get("/admin/admin/logentry/")
    assert "Phường Mới" in listing.text
    assert (
        admin_client.post(f"/admin/admin/logentry/{entry.pk}/delete/").status_code
        == 403
    )


def test_a_session_cannot_swap_in_another_authenticator(client, reviewer):
    client.force_login(reviewer)  # verified, with an authenticator
    response = client.get("/accounts/2fa/setup/")
    assert response.status_code == 302 and response["Location"].endswith("/2fa/")
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=False).exists()


def test_behind_a_proxy_one_client_cannot_lock_out_another(client, officer, settings):
    settings.TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"  # every request reaches the app from the proxy

    def attempt(forwarded, password="wrong"):
        return client.post(
            "/accounts/login/",
            {"username": officer.username, "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # An attacker at 203.0.113.9 fails five times, each time claiming to be
    # 198.51.100.7 (once with a quote that a lax parser would stumble on);
    # the proxy appends the address it really came from.
    for forged in ["198.51.100.7", '198.51.100.7, "'] * 2 + ["198.51.100.7"]:
        attempt(f"{forged}, 203.0.113.9")
    assert attempt("203.0.113.9", password="secret-pass-123").status_code == 429
    # The officer at 198.51.100.7, behind the same proxy, still gets in.
    response = attempt("198.51.100.7", password="secret-pass-123")
    assert response.status_code == 302


def test_an_authenticator_being_set_up_belongs_to_its_session(
    client, reviewer, settings
):
    """Someone else who knows the password cannot read the key being set up."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after a wrong code here
    other = type(client)()
    log_in(client, reviewer.username)
    log_in(other, reviewer.username, ip="10.0.0.9")
    mine = client.get("/accounts/2fa/setup/").context["secret"]
    theirs = other.get("/accounts/2fa/setup/").context["secret"]
    assert mine != theirs
    assert client.get("/accounts/2fa/setup/").context["secret"] == mine  # kept
    # A code of the other session's key does not confirm this session's.
    their_device = TOTPDevice.objects.get(pk=other.session["kieumau_pending_device"])
    response = client.post("/accounts/2fa/setup/", {"code": code_for(their_device)})
    assert response.status_code == 400
    my_device = TOTPDevice.objects.get(pk=client.session["kieumau_pending_device"])
    assert (
        client.post("/accounts/2fa/setup/", {"code": code_for(my_device)}).status_code
        == 200
    )
    # Confirmed: the other session's key is gone, and it has to use this one.
    assert not TOTPDevice.objects.filter(pk=their_device.pk).exists()
    assert other.get("/accounts/2fa/setup/")["Location"].endswith("/accounts/2fa/")
    # A code sent from the page it still had open: sent on to the check.
    late = other.post("/accounts/2fa/setup/", {"code": "123456"})
    assert late.status_code == 302 and late["Location"].endswith("/accounts/2fa/")


def test_passing_the_second_factor_gives_the_session_a_new_key(client, reviewer):
    log_in(client, reviewer.username)
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    before = client.session.session_key
    assert client.post("/accounts/2fa/", {"code": code_for(device)}).status_code == 302
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    # Still one record of the login, under the new key: "end all sessions" works.
    assert list(reviewer.sessions.values_list("session_key", flat=True)) == [after]
    assert client.get("/review/").status_code == 200


def test_during_the_wait_after_a_wrong_code_the_user_is_told_to_wait(
    client, reviewer, english
):
    log_in(client, reviewer.username)
    device = TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)
    wrong = client.post("/accounts/2fa/", {"code": "000000"})
    assert "not right" in wrong.text
    # The right code, at once: not checked yet, and the page says why.
    waiting = client.post("/accounts/2fa/", {"code": code_for(device)})
    assert waiting.status_code == 400
    assert "wait 1 second" in waiting.text and "not right" not in waiting.text


def test_the_client_address_is_what_the_outermost_proxy_saw(rf, settings):
    def address(forwarded, proxies):
        settings.TRUSTED_PROXIES = proxies
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        return client_address(request)

    assert address("203.0.113.9", 0) == "10.0.0.1"  # no proxy: the peer
    assert address("203.0.113.9", 1) == "203.0.113.9"
    assert address("6.6.6.6, 203.0.113.9", 1) == "203.0.113.9"
    assert address('6.6.6.6, ", 203.0.113.9', 1) == "203.0.113.9"
    assert address("6.6.6.6, 203.0.113.9, 10.0.0.5", 2) == "203.0.113.9"
    assert address("203.0.113.9", 2) == "10.0.0.1"  # too short: the proxy
    assert address("not-an-address", 1) == "10.0.0.1"
