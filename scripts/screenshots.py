"""Screenshots of every main page, desktop and phone, into screenshots/.

Serves the local (demo) database with runserver on a free loopback port and
drives Debian's Chromium with Playwright. Run by `make screenshots`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, wait_for  # noqa: E402

OUT = ROOT / "screenshots"
PASSWORD = os.environ.get("DEMO_PASSWORD", "kieumau-demo")
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
# The demo's current year is the year it was loaded in.
YEAR = dt.date.today().year
WARD = "/wards/14797/"  # Phường Hạc Thành, the demo officer's unit
PAGES = [
    (None, "login", "/accounts/login/"),
    ("demo-officer", "officer-ward", WARD),
    ("demo-officer", "officer-criterion", f"{WARD}{YEAR}/10/"),
    ("demo-officer", "officer-dossier", f"{WARD}dossier/"),
    # Phường An Hưng's 2023 record, which Hạc Thành's people read.
    ("demo-officer", "officer-former-unit", "/wards/16435/?year=2023"),
    ("demo-reviewer", "reviewer-queue", "/review/"),
    ("demo-reviewer", "reviewer-criterion", f"{WARD}{YEAR}/10/"),
    ("demo-leader", "leader-province", "/dashboard/01/"),
    ("demo-leader", "leader-wards", "/wards/"),
    ("demo-leader", "leader-trend", "/dashboard/trend/"),
    ("demo-national", "national-dashboard", "/dashboard/"),
    ("demo-national", "national-wards", "/wards/"),
    (None, "help", "/help/"),
    (None, "password-reset", "/accounts/password-reset/"),
    ("demo-admin", "admin", "/admin/"),
]


def main() -> int:
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        print("Chromium is not installed: apt install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own dev server
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(exist_ok=True)
    try:
        wait_for(port)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            # Each account signs in once; its session serves both sizes, so
            # a second-factor code (which works once) is not needed twice.
            sessions: dict[str, dict] = {}
            for size, (width, height) in SIZES.items():
                for username in dict.fromkeys(user for user, _n, _u in PAGES):
                    context = browser.new_context(
                        base_url=base,
                        viewport={"width": width, "height": height},
                        storage_state=sessions.get(username or ""),
                    )
                    page = context.new_page()
                    if username and username not in sessions:
                        log_in(page, username)
                        sessions[username] = context.storage_state()
                    for user, name, url in PAGES:
                        if user != username:
                            continue
                        page.goto(url)
                        if username and "/accounts/" in page.url:
                            raise SystemExit(f"{username} is not signed in at {url}")
                        path = OUT / f"{name}-{size}.png"
                        page.screenshot(path=str(path), full_page=True)
                        print(path.relative_to(ROOT))
                    context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


def log_in(page, username: str) -> None:
    """Sign `username` in, with a second-factor code when one is asked for.

    A code works once: if the current one was just used (by an earlier run),
    wait for the next one and try again.
    """
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()
    used = None
    deadline = time.monotonic() + 75
    while "/accounts/2fa/" in page.url:
        if time.monotonic() > deadline:
            raise SystemExit(f"{username}: the second-factor code was refused")
        code = demo_code(username)
        if code == used:
            time.sleep(1)
            continue
        page.fill("input[name=code]", code)
        page.click("form.stacked button[type=submit]")
        page.wait_for_load_state()
        used = code
    if "/accounts/login/" in page.url:
        raise SystemExit(f"{username} could not sign in")


def demo_code(username: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "demo_code", username],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
