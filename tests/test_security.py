import pytest
from django.test import override_settings

from tests.factories import UserFactory


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_no_page_loads_anything_from_elsewhere(client, national, enrolment):
    client.force_login(national)
    for url in [
        "/accounts/login/",
        "/wards/",
        "/dashboard/",
        f"/wards/{enrolment.ward.code}/",
    ]:
        text = client.get(url, follow=True).text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
        assert "<style" not in text and " style=" not in text
        assert "<script>" not in text


@pytest.mark.django_db
@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_production_requires_https_and_secure_cookies(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # probes stay on HTTP
    secure = client.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert "max-age=31536000" in secure["Strict-Transport-Security"]
    user = UserFactory()
    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "secret-pass-123"},
        headers={"x-forwarded-proto": "https"},
    )
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["secure"]


@pytest.mark.django_db
def test_signed_in_pages_are_never_kept_by_caches(
    client, national, enrolment, reviewer
):
    """Shared caches and the back button must not keep what a signed-in user saw."""
    assessment = enrolment.assessments.get(criterion__number=1)
    client.force_login(national)
    urls = [
        "/",
        "/wards/",
        f"/wards/{enrolment.ward.code}/",
        f"/wards/{enrolment.ward.code}/dossier/",
        assessment.get_absolute_url(),
        "/dashboard/",
        "/dashboard/trend/",
        "/dashboard/export/provinces.csv",
        "/dashboard/export/provinces.xlsx",
        "/no-such-page/",
    ]
    for url in urls:
        response = client.get(url)
        cache = response.get("Cache-Control", "")
        assert "private" in cache and "no-store" in cache, (url, cache)
    # Before the second factor too: the set-up page shows the key.
    client.unverified_login(reviewer)
    response = client.get("/accounts/2fa/setup/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
