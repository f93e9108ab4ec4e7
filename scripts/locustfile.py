"""Locust users for Kiểu Mẫu: officers, reviewers and leaders at once.

Run headless by scripts/load_test.py (`make load`, `make faults`), which
builds the accounts and wards first and passes them in a world file (--world),
serves the app under gunicorn with its task worker, and checks afterwards
what the server acknowledged.

Each simulated person signs in once through the real login (and second
factor), then works: officers read their ward and its criteria, upload small
files and submit; reviewers work the queue, reading a criterion before
approving or returning it; leaders open their province's dashboard, the
ward list, a ward, and export tables. The measured run starts when everyone
has signed in and lasts --window seconds; what was measured and acknowledged
is written to --results.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from django_otp.oath import TOTP
from locust import FastHttpUser, events, task
from locust.env import Environment

# One locust process is one thread of greenlets: plain shared state is safe.
WORLD: dict[str, Any] = {}
ACCOUNTS: dict[str, Iterator[Any]] = {}
LOG: list[tuple[str, int, float, bool]] = []  # name, status, ms, failed
FAILURES: list[tuple[str, int, str]] = []  # name, status, why; measured or not
ACKED_UPLOADS: list[tuple[int, str, str]] = []  # assessment, file name, SHA-256
DECISIONS: Counter[tuple[str, str]] = Counter()  # (criterion path, action)
ERRORS: list[str] = []
# Several app servers (--hosts): a person works on one and, when it stops
# answering, goes on with the next, as the proxy in front of them would.
HOSTS: list[str] = []
SWITCHES: list[tuple[str, str]] = []  # (from host, to host)
# Decisions whose answer never came: recorded or not, nobody was told.
UNANSWERED_DECISIONS: list[str] = []
STATE = {"signed_in": 0, "measuring": False, "think": 0.0, "people": 0}
SUCCESS = 'class="message success"'
QUEUE_LINK = re.compile(r'href="(/wards/[^"]+/\d+/\d+/)"')


@events.init_command_line_parser.add_listener
def _arguments(parser) -> None:
    parser.add_argument("--world", default="", help="the accounts and wards (JSON)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause between two tasks of one person, in seconds",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=0,
        help="seconds to measure once everyone has signed in, then stop",
    )
    parser.add_argument(
        "--results", default="", help="where to write what was measured (JSON)"
    )
    parser.add_argument(
        "--hosts",
        default="",
        help="app servers, comma-separated: people are spread over them",
    )


@events.init.add_listener
def _init(environment: Environment, **_kwargs) -> None:
    options = environment.parsed_options
    if options is None or not options.world:
        return
    WORLD.update(json.loads(Path(options.world).read_text()))
    STATE["think"] = options.think
    HOSTS.extend(host for host in options.hosts.split(",") if host)
    for user_class, role in [(Officer, "officers"), (Reviewer, "reviewers")]:
        user_class.fixed_count = len(WORLD[role])
        ACCOUNTS[role] = iter(WORLD[role])
    Leader.fixed_count = len(WORLD["leaders"])
    ACCOUNTS["leaders"] = iter(WORLD["leaders"])
    if options.window:
        gevent.spawn(_measure, environment, options.window, Path(options.results))


@events.request.add_listener
def _logged(name, response, exception, response_time, **_kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    if exception is not None:
        FAILURES.append((name, status, repr(exception)[:300]))
    if STATE["measuring"]:
        LOG.append((name, status, response_time, exception is not None))


@events.user_error.add_listener
def _user_error(user_instance, exception, **_kwargs) -> None:
    ERRORS.append(f"{type(user_instance).__name__}: {exception!r}")


def _measure(environment: Environment, window: float, results: Path) -> None:
    """Wait until everyone has signed in, measure `window` seconds, stop."""
    expected = sum(len(WORLD[role]) for role in ("officers", "reviewers", "leaders"))
    deadline = time.monotonic() + 300
    while STATE["signed_in"] < expected and time.monotonic() < deadline:
        if len(ERRORS) > 0:
            break
        gevent.sleep(0.05)
    environment.stats.reset_all()
    STATE["measuring"] = True
    started = time.monotonic()
    results.with_suffix(".started").touch()
    gevent.sleep(window)
    STATE["measuring"] = False
    elapsed = time.monotonic() - started
    results.with_suffix(".ended").touch()
    # Users finish the task they are in (--stop-timeout), so that what the
    # server did and what a person was told of stay the same.
    assert environment.runner is not None
    environment.runner.stop()
    results.write_text(
        json.dumps(
            {
                "elapsed": elapsed,
                "users": expected,
                "signed_in": STATE["signed_in"],
                "log": LOG,
                "failures": FAILURES,
                "acked_uploads": ACKED_UPLOADS,
                "decisions": [[*key, n] for key, n in DECISIONS.items()],
                "errors": ERRORS,
                "switches": SWITCHES,
                "unanswered_decisions": UNANSWERED_DECISIONS,
            }
        )
    )
    environment.runner.quit()


def location(answer) -> str:
    """Where a redirect leads ("" for any other answer)."""
    return (answer.headers or {}).get("Location") or ""


class Person(FastHttpUser):
    """A browser: cookies, a CSRF token, the real sign-in."""

    abstract = True
    role = ""
    # Through the proxy in front of gunicorn, each request comes on a new
    # connection (nginx's default); a browser's keep-alive ends at the proxy.
    default_headers = {"Connection": "close"}

    def wait_time(self) -> float:
        return random.uniform(0, 2 * STATE["think"])  # noqa: S311 - load pattern

    def on_start(self) -> None:
        try:
            self.account = next(ACCOUNTS[self.role])
        except StopIteration:
            raise RuntimeError(f"more {self.role} than accounts") from None
        if HOSTS:
            self.client.base_url = HOSTS[STATE["people"] % len(HOSTS)]
            STATE["people"] += 1
        self.sign_in()
        STATE["signed_in"] += 1

    @property
    def username(self) -> str:
        return self.account if isinstance(self.account, str) else self.account[0]

    def csrf_token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return cookie.value or ""
        return ""

    def get(self, path: str, name: str, *, expect: int = 200):
        """GET `path`; anything but `expect` (a sign-in page, say) is an error."""
        return self.answer("GET", path, name, expect=expect)

    def post(self, path: str, name: str, fields: dict[str, str]):
        """POST a form; the app answers a done form with a redirect."""
        body = urlencode({"csrfmiddlewaretoken": self.csrf_token(), **fields})
        return self.answer(
            "POST", path, name, body.encode(), "application/x-www-form-urlencoded"
        )

    def succeeded(self, path: str) -> bool:
        """Whether the page a form led back to says it was done."""
        return SUCCESS in (self.get(path, "criterion").text or "")

    def answer(self, method, path, name, body=None, content_type="", *, expect=302):
        headers = {"Content-Type": content_type} if content_type else {}
        with self.client.request(
            method,
            path,
            name=name,
            data=body,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != expect:
                answer.failure(
                    f"{method} {self.client.base_url}{path}: "
                    f"{answer.status_code} {location(answer)}"
                )
        if not answer.status_code and len(HOSTS) > 1:
            self.switch_host()
        return answer

    def switch_host(self) -> None:
        """The server did not answer: go on with the next one."""
        here = self.client.base_url
        there = HOSTS[(HOSTS.index(here) + 1) % len(HOSTS)] if here in HOSTS else ""
        if there:
            self.client.base_url = there
            SWITCHES.append((here, there))

    def sign_in(self) -> None:
        self.get("/accounts/login/", "login")
        fields = {"username": self.username, "password": WORLD["password"]}
        if self.post("/accounts/login/", "login", fields).status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in")
        if "/accounts/2fa/" in location(self.get("/", "login", expect=302)):
            self.get("/accounts/2fa/", "login")
            code = TOTP(binascii.unhexlify(WORLD["totp_key"])).token()
            fields = {"code": f"{code:06d}"}
            if self.post("/accounts/2fa/", "login", fields).status_code != 302:
                raise RuntimeError(f"{self.username}: second factor refused")


class Officer(Person):
    """A ward's officer: reads the ward and its criteria, uploads, submits."""

    role = "officers"

    @property
    def ward(self) -> str:
        return WORLD["ward_of"][self.username]

    @property
    def criteria(self) -> list[list[Any]]:
        return self.account[1]

    @task(1)
    def home(self) -> None:
        """The landing page sends an officer on to their ward."""
        landing = location(self.get("/", "home", expect=302))
        self.get(landing or f"/wards/{self.ward}/", "ward")

    @task(2)
    def read_ward(self) -> None:
        self.get(f"/wards/{self.ward}/", "ward")

    @task(4)
    def read_criterion(self) -> None:
        _assessment, path = random.choice(self.criteria)  # noqa: S311
        self.get(path, "criterion")

    @task(2)
    def upload(self) -> None:
        """A small PDF; half of the time, submit the criterion afterwards."""
        assessment, path = random.choice(self.criteria)  # noqa: S311
        content = b"%PDF-1.4\n% " + secrets.token_hex(16).encode() + b"\n"
        name = f"minh-chung-{secrets.token_hex(4)}.pdf"
        boundary = secrets.token_hex(12)
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="csrfmiddlewaretoken"\r\n\r\n{self.csrf_token()}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        body += content + f"\r\n--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
        sent = self.answer("POST", path + "upload/", "upload", body, content_type)
        # Refused because the criterion is submitted or decided: the page
        # says so, without the success message.
        if sent.status_code != 302 or not self.succeeded(path):
            return
        ACKED_UPLOADS.append((assessment, name, hashlib.sha256(content).hexdigest()))
        if random.random() < 0.5:  # noqa: S311
            self.post(path + "submit/", "submit", {})
            self.get(path, "criterion")


