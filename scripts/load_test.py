"""Load test: officers upload, reviewers decide, leaders read, all at once.

Runs the app under gunicorn on a loopback port against the database in
DATABASE_URL (PostgreSQL, where `make load` creates and drops a throwaway
one; or an SQLite file, the default of `make run`, as `make faults` does),
with simulated users for a bounded time and number of requests, then checks
what the server acknowledged: no 5xx, every acknowledged upload stored with
its SHA-256, every decision a reviewer was told succeeded recorded exactly
once, and every assessment's history a legal chain of transitions. Prints
requests, errors and latency percentiles. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, gunicorn, verdict, wait_for  # noqa: E402

PASSWORD = "load-test-pass-2026"  # noqa: S105 - throwaway accounts
TOTP_HEX = "3132333435363738393031323334353637383930"
MAX_REQUESTS = 50_000


class Browser:
    """One simulated person: a connection, cookies, and a log of requests."""

    def __init__(self, port: int, log: list, lock: threading.Lock):
        self.port, self.log, self.lock = port, log, lock
        self.cookies: dict[str, str] = {"django_language": "en"}

    def request(self, method, path, body=b"", headers=None, kind="page"):
        headers = dict(headers or {})
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.setdefault("Referer", f"http://127.0.0.1:{self.port}{path}")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except OSError:
            data, status, response = b"", 599, None
        finally:
            conn.close()
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.log.append((kind, status, elapsed))
        if response is not None:
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return (
                status,
                response.getheader("Location", ""),
                data.decode("utf-8", "replace"),
            )
        return status, "", ""

    def get(self, path, kind="page"):
        return self.request("GET", path, kind=kind)

    def post(self, path, fields, kind="post"):
        fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        return self.request(
            "POST",
            path,
            urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
            kind,
        )

    def log_in(self, username: str, totp_code=None) -> None:
        self.get("/accounts/login/", kind="login")
        status, location, _ = self.post(
            "/accounts/login/", {"username": username, "password": PASSWORD}, "login"
        )
        if status != 302:
            raise RuntimeError(f"{username} could not log in ({status})")
        if totp_code is not None:
            status, location, _ = self.get("/", kind="login")
            if "/accounts/2fa/" in location:
                self.get("/accounts/2fa/", kind="login")
                status, _, _ = self.post(
                    "/accounts/2fa/", {"code": totp_code()}, "login"
                )
                if status != 302:
                    raise RuntimeError(f"{username}: second factor refused ({status})")

    def upload(self, path: str, name: str, content: bytes):
        boundary = secrets.token_hex(12)
        token = self.cookies.get("csrftoken", "")
        parts = [
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: application/pdf\r\n\r\n',
        ]
        body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request(
            "POST",
            path + "upload/",
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
            "upload",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--officers", type=int, default=8)
    parser.add_argument("--reviewers", type=int, default=3)
    parser.add_argument("--leaders", type=int, default=3)
    parser.add_argument(
        "--mail",
        choices=["files", "hung"],
        default="files",
        help="where the worker sends mail: files, or a server that never answers",
    )
    args = parser.parse_args()
    mail_dir = Path(tempfile.mkdtemp(prefix="kieumau-load-mail-"))
    if args.mail == "files":
        os.environ.update(
            EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
            EMAIL_FILE_PATH=str(mail_dir),
        )
    else:
        os.environ.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(hung_mail_server()),
            EMAIL_TIMEOUT="1",
            MAIL_RETRY_MINUTES="0.02,0.02",
        )
    os.environ["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite" and "memory" in str(
        connection.settings_dict["NAME"]
    ):
        print(
            "The load test needs a database file or server (DATABASE_URL).",
            file=sys.stderr,
        )
        return 2
    world = build_world(args.officers, args.reviewers, args.leaders)
    connection.close()

    port = free_port()
    server = gunicorn(port, workers=2, log_level="warning")
    worker = subprocess.Popen(  # noqa: S603 - our own task worker
        [sys.executable, "manage.py", "worker", "--verbosity", "0"],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    log: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    acked_uploads: list[tuple[int, str, str]] = []
    decisions: Counter = Counter()
    errors: list[str] = []
    deadline = time.monotonic() + args.seconds
    try:
        wait_for(port)

        def running() -> bool:
            return time.monotonic() < deadline and len(log) < MAX_REQUESTS

        def officer(username, criteria):
            browser = Browser(port, log, lock)
            browser.log_in(username)
            rng = random.Random(username)  # noqa: S311 - load pattern
            while running():
                assessment_id, path = rng.choice(criteria)
                content = b"%PDF-1.4\n% " + secrets.token_hex(16).encode() + b"\n"
                name = f"minh-chung-{secrets.token_hex(4)}.pdf"
                status, location, _ = browser.upload(path, name, content)
                if status == 302 and location.endswith(path):
                    # Refused because the criterion changed meanwhile: the
                    # page says so, without the success message.
                    _, _, page = browser.get(location)
                    if 'class="message success"' not in page:
                        continue
                    with lock:
                        acked_uploads.append(
                            (assessment_id, name, hashlib.sha256(content).hexdigest())
                        )
                    browser.post(path + "submit/", {}, "submit")
                browser.get(path)

        def reviewer(username):
            browser = Browser(port, log, lock)
            browser.log_in(username, totp_code=lambda: current_code(username))
            rng = random.Random(username)  # noqa: S311 - load pattern
            while running():
                _, _, page = browser.get("/review/", kind="queue")
                paths = re.findall(r'href="(/wards/[^"]+/\d+/\d+/)"', page)
                if not paths:
                    time.sleep(0.05)
                    continue
                path = rng.choice(paths[:10])
                action = rng.choice(["approve", "approve", "return"])
                status, location, _ = browser.post(
                    f"{path}{action}/", {"reason": "Cần bổ sung."}, "decision"
                )
                if status != 302:
                    continue
                _, _, result = browser.get(location)
                if 'class="message success"' in result:
                    with lock:
                        decisions[(path, action)] += 1

        def leader(username, code):
            browser = Browser(port, log, lock)
            browser.log_in(username, totp_code=lambda: current_code(username))
            while running():
                browser.get(f"/dashboard/{code}/", kind="dashboard")
                browser.get("/wards/", kind="dashboard")
                browser.get(
                    f"/dashboard/export/wards.csv?province={code}", kind="export"
                )

        threads = [
            threading.Thread(target=guard(officer, errors), args=(u, c))
            for u, c in world["officers"]
        ]
        threads += [
            threading.Thread(target=guard(reviewer, errors), args=(u,))
            for u in world["reviewers"]
        ]
        threads += [
            threading.Thread(target=guard(leader, errors), args=(u, world["province"]))
            for u in world["leaders"]
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        drain_tasks(seconds=60 if args.mail == "files" else 10)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    report(log, elapsed, len(threads))
    problems = verify(log, acked_uploads, decisions, world) + errors
    problems += verify_mail(world, mail_dir, hung=args.mail == "hung")
    return verdict("load test", problems)


def guard(function, errors):
    def run(*args):
        try:
            function(*args)
        except Exception as exc:  # noqa: BLE001 - reported as a failure
            errors.append(f"{function.__name__} {args[0]}: {exc!r}")

    return run


def build_world(officers: int, reviewers: int, leaders: int) -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from access.models import Membership
    from accounts.models import User
    from assessments.services import enrol_ward, import_criteria_file
    from criteria.fileformat import ILLUSTRATIVE_SET as CRITERIA_FILE
    from wards.models import Province, Ward

    criteria_set = import_criteria_file(CRITERIA_FILE).criteria_set
    suffix = secrets.token_hex(3)
    province = Province.objects.create(code=f"L{suffix[:5]}", name=f"Tỉnh tải {suffix}")
    world = {"province": province.code, "officers": [], "reviewers": [], "leaders": []}
    for i in range(officers):
        ward = Ward.objects.create(
            code=f"L{suffix[:3]}{i:03d}", name=f"Phường tải {i}", province=province
        )
        enrolment = enrol_ward(
            ward=ward, year=2026, criteria_set=criteria_set, track="ministry"
        )
        username = f"load-officer-{suffix}-{i}"
        user = User.objects.create_user(
            username, email=f"{username}@example.invalid", password=PASSWORD
        )
        Membership.objects.create(user=user, role="officer", ward=ward)
        criteria = [
            (a.pk, f"/wards/{ward.code}/2026/{a.criterion.number}/")
            for a in enrolment.assessments.select_related("criterion").filter(
                criterion__assessed="anytime"
            )
        ]
        world["officers"].append((user.username, criteria))
    for role, count, key in [
        ("reviewer", reviewers, "reviewers"),
        ("provincial_leader", leaders, "leaders"),
    ]:
        for i in range(count):
            username = f"load-{key}-{suffix}-{i}"
            user = User.objects.create_user(
                username, email=f"{username}@example.invalid", password=PASSWORD
            )
            Membership.objects.create(user=user, role=role, province=province)
            TOTPDevice.objects.create(
                user=user, name="load", key=TOTP_HEX, confirmed=True
            )
            world[key].append(user.username)
    world["province_id"] = province.pk
    return world


def current_code(username: str) -> str:
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.second_factor import current_code as code_of

    device = TOTPDevice.objects.get(user__username=username)
    connection.close()
    return code_of(device)


def report(log, elapsed: float, users: int) -> None:
    statuses = Counter(status for _kind, status, _ms in log)
    times = sorted(ms for _kind, _status, ms in log)
    kinds = Counter(kind for kind, _status, _ms in log)

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))] if times else 0.0

    print(f"{users} simulated users for {elapsed:.1f} s on loopback")
    print(
        f"requests: {len(log)} ({len(log) / max(elapsed, 0.001):.1f}/s); "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    )
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    if times:
        print(
            f"latency ms: median {statistics.median(times):.1f}, p95 {pct(0.95):.1f}, "
            f"p99 {pct(0.99):.1f}, max {times[-1]:.1f}"
        )


def hung_mail_server() -> int:
    """A mail server on loopback that accepts and never answers; its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held = []

    def accept():
        while True:
            held.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1]


