"""Upload and download a 100 MB file through a real server; report its memory.

Starts gunicorn (one sync worker) on a loopback port against the configured
database, signs in as the benchmark officer, uploads a 100 MB PDF as a
streamed multipart request, downloads it back, and prints how much the
worker's peak resident memory grew during each and how long each took.
Run by `make bench`, and again with --s3: the evidence then goes to an
S3-compatible store (moto's server, started here), and the download through
the app is timed beside a presigned URL read straight from the store, the
way the app chose not to hand files out.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from serving import free_port, wait_for  # noqa: E402

SIZE = 100 * 1024 * 1024
CHUNK = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--s3", action="store_true", help="store the evidence in moto's S3 server"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with ExitStack() as stack:
        if args.s3:
            from tests import s3

            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            store = stack.enter_context(s3.running(work / "moto.log"))
            os.environ.update(
                S3_BUCKET=store.bucket,
                S3_ENDPOINT_URL=store.endpoint_url,
                S3_REGION=s3.REGION,
                S3_ACCESS_KEY_ID=s3.ACCESS_KEY,
                S3_SECRET_ACCESS_KEY=s3.SECRET_KEY,
                S3_PATH_STYLE="true",
            )
            print(f"evidence in moto's S3 server at {store.endpoint_url}")
        return measure(presigned=args.s3)


def measure(*, presigned: bool) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["EVIDENCE_MAX_BYTES"] = str(SIZE + CHUNK)
    import django

    django.setup()
    from django.conf import settings

    cookie, path = sign_in_and_pick_criterion()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "300",
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )  # fmt: skip
    try:
        wait_for(port)
        worker = worker_pid(server.pid)

        def conn():
            return http.client.HTTPConnection("127.0.0.1", port, timeout=300)

        csrf = csrf_token(conn(), path, cookie)
        cookies = f"{settings.SESSION_COOKIE_NAME}={cookie}; csrftoken={csrf}"
        upload(conn(), path, cookies, csrf, size=CHUNK)  # warm the worker
        before = reset_peak(worker)
        started = time.perf_counter()
        status = upload(conn(), path, cookies, csrf, size=SIZE)
        up_seconds = time.perf_counter() - started
        up = peak(worker) - before
        if status != 302:
            print(f"upload answered {status}; expected a redirect", file=sys.stderr)
            return 1
        evidence_id = latest_evidence_id(conn(), path, cookies)
        before = reset_peak(worker)
        started = time.perf_counter()
        received = download(conn(), f"/evidence/{evidence_id}/", cookies)
        down_seconds = time.perf_counter() - started
        down = peak(worker) - before
        if received != SIZE:
            print(f"downloaded {received} bytes, expected {SIZE}", file=sys.stderr)
            return 1
        print(
            f"100 MB upload:   server worker peak memory grew by {up / 1024:.1f} MB"
            f"; {up_seconds:.2f} s"
        )
        print(
            f"100 MB download: server worker peak memory grew by {down / 1024:.1f} MB"
            f"; {down_seconds:.2f} s through the app"
        )
        if presigned:
            seconds = presigned_download(evidence_id)
            print(
                f"100 MB download: {seconds:.2f} s from a presigned URL straight "
                "from the store (not offered by the app)"
            )
        return 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def sign_in_and_pick_criterion() -> tuple[str, str]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from access.models import Membership
    from accounts.models import User
    from accounts.sessions import LOGIN_AT
    from assessments.models import Assessment

    bench_officer = (
        Membership.objects.filter(user__username="bench-officer")
        .select_related("ward")
        .first()
    )
    if bench_officer is None:
        raise SystemExit("Run `manage.py bench_pages` first: it creates bench-officer.")
    # Another ward of the province than the one bench_pages times, so that
    # the 100 MB files of each run never change the pages it measures.
    assessment = (
        Assessment.objects.filter(
            enrolment__ward__province=bench_officer.ward.province_id,
            status__in=["not_started", "in_progress", "returned"],
        )
        .exclude(enrolment__ward=bench_officer.ward)
        .select_related("enrolment__ward", "criterion")
        .order_by("-enrolment__year", "enrolment__ward__code", "criterion__number")
        .first()
    )
    if assessment is None:
        raise SystemExit("The bench province has no other ward open for evidence.")
    ward = assessment.enrolment.ward
    user, _new = User.objects.get_or_create(username="bench-memory")
    Membership.objects.get_or_create(user=user, role=Membership.Role.OFFICER, ward=ward)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LOGIN_AT] = int(time.time())
    session.create()
    path = (
        f"/wards/{ward.code}/{assessment.enrolment.year}/{assessment.criterion.number}/"
    )
    return session.session_key, path


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("no gunicorn worker found")


def status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def reset_peak(pid: int) -> int:
    """Reset the peak (VmHWM) to the current size; return the current size."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kb(pid, "VmRSS")


def peak(pid: int) -> int:
    return status_kb(pid, "VmHWM")


def csrf_token(conn, path: str, session: str) -> str:
    from django.conf import settings

    conn.request(
        "GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    )
    response = conn.getresponse()
    body = response.read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 200 or not match or not cookie:
        raise SystemExit(f"could not open {path} ({response.status})")
    return cookie.group(1)


def upload(conn, path: str, cookies: str, csrf: str, *, size: int) -> int:
    """POST a PDF of `size` bytes as multipart, streamed from a generator."""
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
        f"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; "
        f'name="files"; filename="bench-{size}.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    stamp = f"%PDF-1.4\n% {secrets.token_hex(16)}\n".encode()

    def body():
        yield head
        yield stamp
        left = size - len(stamp)
        block = b"0" * CHUNK
        while left > 0:
            yield block[: min(CHUNK, left)]
            left -= CHUNK
        yield tail

    conn.putrequest("POST", path + "upload/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.putheader("Cookie", cookies)
    conn.putheader("Referer", f"http://127.0.0.1{path}")
    conn.endheaders()
    for part in body():
        conn.send(part)
    response = conn.getresponse()
    response.read()
    return response.status


def latest_evidence_id(conn, path: str, cookies: str) -> int:
    conn.request("GET", path, headers={"Cookie": cookies})
    body = conn.getresponse().read().decode()
    ids = [int(i) for i in re.findall(r'href="/evidence/(\d+)/"', body)]
    return max(ids)


def presigned_download(evidence_id: int) -> float:
    """Seconds to read the evidence's object from a presigned URL."""
    from django.core.files.storage import default_storage

    from assessments.models import Evidence

    name = Evidence.objects.get(pk=evidence_id).file.name
    url = default_storage.url(name)
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as answer:  # noqa: S310 - loopback
        received = 0
        while chunk := answer.read(CHUNK):
            received += len(chunk)
    if received != SIZE:
        raise SystemExit(f"the store sent {received} bytes, expected {SIZE}")
    return time.perf_counter() - started


def download(conn, path: str, cookies: str) -> int:
    conn.request("GET", path, headers={"Cookie": cookies})
    response = conn.getresponse()
    received = 0
    while chunk := response.read(CHUNK):
        received += len(chunk)
    return received


if __name__ == "__main__":
    raise SystemExit(main())
