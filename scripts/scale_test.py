"""Scale test: the dashboards on a real streaming replica.

Starts two PostgreSQL clusters of its own on free loopback ports, in a
temporary folder (as the `postgres` user when run as root), never the
shared server: a primary (initdb) and a standby copied from it with
`pg_basebackup -R`, which streams from it. Then it runs the live tests of
tests/scale/ against them (DATABASE_URL on the primary,
DATABASE_REPLICA_URL on the standby): the dashboards read the standby,
whoever just wrote reads the primary, and a standby that lags or is
stopped is left alone until it has caught up. Prints what it started and
what it checked; exits non-zero if anything failed.

Then, on a database of its own on the same primary, the kill test
(scripts/kill_test.py): two app servers and two task workers under load,
one of each killed, and nothing acknowledged lost.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from frozen_database import as_postgres, pg_bin  # noqa: E402
from serving import free_port  # noqa: E402


def start(data: Path, port: int, log: Path, sockets: Path) -> None:
    as_postgres(
        [
            pg_bin("pg_ctl"), "-D", str(data), "-w", "-l", str(log),
            "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1",
            "start",
        ]
    )  # fmt: skip


def psql(port: int, sql: str) -> str:
    return subprocess.run(  # noqa: S603
        [pg_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-Atc", sql, "postgres"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def kill_test(port: int) -> int:
    """scripts/kill_test.py on a new, migrated database of the primary, with
    production settings but for TLS; its exit status."""
    psql(port, "CREATE DATABASE kieumau_kill")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/kieumau_kill",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "BEHIND_TLS_PROXY": "false",
        "SECRET_KEY": "kill-test-only-secret-key-not-for-production",
        "LOGIN_FAILURE_LIMIT": "1000",
    }
    for argv in (
        ["manage.py", "migrate", "--no-input", "--verbosity", "0"],
        ["scripts/kill_test.py"],
    ):
        done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, check=False)  # noqa: S603
        if done.returncode:
            return done.returncode
    return 0


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="kieumau-scale-"))
    primary, standby, sockets = workdir / "primary", workdir / "standby", workdir / "s"
    sockets.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (workdir, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    primary_port, standby_port = free_port(), free_port()
    started: list[Path] = []
    try:
        as_postgres(
            [pg_bin("initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust"]
        )
        start(primary, primary_port, workdir / "primary.log", sockets)
        started.append(primary)
        print(f"primary: PostgreSQL on 127.0.0.1:{primary_port} ({primary})")
        as_postgres(
            [
                pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
                "-U", "postgres", "-D", str(standby), "-R", "-X", "stream",
            ]
        )  # fmt: skip
        start(standby, standby_port, workdir / "standby.log", sockets)
        started.append(standby)
        state = psql(primary_port, "SELECT state FROM pg_stat_replication")
        print(
            f"standby: PostgreSQL on 127.0.0.1:{standby_port}, "
            f"made with pg_basebackup -R, replication {state or 'starting'}"
        )
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary_port}/kieumau",
            "DATABASE_REPLICA_URL": (
                f"postgres://postgres@127.0.0.1:{standby_port}/kieumau"
            ),
            "SCALE_STANDBY_DATA": str(standby),
            "SCALE_STANDBY_PORT": str(standby_port),
            "SCALE_SOCKETS": str(sockets),
        }
        print("running tests/scale against them")
        tests = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v",
             "-s", "--create-db", "tests/scale"],
            cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        print("\nkill test: two app servers and two task workers on the primary")
        return tests.returncode or kill_test(primary_port)
    finally:
        for data in reversed(started):
            if (data / "postmaster.pid").exists():
                as_postgres([pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