class Reviewer(Person):
    """A provincial reviewer: the queue, a criterion, a decision."""

    role = "reviewers"

    @task(1)
    def look_at_queue(self) -> None:
        self.get("/review/", "queue")

    @task(3)
    def decide(self) -> None:
        paths = QUEUE_LINK.findall(self.get("/review/", "queue").text or "")
        if not paths:
            return
        path = random.choice(paths[:10])  # noqa: S311
        self.get(path, "criterion")
        action = random.choice(["approve", "approve", "return"])  # noqa: S311
        fields = {"reason": "Cần bổ sung."}
        sent = self.post(f"{path}{action}/", "decision", fields)
        if not sent.status_code:
            UNANSWERED_DECISIONS.append(path)
        if sent.status_code != 302:
            return
        # Another reviewer may have decided it meanwhile: no success message.
        page = self.get(path, "criterion")
        if not page.status_code:
            UNANSWERED_DECISIONS.append(path)
        elif SUCCESS in (page.text or ""):
            DECISIONS[(path, action)] += 1


class Leader(Person):
    """A provincial leader: the dashboard, the wards, the exports."""

    role = "leaders"

    @property
    def province(self) -> str:
        return WORLD["province"]

    @task(4)
    def dashboard(self) -> None:
        self.get(f"/dashboard/{self.province}/", "dashboard")

    @task(2)
    def ward_list(self) -> None:
        self.get("/wards/", "ward list")

    @task(2)
    def read_ward(self) -> None:
        ward = random.choice(list(WORLD["ward_of"].values()))  # noqa: S311
        self.get(f"/wards/{ward}/", "ward")

    @task(1)
    def export_csv(self) -> None:
        self.get(f"/dashboard/export/wards.csv?province={self.province}", "export csv")

    @task(1)
    def export_xlsx(self) -> None:
        path = f"/dashboard/export/heatmap.xlsx?province={self.province}"
        self.get(path, "export xlsx")
