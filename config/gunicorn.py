"""gunicorn's settings: `gunicorn -c config/gunicorn.py config.wsgi:application`.

Chosen by measurement (`make load`, scripts/load_test.py) on a server of two
cores that also runs PostgreSQL and the task worker: 14 people signed in and
working without pause (officers, reviewers, leaders), a new connection for
each request as from the proxy, 30 s a run, November 2026. The machine was
shared with other work, so each was run several times; "quiet" runs are those
where the load test's processes had at least 1.9 of the 2 cores.

    workers          runs  requests/s, p95 ms      quiet runs: requests/s, p95
                           (median of all runs)    (median)
    sync × 2           4   30, 800                 -
    sync × 3           7   29, 830                 33, 550   (3 runs)
    sync × 4           4   27, 810                 -
    sync × 5           5   36, 620                 36, 620   (5 runs)
    sync × 7           3   41, 500                 41, 500   (3 runs)
    sync × 9           1   37, 570                 37, 570
    gthread 3 × 2      4   27, 1140                -
    gthread 2 × 4      1   20, 1290                -
    gthread 3 × 4      1   20, 1280                -
    gthread 4 × 2      1   19, 1630                -

Each request costs 35-45 ms of CPU in the web process and 9-13 ms in
PostgreSQL, whatever the workers: the pages are CPU-bound Python. Threads
share one process's GIL, and a request waits for the others' Python: the
p95 of gthread was the worst in every round. Sync workers, one request
each, did better; 3, 5 and 7 of them did as well within the noise when run
side by side (in the last round 5 did 42 and 38 requests/s, p95 470 and 510
ms; 7 did 35 and 41, 570 and 500). Five is gunicorn's advice (2 × cores +
1): a slow request (a ward's dossier as PDF) leaves four to the others, with
fewer processes and database connections than 7. Sync workers need the
buffering proxy in front (nginx's default), which takes slow uploads and
slow readers off their hands.

Each setting can be changed from the environment without editing this file.
"""

import os

# Behind the TLS proxy, on loopback or a private address.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY", "5"))
# Threads are for the gthread class; with more than one, gunicorn turns a
# sync worker into a gthread one.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# A sync worker busy for this long with one request is killed and replaced:
# longer than the slowest honest request (a ward's dossier as PDF takes
# seconds; a database statement stops after DB_STATEMENT_TIMEOUT, 30 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM or a restart, requests under way get this long to finish.
graceful_timeout = 30
# For gthread workers: how long an idle connection of the proxy stays open.
keepalive = 5

# Each worker is replaced after about this many requests (what a long-lived
# Python process holds on to is given back); the jitter keeps the workers from
# restarting at the same moment.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# The proxy logs requests; gunicorn logs only errors and restarts, unless
# GUNICORN_ACCESS_LOG names a file (or "-" for standard output).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