def drain_tasks(seconds: float) -> None:
    """Wait (bounded) for the worker to run every task that is due."""
    from django.conf import settings
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # The periodic jobs (the sweep, the calendar) are always waiting.
        tasks = DBTaskResult.objects.exclude(task_path__in=settings.WORKER_SCHEDULE)
        due = tasks.ready().exists() or tasks.filter(status="RUNNING").exists()
        connection.close()
        if not due:
            return
        time.sleep(0.5)


def verify_mail(world, mail_dir: Path, *, hung: bool) -> list[str]:
    """Every review event that notifies has its mail sent, or waiting for a
    retry, or recorded as failed: none is lost, and none sent twice."""
    from django_tasks_db.models import DBTaskResult

    from assessments.models import ReviewEvent

    events = set(
        ReviewEvent.objects.filter(
            assessment__enrolment__ward__province_id=world["province_id"],
            action__in=["submit", "approve", "return", "revoke"],
        ).values_list("pk", flat=True)
    )
    results = DBTaskResult.objects.filter(task_path__endswith="notify_event")
    by_event = defaultdict(list)
    for result in results:
        by_event[result.args_kwargs["kwargs"]["event_id"]].append(result.status)
    problems = []
    lost = events - set(by_event)
    if lost:
        problems.append(f"{len(lost)} notifying events have no mail task")
    statuses = Counter(s for chain in by_event.values() for s in chain)
    if hung:
        print(
            f"mail: {len(events)} events; tasks {dict(statuses)} (waiting for a "
            f"retry, or recorded as failed); {len(lost)} lost"
        )
        return problems
    sent = sum(
        1 for r in results if r.status == "SUCCESSFUL" and (r.return_value or 0) > 0
    )
    messages = sum(
        path.read_text(errors="replace").count("\nSubject: ")
        for path in mail_dir.glob("*.log")
    )
    if statuses.get("FAILED") or statuses.get("READY"):
        problems.append(f"mail tasks not done: {dict(statuses)}")
    if messages < sent:
        problems.append(f"{sent} mails sent by the worker, {messages} written")
    print(
        f"mail: {len(events)} events, {sent} mail tasks done, {messages} messages "
        f"written, {len(lost)} lost"
    )
    return problems


