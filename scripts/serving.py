"""Small helpers the scripts share to run a server on loopback."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, *, seconds: float = 30) -> None:
    """Wait until something listens on 127.0.0.1:`port`, or give up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start within {seconds:g} s")


def gunicorn(
    port: int,
    *,
    env: dict | None = None,
    workers: int = 1,
    threads: int = 4,
    log_level: str = "critical",
) -> subprocess.Popen:
    """The app under gunicorn on 127.0.0.1:`port` (stop it with SIGTERM)."""
    return subprocess.Popen(  # noqa: S603 - our own server
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", str(workers), "--threads", str(threads),
            "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}",
            "--log-level", log_level, "--timeout", "120",
        ],
        cwd=ROOT,
        env=env if env is not None else os.environ.copy(),
    )  # fmt: skip


def verdict(test: str, problems: list[str]) -> int:
    """Print the problems found and the outcome; the exit status."""
    for problem in problems:
        print(f"FAILED: {problem}")
    print(f"{test}: " + ("FAILED" if problems else "all checks passed"))
    return 1 if problems else 0
