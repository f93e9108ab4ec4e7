"""An S3-compatible server for the tests: moto's standalone server, run as a
process of its own on a free local port (`tests/conftest.py`, `s3_server`)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from core.storage import s3_storage

BUCKET = "kieumau-tests"
REGION = "us-east-1"
# moto accepts any key; these are not secrets.
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105


@dataclass(frozen=True)
class Server:
    endpoint_url: str
    bucket: str = BUCKET

    def storage(self, prefix: str) -> dict[str, Any]:
        """The STORAGES entry of the bucket's folder `prefix`, as the
        settings make it from S3_* variables."""
        return s3_storage(
            bucket=self.bucket,
            endpoint_url=self.endpoint_url,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            path_style=True,
            prefix=prefix,
        )

    def client(self) -> Any:
        """A boto3 client of the server, to look at the bucket behind the
        storage's back."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )


def unavailable() -> str | None:
    """Why moto's server cannot run here, or None."""
    for module in ("moto.server", "flask", "boto3", "storages.backends.s3"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed"
        except ImportError as exc:
            return f"{module} cannot be imported: {exc}"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(log_path) -> Iterator[Server]:
    """moto's server on a free port, with an empty bucket; stopped after."""
    with open(log_path, "ab") as log:
        for _attempt in range(3):  # the free port may be taken meanwhile
            port = _free_port()
            process = subprocess.Popen(  # noqa: S603 - our interpreter, our args
                [
                    sys.executable,
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    str(port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                endpoint = f"http://127.0.0.1:{port}"
                if _answers(endpoint, process):
                    server = Server(endpoint)
                    server.client().create_bucket(Bucket=server.bucket)
                    yield server
                    return
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    raise RuntimeError(f"moto's server did not start; see {log_path}")


def _answers(endpoint: str, process: subprocess.Popen, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            # http://127.0.0.1 only, made above
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=1):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            time.sleep(0.1)
    return False


def new_prefix(label: str) -> str:
    """A folder of the bucket of its own, as a test's own media folder."""
    return f"{label}-{uuid.uuid4().hex[:12]}"
