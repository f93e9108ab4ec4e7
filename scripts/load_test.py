"""Load test: officers upload, reviewers decide, leaders read, all at once.

Serves the app under gunicorn with its shipped settings (config/gunicorn.py)
and the task worker, on a loopback port, against the database in DATABASE_URL
(PostgreSQL, where `make load` creates and drops a throwaway one; or an SQLite
file, as `make faults` does). Simulated people (scripts/locustfile.py, run
headless by locust) sign in, then work for --seconds; afterwards it checks
what the server acknowledged: no failed request (no 5xx, no 4xx, no refused
connection), every acknowledged upload stored with its SHA-256, every
decision a reviewer was told of recorded exactly once, every mail sent (or
waiting for a retry), every assessment's history a legal chain of
transitions, and the stored progress equal to a recount. Prints requests/s,
latency percentiles overall and per kind of request, and the CPU each
request cost the web processes and PostgreSQL. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import runpy
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, verdict, wait_for  # noqa: E402

PASSWORD = "load-test-pass-2026"  # noqa: S105 - throwaway accounts
TOTP_HEX = "3132333435363738393031323334353637383930"
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.py"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Mean pause of a simulated person between two tasks (scripts/locustfile.py):
# none, so that a few people keep the two cores busy and the run measures what
# the server can do (and SQLite gets its writers at once in `make faults`).
THINK_SECONDS = 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=60, help="measured, after everyone signed in"
    )
    parser.add_argument("--officers", type=int, default=8)
    parser.add_argument("--reviewers", type=int, default=3)
    parser.add_argument("--leaders", type=int, default=3)
    parser.add_argument(
        "--think",
        type=float,
        default=THINK_SECONDS,
        help="mean pause of a person between two tasks, in seconds",
    )
    parser.add_argument(
        "--mail",
        choices=["files", "hung"],
        default="files",
        help="where the worker sends mail: files, or a server that never answers",
    )
    args = parser.parse_args()
    # The world, locust's results and log, and the mails: removed at the end.
    work = Path(tempfile.mkdtemp(prefix="kieumau-load-"))
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    """Serve, load, measure, check; the exit status."""
    mail_dir = work / "mail"
    mail_dir.mkdir()
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
    world_file = work / "world.json"
    world_file.write_text(json.dumps(world))
    results = work / "results.json"

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server
        [
            sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG),
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "config.wsgi:application",
        ],
        cwd=ROOT,
    )  # fmt: skip
    worker = subprocess.Popen(  # noqa: S603 - our own task worker
        [sys.executable, "manage.py", "worker", "--verbosity", "0"], cwd=ROOT
    )
    people = len(world["officers"]) + len(world["reviewers"]) + len(world["leaders"])
    locust_log = work / "locust.log"
    usage = Usage()
    try:
        wait_for(port)
        with locust_log.open("w") as log_file:
            client = subprocess.Popen(  # noqa: S603 - locust, on loopback
                [
                    sys.executable, "-m", "locust", "--locustfile",
                    str(ROOT / "scripts" / "locustfile.py"), "--headless",
                    "--host", f"http://127.0.0.1:{port}", "--users", str(people),
                    "--spawn-rate", str(people), "--stop-timeout", "60",
                    "--only-summary", "--loglevel", "WARNING",
                    "--world", str(world_file), "--think", str(args.think),
                    "--window", str(args.seconds), "--results", str(results),
                ],
                cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
            usage = measure(
                client,
                started=results.with_suffix(".started"),
                ended=results.with_suffix(".ended"),
                pids={
                    "gunicorn": server.pid,
                    "worker": worker.pid,
                    "locust": client.pid,
                },
                timeout=args.seconds + 420,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        usage.sessions_after = database_sessions()
        drain_tasks(seconds=60 if args.mail == "files" else 10)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    if not results.exists():
        print(locust_log.read_text()[-4000:])
        return verdict("load test", ["locust wrote no results"])
    measured = json.loads(results.read_text())
    log = [tuple(entry) for entry in measured["log"]]
    report(log, measured["elapsed"], measured["users"], usage, args.think)
    acked_uploads = [tuple(entry) for entry in measured["acked_uploads"]]
    decisions = Counter(
        {(path, action): n for path, action, n in measured["decisions"]}
    )
    problems = verify(measured["failures"], acked_uploads, decisions, world)
    problems += measured["errors"]
    if measured["signed_in"] < measured["users"]:
        problems.append(
            f"{measured['users'] - measured['signed_in']} people could not sign in"
        )
    problems += verify_mail(world, mail_dir, hung=args.mail == "hung")
    problems += recount()
    if problems:
        print(locust_log.read_text()[-4000:])
    return verdict("load test", problems)


class Browser:
    """A person driven request by request, for the fault scripts
    (scripts/killed_upload.py): cookies, and a log of requests."""

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


def build_world(officers: int, reviewers: int, leaders: int) -> dict:
    """A province of its own: one ward and one account for each officer, and
    the reviewers' and leaders' accounts with their second factor; what the
    locustfile reads (as JSON)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from access.models import Membership
    from accounts.models import User
    from assessments.services import enrol_ward, import_criteria_file
    from criteria.fileformat import ILLUSTRATIVE_SET as CRITERIA_FILE
    from wards.models import Province, Ward

    criteria_set = import_criteria_file(CRITERIA_FILE).criteria_set
    suffix = secrets.token_hex(3)
    province = Province.objects.create(code=f"L{suffix[:5]}", name=f"Tỉnh tải {suffix}")
    world: dict = {
        "province": province.code,
        "password": PASSWORD,
        "totp_key": TOTP_HEX,
        "officers": [],
        "ward_of": {},
        "reviewers": [],
        "leaders": [],
    }
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
        world["ward_of"][user.username] = ward.code
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


