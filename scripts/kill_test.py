"""Kill test: two app servers and two task workers, one of each killed.

Run by `make scale-test` (scripts/scale_test.py) on the PostgreSQL primary
it starts, with DATABASE_URL naming an empty, migrated database. Evidence
goes to an S3-compatible store (moto's server, a process of its own) and
mail to a mail server of this script's on loopback, which is slow to take
each message. Two gunicorn servers and two `manage.py worker` processes
share the database and the store; locust's people (scripts/locustfile.py)
are spread over both servers and go on with the other when theirs stops
answering, as the proxy would. A third of the way through, one server is
killed with its processes (SIGKILL), then one worker while it is sending a
mail.

Then it checks that nothing was lost: no request failed but those the
killed server never answered; every acknowledged upload is in the store
with its SHA-256; every decision a reviewer was told of is recorded once;
every notification that was to be e-mailed was delivered exactly once (the
mail server's own count, by Message-ID and recipient); no task is left
waiting, running or failed; the stored progress equals a recount. Prints
what it started, the load it sent, what it killed and the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from load_test import (  # noqa: E402
    GUNICORN_CONFIG,
    build_world,
    drain_tasks,
    recount,
    verify,
)
from serving import free_port, verdict, wait_for  # noqa: E402

#: How long the mail server waits before it takes a message's text: the
#: worker is killed in that wait.
MAIL_DELAY_SECONDS = 0.3


class MailServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take mail, slowly; what it accepted, by message.

    A message counts as delivered when the server says it accepted it
    ("250" after the text), as a real server's does; a client that goes
    away before the end of the text delivered nothing.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), MailSession)
        self.lock = threading.Lock()
        #: (Message-ID, recipient) of each delivery.
        self.delivered: list[tuple[str, str]] = []
        self.abandoned = 0  # conversations cut in the middle of a message

    @property
    def port(self) -> int:
        return self.server_address[1]


class MailSession(socketserver.StreamRequestHandler):
    server: MailServer

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.say("220 kill-test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.say("250-kill-test")
                self.say("250 8BITMIME")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].strip().strip("<>"))
                self.say("250 OK")
            elif verb == "DATA":
                time.sleep(MAIL_DELAY_SECONDS)
                self.say("354 go on")
                if not self.take_message(recipients):
                    return
                recipients = []
            elif verb == "QUIT":
                self.say("221 bye")
                return
            else:  # HELO, MAIL, RSET, NOOP
                self.say("250 OK")

    def take_message(self, recipients: list[str]) -> bool:
        message_id = ""
        while True:
            line = self.rfile.readline()
            if not line:
                with self.server.lock:
                    self.server.abandoned += 1
                return False
            if line == b".\r\n":
                break
            if line.lower().startswith(b"message-id:") and not message_id:
                message_id = line.split(b":", 1)[1].strip().decode()
        with self.server.lock:
            self.server.delivered += [(message_id, to) for to in recipients]
        self.say("250 accepted")
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=24, help="of load")
    parser.add_argument("--officers", type=int, default=8)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--leaders", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("The kill test needs PostgreSQL (DATABASE_URL).", file=sys.stderr)
        return 2
    from tests import s3

    work = Path(tempfile.mkdtemp(prefix="kieumau-kill-"))
    mail = MailServer()
    threading.Thread(target=mail.serve_forever, daemon=True).start()
    with s3.running(work / "moto.log") as store:
        os.environ.update(
            S3_BUCKET=store.bucket,
            S3_ENDPOINT_URL=store.endpoint_url,
            S3_REGION=s3.REGION,
            S3_ACCESS_KEY_ID=s3.ACCESS_KEY,
            S3_SECRET_ACCESS_KEY=s3.SECRET_KEY,
            S3_PATH_STYLE="true",
            S3_PREFIX=s3.new_prefix("kill"),
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(mail.port),
            EMAIL_TIMEOUT="10",
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            WORKER_BEAT_SECONDS="1",
            WORKER_LOST_SECONDS="3",
        )
        print(f"started: moto's S3 server at {store.endpoint_url}")
        print(f"started: a mail server on 127.0.0.1:{mail.port}")
        return run(args, work, mail)


def start(argv: list[str], log: Path) -> subprocess.Popen:
    """A process of its own session, so that it is killed with its children."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own programs
            argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def run(args: argparse.Namespace, work: Path, mail: MailServer) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import connection

    world = build_world(args.officers, args.reviewers, args.leaders)
    connection.close()
    world_file = work / "world.json"
    world_file.write_text(json.dumps(world))
    results = work / "results.json"

    ports = [free_port(), free_port()]
    servers = [
        start(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                str(GUNICORN_CONFIG),
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "config.wsgi:application",
            ],
            work / f"server-{n}.log",
        )  # fmt: skip
        for n, port in enumerate(ports, 1)
    ]
    workers = [
        start(
            [sys.executable, "manage.py", "worker", "--verbosity", "0"],
            work / f"worker-{n}.log",
        )
        for n in (1, 2)
    ]
    for port, server in zip(ports, servers, strict=True):
        wait_for(port)
        print(f"started: app server on 127.0.0.1:{port} (gunicorn, pid {server.pid})")
    for worker in workers:
        print(f"started: task worker (pid {worker.pid})")
    hosts = [f"http://127.0.0.1:{port}" for port in ports]
    people = len(world["officers"]) + len(world["reviewers"]) + len(world["leaders"])
    killed: list[str] = []  # what became of the worker
    try:
        with (work / "locust.log").open("w") as log:
            client = subprocess.Popen(  # noqa: S603 - locust, on loopback
                [
                    sys.executable, "-m", "locust", "--locustfile",
                    str(ROOT / "scripts" / "locustfile.py"), "--headless",
                    "--host", hosts[0], "--hosts", ",".join(hosts),
                    "--users", str(people), "--spawn-rate", str(people),
                    "--stop-timeout", "60", "--only-summary", "--loglevel", "ERROR",
                    "--world", str(world_file), "--window", str(args.seconds),
                    "--results", str(results),
                ],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started = results.with_suffix(".started")
            deadline = time.monotonic() + 300
            while not started.exists() and client.poll() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            print(
                f"load: {people} people ({len(world['officers'])} officers, "
                f"{len(world['reviewers'])} reviewers, {len(world['leaders'])} "
                f"leaders) on both servers for {args.seconds:g} s"
            )
            time.sleep(args.seconds / 3)
            os.killpg(servers[0].pid, signal.SIGKILL)
            servers[0].wait()
            print(
                f"killed: app server on 127.0.0.1:{ports[0]} with its processes "
                "(SIGKILL)"
            )
            killed.append(kill_worker_while_mailing(workers[0]))
            client.wait(timeout=args.seconds + 400)
    finally:
        # Whatever the killed worker held is queued again by the other,
        # WORKER_LOST_SECONDS after its last beat.
        drain_tasks(seconds=120, later=True)
        for process in [*servers, *workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*servers, *workers]:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    if not results.exists():
        print((work / "locust.log").read_text()[-4000:])
        return verdict("kill test", ["locust wrote no results"])
    return check(json.loads(results.read_text()), world, hosts[0], mail, killed)


def kill_worker_while_mailing(worker: subprocess.Popen) -> str:
    """SIGKILL the worker once it is in the middle of sending a mail (waiting
    for the mail server), or after 20 s whatever it is doing."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from ops.models import WorkerBeat

    doing = "whatever it was doing"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        beat = WorkerBeat.objects.filter(pid=worker.pid).first()
        task = None
        if beat is not None:
            task = (
                DBTaskResult.objects.running()
                .filter(task_path__endswith="notify_event")
                .filter(worker_ids__contains=[beat.worker_id])
                .first()
            )
        if task is not None:
            time.sleep(MAIL_DELAY_SECONDS / 2)  # it is talking to the mail server
            doing = f"in the middle of {task.task_path.rsplit('.', 1)[1]}"
            break
        time.sleep(0.01)
    connection.close()
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    message = f"killed: task worker (pid {worker.pid}, SIGKILL) {doing}"
    print(message)
    return message


def check(
    measured: dict, world: dict, killed_host: str, mail: MailServer, killed: list[str]
) -> int:
    from django_tasks_db.models import DBTaskResult

    from notifications.models import Notification
    from notifications.services import message_id, to_mail

    log = measured["log"]
    print(
        f"load sent: {len(log)} requests in {measured['elapsed']:.0f} s "
        f"({len(log) / measured['elapsed']:.1f}/s); "
        f"{len(measured['switches'])} people moved to the other server"
    )
    # Only the killed server may have left a request unanswered.
    unanswered = [
        failure
        for failure in measured["failures"]
        if not failure[1] and killed_host in failure[2]
    ]
    unexpected = [
        failure for failure in measured["failures"] if failure not in unanswered
    ]
    problems = verify(
        unexpected,
        [tuple(entry) for entry in measured["acked_uploads"]],
        Counter({(path, action): n for path, action, n in measured["decisions"]}),
        world,
        unanswered=len(measured["unanswered_decisions"]),
    )
    problems += measured["errors"]
    print(
        f"requests the killed server never answered: {len(unanswered)}; "
        f"decisions sent without an answer: {len(measured['unanswered_decisions'])}"
    )
    if not unanswered or not measured["switches"]:
        problems.append("the killed server was not serving anyone when it died")

    tasks = DBTaskResult.objects.exclude(task_path__in=_scheduled())
    statuses = Counter(tasks.values_list("status", flat=True))
    rerun = sum(1 for ids in tasks.values_list("worker_ids", flat=True) if len(ids) > 1)
    print(f"tasks: {dict(statuses)}; {rerun} run again after their worker died")
    if set(statuses) - {"SUCCESSFUL"}:
        problems.append(f"tasks not done: {dict(statuses)}")
    if "in the middle of" not in killed[0] or not rerun:
        problems.append("the worker was not killed in the middle of a task")

    # Each mail as it should have gone: the rows of one key marked mailed
    # together went in one message, whose Message-ID they make.
    batches: dict[tuple, list] = {}
    for row in Notification.objects.exclude(mailed_at=None).select_related("user"):
        batches.setdefault((row.key, row.mailed_at), []).append(row)
    expected = Counter(
        (message_id(key, rows), row.user.email)
        for (key, _at), rows in batches.items()
        for row in rows
    )
    delivered = Counter(mail.delivered)
    keys = Notification.objects.values_list("key", flat=True).distinct()
    unmailed = sum(to_mail(key).count() for key in keys)
    print(
        f"mail: {sum(delivered.values())} deliveries, {len(delivered)} distinct "
        f"(message, recipient); {sum(expected.values())} notifications marked "
        f"mailed; {unmailed} waiting; {mail.abandoned} messages cut off by the kill"
    )
    if not expected:
        problems.append("no notification was mailed")
    twice = [pair for pair, n in delivered.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} mails delivered twice: {twice[:3]}")
    if set(expected) - set(delivered):
        problems.append(
            f"{len(set(expected) - set(delivered))} mails marked but never sent"
        )
    if set(delivered) - set(expected):
        problems.append(
            f"{len(set(delivered) - set(expected))} mails sent but not marked"
        )
    if unmailed:
        problems.append(f"{unmailed} notifications never mailed")
    problems += recount()
    return verdict("kill test", problems)


def _scheduled() -> list[str]:
    from django.conf import settings

    return list(settings.WORKER_SCHEDULE)


if __name__ == "__main__":
    raise SystemExit(main())
