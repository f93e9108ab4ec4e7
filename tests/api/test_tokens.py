"""Personal access tokens: made and revoked on /accounts/tokens/, checked by the API."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from access.models import Membership
from accounts.models import ApiToken
from accounts.tokens import (
    LAST_USED_PRECISION,
    MAX_DAYS,
    digest_of,
    issue_token,
    revoke_token,
)
from tests.factories import EnrolmentFactory, UserFactory, api_token, bearer, member

Role = Membership.Role
URL = "/api/v1/enrolments"


@pytest.fixture
def in_english(client):
    """The client chose English, so messages are matched as written."""
    client.cookies["django_language"] = "en"


@pytest.fixture
def officer(db):
    enrolment = EnrolmentFactory()
    return member(Role.OFFICER, ward=enrolment.ward)


def test_a_token_opens_the_api(client, officer):
    response = client.get(URL, headers=bearer(api_token(officer)))
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_only_the_digest_is_stored(officer):
    issued = issue_token(user=officer, name="báo cáo", days=30)
    assert re.fullmatch(r"km_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", issued.secret)
    row = ApiToken.objects.get()
    assert row.digest == digest_of(issued.secret)
    assert issued.secret not in {row.digest, row.prefix, row.name}
    assert issued.secret.startswith(f"km_{row.prefix}_")
    assert row.expires_at - row.created_at == dt.timedelta(days=30)


@pytest.mark.parametrize("days", [0, -1, MAX_DAYS + 1])
def test_a_token_lasts_at_most_a_year(officer, days):
    with pytest.raises(ValueError):
        issue_token(user=officer, name="x", days=days)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer km_00000000_nothing",
        "Bearer not-a-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "km_00000000_nothing",
    ],
)
def test_a_wrong_token_is_a_401(client, officer, header):
    api_token(officer)
    response = client.get(URL, headers={"Authorization": header})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_right_prefix_with_a_wrong_secret_is_a_401(client, officer):
    secret = api_token(officer)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert client.get(URL, headers=bearer(forged)).status_code == 401


def test_an_expired_token_is_a_401(client, officer, in_english):
    secret = api_token(officer, days=30)
    token = ApiToken.objects.get()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    response = client.get(URL, headers=bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has expired."}


def test_a_revoked_token_is_a_401(client, officer, in_english):
    secret = api_token(officer)
    assert client.get(URL, headers=bearer(secret)).status_code == 200
    assert revoke_token(ApiToken.objects.get()) is True
    assert revoke_token(ApiToken.objects.get()) is False  # once is enough
    response = client.get(URL, headers=bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has been revoked."}


def test_a_deactivated_users_token_is_a_401(client, officer):
    secret = api_token(officer)
    officer.is_active = False
    officer.save()
    assert client.get(URL, headers=bearer(secret)).status_code == 401


def test_last_used_is_noted_now_and_then(client, officer):
    secret = api_token(officer)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    client.get(URL, headers=bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(URL, headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first  # not written on every request
    earlier = first - LAST_USED_PRECISION
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    client.get(URL, headers=bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at > first


# The page


def test_the_page_needs_a_login(client):
    response = client.get("/accounts/tokens/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_token_is_made_and_shown_once(client, officer, in_english):
    client.force_login(officer)
    response = client.post(
        "/accounts/tokens/", {"name": "Script of the province", "days": "90"}
    )
    # Posted, then led back to the page: reloading it makes no second token.
    assert (response.status_code, response["Location"]) == (302, "/accounts/tokens/")
    response = client.get("/accounts/tokens/")
    secret = re.search(r"km_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", response.text).group(0)
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=officer)
    assert token.name == "Script of the province"
    assert token.expires_at - token.created_at == dt.timedelta(days=90)
    assert client.get(URL, headers=bearer(secret)).status_code == 200
    # Listed afterwards by its prefix, never again in full.
    page = client.get("/accounts/tokens/")
    assert f"km_{token.prefix}_" in page.text
    assert secret not in page.text
    assert "Script of the province" in page.text
    assert "private" in page["Cache-Control"] and "no-store" in page["Cache-Control"]


@pytest.mark.parametrize(
    "data", [{"name": "", "days": "30"}, {"name": "x", "days": "400"}, {"name": "x"}]
)
def test_a_wrong_form_makes_no_token(client, officer, data):
    client.force_login(officer)
    response = client.post("/accounts/tokens/", data)
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_the_page_lists_only_ones_own_tokens(client, officer):
    other = member(Role.OFFICER, ward=EnrolmentFactory().ward)
    issue_token(user=other, name="someone else's", days=30)
    client.force_login(officer)
    assert "someone else" not in client.get("/accounts/tokens/").text


def test_a_token_is_revoked_by_its_user(client, officer, in_english):
    secret = api_token(officer)
    token = ApiToken.objects.get()
    client.force_login(officer)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert response.status_code == 200
    assert "no longer opens the API" in response.text
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(URL, headers=bearer(secret)).status_code == 401


def test_another_users_token_cannot_be_revoked(client, officer):
    other = member(Role.OFFICER, ward=EnrolmentFactory().ward)
    secret = api_token(other)
    token = ApiToken.objects.get()
    client.force_login(officer)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.get(URL, headers=bearer(secret)).status_code == 200


def test_revoking_takes_a_post(client, officer):
    api_token(officer)
    client.force_login(officer)
    token = ApiToken.objects.get()
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405


def test_an_administrator_revokes_a_token(client, officer):
    secret = api_token(officer)
    token = ApiToken.objects.get()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200
    assert token.prefix in listing.text and secret not in listing.text
    client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(URL, headers=bearer(secret)).status_code == 401