def verify(log, acked_uploads, decisions, world) -> list[str]:
    from django.core.files.storage import default_storage

    from assessments.models import Assessment, Evidence, ReviewEvent
    from ops.integrity import sha256_of

    problems = []
    server_errors = [s for _k, s, _ms in log if s >= 500]
    if server_errors:
        problems.append(f"{len(server_errors)} responses were 5xx or failed")
    if not acked_uploads:
        problems.append("no upload was acknowledged")
    for assessment_id, name, sha in acked_uploads:
        row = Evidence.objects.filter(
            assessment_id=assessment_id, original_name=name, sha256=sha
        ).first()
        if row is None:
            problems.append(f"acknowledged upload {name} is not in the database")
        elif sha256_of(default_storage, row.file.name) != sha:
            problems.append(f"stored file of {name} does not match its SHA-256")
    events = ReviewEvent.objects.filter(
        assessment__enrolment__ward__province_id=world["province_id"]
    ).order_by("assessment_id", "created_at", "pk")
    told = sum(decisions.values())
    recorded = events.filter(action__in=["approve", "return"]).count()
    if told != recorded:
        problems.append(f"reviewers were told of {told} decisions, {recorded} recorded")
    chains: dict[int, list] = defaultdict(list)
    for event in events:
        chains[event.assessment_id].append(event)
    for assessment_id, chain in chains.items():
        status = "not_started"
        for event in chain:
            if event.from_status != status:
                problems.append(f"assessment {assessment_id}: broken history")
                break
            status = event.to_status
        else:
            if Assessment.objects.get(pk=assessment_id).status != status:
                problems.append(
                    f"assessment {assessment_id}: status and history differ"
                )
    print(
        f"verified: {len(acked_uploads)} acknowledged uploads, {told} decisions, "
        f"{len(chains)} assessment histories"
    )
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
