"""Fault test: the web worker is killed in the middle of an upload.

Serves the app under gunicorn (DATABASE_URL and UPLOAD_TEMP_DIR from the
environment), sends a 20 MB upload slowly, kills the worker process
(SIGKILL) while the file is arriving, and checks that the temporary file it
left is found and removed by `manage.py sweep`, and that the app serves
again. Loopback only; stops by itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, gunicorn, verdict, wait_for  # noqa: E402

SIZE = 20 * 1024 * 1024


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(  # noqa: S603
        ["ps", "-o", "pid=", "--ppid", str(master)],  # noqa: S607
        capture_output=True,
        text=True,
    ).stdout
    return [int(pid) for pid in out.split()]


def main() -> int:
    spool = Path(os.environ["UPLOAD_TEMP_DIR"])
    spool.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from load_test import Browser, build_world

    world = build_world(1, 0, 0)
    username, criteria = world["officers"][0]
    path = criteria[0][1]
    connection.close()
    port = free_port()
    server = gunicorn(port)
    problems = []
    try:
        wait_for(port)
        officer = Browser(port, [], threading.Lock())
        officer.log_in(username)
        cookies = "; ".join(f"{k}={v}" for k, v in officer.cookies.items())
        boundary = "----killed"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="lon.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        length = len(head) + SIZE + len(f"\r\n--{boundary}--\r\n")
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(
            (
                f"POST {path}upload/ HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\n"
                f"Cookie: {cookies}\r\n"
                f"X-CSRFToken: {officer.cookies['csrftoken']}\r\n"
                f"Referer: http://127.0.0.1:{port}{path}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
            + head
            + b"%PDF-"
        )
        chunk = b"0" * (1024 * 1024)
        for _ in range(8):  # 8 MB on its way: spooled to a temporary file
            client.sendall(chunk)
            time.sleep(0.1)
        left = sorted(spool.glob("*.upload*"))
        for pid in worker_pids(server.pid):
            os.kill(pid, signal.SIGKILL)
        client.close()
        print(f"worker killed mid-upload; temporary files left: {len(left)}")
        if not left:
            problems.append("no temporary upload file to sweep (test is blind)")
        for path in left:
            old = time.time() - 2 * 3600
            if path.exists():
                os.utime(path, (old, old))
        sweep = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "sweep", "--grace-hours", "0.5"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        print(sweep.stdout.strip().splitlines()[-1])
        remaining = [path for path in left if path.exists()]
        if remaining:
            problems.append(f"the sweep left {remaining}")
        wait_for(port)  # gunicorn started a new worker
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return verdict("killed upload", problems)


if __name__ == "__main__":
    raise SystemExit(main())
