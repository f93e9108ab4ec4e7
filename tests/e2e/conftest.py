"""Browser journeys: Playwright drives Debian's Chromium against a live server.

Playwright cannot download browsers here, so it launches the system's
Chromium (`CHROMIUM_PATH`, or `chromium` on PATH). Without one, these tests
skip and say how to install it; CI installs it and allows no skip.
"""

import os
import shutil

import pytest
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop

PASSWORD = "kieumau-demo"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH")
    if path:
        return path if os.path.exists(path) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip(
            "Chromium is not installed: apt install chromium (or set CHROMIUM_PATH)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db, settings):
    settings.DEMO_PASSWORD = PASSWORD
    # Only the official units of the demo's provinces: loaded for every test.
    call_command("setup_demo", only_demo_provinces=True, verbosity=0)


@pytest.fixture
def open_page(browser, live_server, demo):
    """A function that opens a fresh browser tab, optionally signed in."""
    contexts = []
    violations: list[str] = []

    def open_page(username=None, *, phone=False, javascript=True):
        options = {"viewport": {"width": 390, "height": 844}} if phone else {}
        options["accept_downloads"] = True
        options["java_script_enabled"] = javascript
        context = browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        if username:
            log_in(page, username)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert violations == [], "the page broke its Content Security Policy"


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not log in"
    if "/accounts/2fa/" in page.url:
        page.fill("input[name=code]", current_code(username))
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()
        assert "/accounts/2fa/" not in page.url, f"{username}: second factor refused"


def current_code(username: str) -> str:
    """This 30-second window's code; a recovery code if it was used already."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.second_factor import current_code as code_of

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    clock = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t < clock.t():
        return code_of(device)
    static, _created = StaticDevice.objects.get_or_create(
        user=device.user, name="Recovery codes"
    )
    return static.token_set.create(token=StaticToken.random_token()).token


def log_out(page) -> None:
    page.click("form.logout button")
    page.wait_for_url("**/accounts/login/")