@dataclass
class Usage:
    """CPU seconds and database sessions over the measured window."""

    cpu: dict[str, float] = field(default_factory=dict)
    web_processes: int = 0
    busy_cores: float = 0.0
    seconds: float = 0.0
    sessions_before: int | None = None
    sessions_after: int | None = None
    backends: int = 0


def processes() -> dict[int, tuple[str, int, float]]:
    """Every process: its name, its parent, and its CPU seconds (user and
    system, with those of its children that ended and were reaped)."""
    found: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # Fields 4 (ppid) and 14-17 (utime, stime, cutime, cstime) of proc(5).
        ticks = sum(int(value) for value in fields[11:15])
        found[int(entry.name)] = (name, int(fields[1]), ticks / CLOCK_TICKS)
    return found


def tree_cpu(procs: dict, roots: list[int]) -> tuple[float, int]:
    """CPU seconds of `roots` and all their descendants; how many processes."""
    children = defaultdict(list)
    for pid, (_name, ppid, _cpu) in procs.items():
        children[ppid].append(pid)
    total, count, todo = 0.0, 0, [pid for pid in roots if pid in procs]
    while todo:
        pid = todo.pop()
        total += procs[pid][2]
        count += 1
        todo += children[pid]
    return total, count


def busy_ticks() -> int:
    """CPU time the whole machine spent busy (not idle nor waiting for I/O)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(values) - values[3] - values[4]


def snapshot(pids: dict[str, int]) -> tuple[dict[str, float], int]:
    """CPU seconds of each of our processes (with their children) and of every
    PostgreSQL process; how many processes gunicorn has."""
    procs = processes()
    cpu = {role: tree_cpu(procs, [pid])[0] for role, pid in pids.items()}
    postmasters = [
        pid
        for pid, (name, ppid, _cpu) in procs.items()
        if name == "postgres" and procs.get(ppid, ("",))[0] != "postgres"
    ]
    cpu["postgres"] = tree_cpu(procs, postmasters)[0]
    return cpu, tree_cpu(procs, [pids["gunicorn"]])[1]


def database_backends() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to this database."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    procs = processes()
    return {pid: procs[pid][2] for pid in pids if pid in procs}


def database_sessions() -> int | None:
    """Sessions ever opened on this database (PostgreSQL's statistics)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


def measure(client, *, started: Path, ended: Path, pids, timeout: float) -> Usage:
    """Wait for locust; read the CPU used between its two marks."""
    usage = Usage()
    deadline = time.monotonic() + timeout

    def reached(mark: Path) -> bool:
        while not mark.exists():
            if client.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    if reached(started):
        cpu_before, _ = snapshot(pids)
        busy_before, start = busy_ticks(), time.monotonic()
        # This script's own connection is opened (and counted) first.
        first = database_backends()
        usage.sessions_before = database_sessions()
        latest = dict(first)
        while not ended.exists() and client.poll() is None:
            # Backends that end meanwhile are missed for at most this long.
            time.sleep(0.5)
            latest.update(database_backends())
        if reached(ended):
            cpu_after, usage.web_processes = snapshot(pids)
            busy_after = busy_ticks()
            latest.update(database_backends())
            usage.seconds = time.monotonic() - start
            usage.cpu = {role: cpu_after[role] - cpu_before[role] for role in cpu_after}
            usage.cpu["backends"] = sum(
                cpu - first.get(pid, 0.0) for pid, cpu in latest.items()
            )
            usage.backends = len(latest)
            busy = (busy_after - busy_before) / CLOCK_TICKS
            usage.busy_cores = busy / max(usage.seconds, 0.001)
    try:
        client.wait(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        client.kill()
        client.wait()
    return usage


def percentile(times: list[float], p: float) -> float:
    """The nearest-rank percentile of sorted `times`."""
    return times[min(len(times) - 1, int(p * len(times)))] if times else 0.0


def report(log, elapsed: float, users: int, usage: Usage, think: float) -> None:
    """Requests/s, latency percentiles overall and per kind, CPU a request."""
    config = runpy.run_path(str(GUNICORN_CONFIG))
    threads = f", {config['threads']} threads each" if config["threads"] > 1 else ""
    print(
        f"gunicorn (config/gunicorn.py): {config['workers']} {config['worker_class']} "
        f"workers{threads}; the task worker running"
    )
    print(
        f"{users} people, {think:g} s of thought between tasks on average, measured "
        f"for {elapsed:.1f} s once all had signed in"
    )
    kinds: dict[str, list] = defaultdict(list)
    for entry in log:
        kinds[entry[0]].append(entry)
    print(f"{'request':<12} {'count':>6} {'/s':>6} {'p50':>6} {'p95':>6} {'p99':>6} "
          f"{'max':>6} {'errors':>6}  (ms)")  # fmt: skip
    for name, entries in [
        ("all", log),
        *sorted(kinds.items(), key=lambda k: -len(k[1])),
    ]:
        times = sorted(ms for _name, _status, ms, _failed in entries)
        figures = [percentile(times, p) for p in (0.5, 0.95, 0.99, 1.0)]
        errors = sum(1 for *_rest, failed in entries if failed)
        print(
            f"{name:<12} {len(times):>6} {len(times) / max(elapsed, 0.001):>6.1f} "
            + " ".join(f"{value:>6.0f}" for value in figures)
            + f" {errors:>6}"
        )
    statuses = Counter(status for _name, status, _ms, _failed in log)
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    if usage.cpu and log:
        report_usage(usage, len(log))


def report_usage(usage: Usage, requests: int) -> None:
    """CPU seconds a request, and how the database connections were used."""
    cpu, per = usage.cpu, 1000 / requests
    print(
        f"CPU in the window ({usage.seconds:.1f} s; user + system time from "
        "/proc/<pid>/stat, ended children included):"
    )
    print(
        f"  gunicorn, master and {usage.web_processes - 1} workers: "
        f"{cpu['gunicorn']:.1f} s, {cpu['gunicorn'] * per:.1f} ms a request"
    )
    if usage.sessions_before is not None:
        print(
            f"  PostgreSQL, the backends of this database: {cpu['backends']:.1f} s, "
            f"{cpu['backends'] * per:.1f} ms a request (every postgres process: "
            f"{cpu['postgres']:.1f} s, {cpu['postgres'] * per:.1f} ms)"
        )
    ours = sum(cpu[role] for role in ("gunicorn", "postgres", "worker", "locust"))
    print(
        f"  task worker {cpu['worker']:.1f} s; locust (the clients) "
        f"{cpu['locust']:.1f} s; all of these {ours / usage.seconds:.2f} cores, "
        f"of the machine's {usage.busy_cores:.2f} busy ({os.cpu_count()} cores)"
    )
    if usage.sessions_before is not None and usage.sessions_after is not None:
        opened = usage.sessions_after - usage.sessions_before
        print(
            f"database connections: {opened} opened by gunicorn and the task worker "
            f"from the start of the window until gunicorn stopped, for {requests} "
            f"requests; {usage.backends} backends of this database seen in the window"
        )


def recount() -> list[str]:
    """The stored progress counters equal a recount (`manage.py recount`)."""
    done = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "manage.py", "recount", "--check"], cwd=ROOT, check=False
    )
    return [] if done.returncode == 0 else ["stored progress differs from a recount"]


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


