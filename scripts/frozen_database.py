"""Fault test: the database freezes while the app serves, then thaws.

Starts a PostgreSQL cluster of its own (initdb on a free loopback port, in a
temporary folder, as the `postgres` user when run as root), migrates the app
into it and serves it with gunicorn. Then it stops every process of that
cluster (SIGSTOP: the server accepts connections and answers nothing) and
checks that pages and /healthz answer 503 within a few seconds instead of
hanging; then it lets the server go on (SIGCONT) and checks that the app
serves again without a restart. Never touches the shared database server.
"""

from __future__ import annotations

import glob
import http.client
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, gunicorn, verdict, wait_for  # noqa: E402

BOUND = 10.0  # seconds within which a page must answer while frozen


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [
        shutil.which(name) or name
    ]
    return found[-1]


def as_postgres(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, capture_output=True, **kwargs)  # noqa: S603


COOKIES: dict[str, str] = {}
PASSWORD = "frozen-test-pass-2026"  # noqa: S105 - a throwaway account


def get(port: int, path: str) -> tuple[int, float]:
    return request(port, "GET", path)[:2]


def request(port: int, method: str, path: str, body: str = "") -> tuple:
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in COOKIES.items())}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}{path}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        status, text = response.status, response.read().decode(errors="replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                COOKIES[name] = rest.split(";")[0]
    except OSError:
        status, text = 599, ""
    finally:
        conn.close()
    return status, time.monotonic() - start, text


def log_in(port: int, username: str) -> None:
    """Sign in through the login form, keeping the session cookie."""
    _status, _seconds, page = request(port, "GET", "/accounts/login/")
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    body = urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    )
    status = request(port, "POST", "/accounts/login/", body)[0]
    if status != 302:
        raise RuntimeError(f"could not sign in ({status})")


def cluster_pids(data: Path) -> list[int]:
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=", "--ppid", str(postmaster)],  # noqa: S607
        capture_output=True,
        text=True,
    ).stdout.split()
    return [postmaster, *map(int, children)]


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kieumau-frozen-"))
    data, sockets = workdir / "data", workdir / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (workdir, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    db_port, port = free_port(), free_port()
    problems: list[str] = []
    server = None
    try:
        as_postgres(
            [pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
        )
        as_postgres(
            [
                pg_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(workdir / "log"),
                "-o", f"-p {db_port} -k {sockets} -c listen_addresses=127.0.0.1",
                "start",
            ]
        )  # fmt: skip
        as_postgres([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(db_port), "app"])
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{db_port}/app",
            "CONN_MAX_AGE": "60",
        }
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        create_user = (
            "from accounts.models import User; "
            f"User.objects.create_user('frozen', password='{PASSWORD}')"
        )
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "shell", "-v", "0", "-c", create_user],
            cwd=ROOT,
            env=env,
            check=True,
        )
        server = gunicorn(port, env=env)
        wait_for(port)
        log_in(port, "frozen")
        for path in ("/healthz", "/wards/"):
            status, _ = get(port, path)
            if status != 200:
                problems.append(f"before the freeze {path} answered {status}")

        pids = cluster_pids(data)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        print(f"database frozen ({len(pids)} processes stopped)")
        answers: list[tuple[str, int, float]] = []

        def ask(path: str) -> None:
            answers.append((path, *get(port, path)))

        askers = [
            threading.Thread(target=ask, args=(path,))
            for path in ["/healthz", "/wards/", "/healthz", "/wards/?year=2026"]
        ]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join()
        for path, status, seconds in answers:
            print(f"  frozen: {path} answered {status} in {seconds:.1f} s")
            if path == "/healthz" and status != 503:
                problems.append(f"/healthz answered {status} while frozen")
            if status != 503 or seconds > BOUND:
                problems.append(f"{path}: {status} after {seconds:.1f} s while frozen")

        for pid in pids:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 20
        status = 0
        while time.monotonic() < deadline:
            status, seconds = get(port, "/healthz")
            if status == 200:
                break
            time.sleep(0.5)
        print(f"database thawed: /healthz answers {status}")
        if status != 200 or get(port, "/wards/")[0] != 200:
            problems.append("the app did not serve again after the database thawed")
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if (data / "postmaster.pid").exists():
            for pid in cluster_pids(data):
                os.kill(pid, signal.SIGCONT)
            as_postgres([pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(workdir, ignore_errors=True)
    return verdict("frozen database", problems)


if __name__ == "__main__":
    raise SystemExit(main())