def drain_tasks(seconds: float, *, later: bool = False) -> None:
    """Wait (bounded) for the workers to run every task that is due (and,
    with `later`, every one waiting for a later time too)."""
    from django.conf import settings
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        # The periodic jobs (the sweep, the calendar) are always waiting.
        tasks = DBTaskResult.objects.exclude(task_path__in=settings.WORKER_SCHEDULE)
        waiting = tasks.filter(status="READY") if later else tasks.ready()
        due = waiting.exists() or tasks.filter(status="RUNNING").exists()
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


def verify(failures, acked_uploads, decisions, world, *, unanswered=0) -> list[str]:
    """What the server acknowledged is there: each upload stored with its
    SHA-256, each decision recorded once (and at most `unanswered` more,
    those whose answer never came), each history a legal chain."""
    from django.core.files.storage import default_storage

    from assessments.models import Assessment, Evidence, ReviewEvent
    from ops.integrity import sha256_of

    problems = []
    if failures:
        kinds = Counter(
            f"{name} {status or 'no answer'}" for name, status, _ in failures
        )
        problems.append(
            f"{len(failures)} requests failed: "
            + ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common())
            + f"; the first: {failures[0][2]}"
        )
    if not acked_uploads:
        problems.append("no upload was acknowledged")
    for assessment_id, name, sha in acked_uploads:
        row = Evidence.objects.filter(
            assessment_id=assessment_id, original_name=name, sha256=sha
        ).first()
        if row is None:
            problems.append(f"acknowledged upload {name} is not in the database")
        elif sha256_of(default_storage, row.file.name or "") != sha:
            problems.append(f"stored file of {name} does not match its SHA-256")
    events = ReviewEvent.objects.filter(
        assessment__enrolment__ward__province_id=world["province_id"]
    ).order_by("assessment_id", "created_at", "pk")
    told = sum(decisions.values())
    recorded = events.filter(action__in=["approve", "return"]).count()
    if not told <= recorded <= told + unanswered:
        problems.append(
            f"reviewers were told of {told} decisions ({unanswered} more sent "
            f"without an answer), {recorded} recorded"
        )
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
