"""Settings for Kiểu Mẫu, read from the environment (see .env.example)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from core.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-never-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (see .env.example)."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_filters",
    "django_tasks_db",
    "django_ratelimit",
    # The project's apps, from the ground up; docs/architecture.md.
    "wards",
    "criteria",
    "access",
    "accounts",
    "notifications",
    "deadlines",
    "assessments",
    "reminders",
    "dashboards",
    "api",
    "ops",
]

MIDDLEWARE = [
    "config.middleware.DatabaseWaitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.CompressPagesMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.WholeFileNamesMiddleware",
    "config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.replica.RememberWritesMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.SessionLimitsMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "access.context_processors.scope",
            ],
        },
    },
]

DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'kieumau.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections are kept for a minute and checked before each request reuses
# one (a new connection costs each request several milliseconds).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is down or frozen gets a 503 within seconds, not a
    # request that hangs: connecting gives up after DB_CONNECT_TIMEOUT, the
    # server stops a statement after DB_STATEMENT_TIMEOUT (0: never, for a
    # long maintenance job; in web requests a second before DB_SERVER_WAIT),
    # and a web request stops waiting for a server that answers nothing after
    # DB_SERVER_WAIT (core/postgresql).
    DATABASES["default"]["ENGINE"] = "core.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=2),
            "options": "-c statement_timeout="
            + str(env.int("DB_STATEMENT_TIMEOUT", default=30) * 1000),
        }
    )
DB_SERVER_WAIT = env.float("DB_SERVER_WAIT", default=5)
# A streaming replica of the primary, for dashboards and exports (core/replica).
if env.str("DATABASE_REPLICA_URL", default=""):
    if DATABASES["default"]["ENGINE"] != "core.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL primary.")
    DATABASES["replica"] = {
        **DATABASES["default"],
        **env.db("DATABASE_REPLICA_URL"),
        "ENGINE": DATABASES["default"]["ENGINE"],
        "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 1},
        # Tests read the primary's test database through it (on a standby it
        # is there by replication).
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = env.float("REPLICA_MAX_LAG_SECONDS", default=30)
REPLICA_CHECK_SECONDS = env.float("REPLICA_CHECK_SECONDS", default=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several people writing at once: a transaction takes the write lock when
    # it starts (IMMEDIATE), so it waits its turn (up to `timeout` seconds)
    # instead of failing with "database is locked" when it first writes; and
    # in WAL mode readers never wait for a writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Repeated failed logins lock out that user name from that address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# Sessions end after SESSION_IDLE_MINUTES without a request, and in any case
# SESSION_MAX_HOURS after login.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# Renewed (written) at most once a minute while in use, not on every request:
# see accounts.sessions.SessionLimitsMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = 60
SESSION_ENGINE = "accounts.session_store"
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_MAX_HOURS", default=10) * 3600

# Roles that must pass a second factor (TOTP) after their password.
SECOND_FACTOR_ROLES = [
    "reviewer",
    "provincial_leader",
    "ministry_reviewer",
    "national_leader",
    "administrator",
]
OTP_TOTP_ISSUER = "Kiểu Mẫu"
# Nobody, administrators included, reads a user's key in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
# The project's own catalogue (makemessages writes it), then hand-written
# Vietnamese for what Django and the installed apps show (the admin chiefly):
# an earlier folder wins, and both win over the apps' own catalogues.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]
# Backups write times to the microsecond (ops/serializer.py).
SERIALIZATION_MODULES = {"json-exact": "ops.serializer"}
# Numbers are grouped where they are shown (intcomma), never in years or ids.

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# Evidence is private: it lives outside any served folder and is only ever
# streamed by a view that has checked permission first.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": "/no-public-url/"},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Or in a bucket of an S3-compatible object store (MinIO, Ceph RGW,
# SeaweedFS) when S3_BUCKET is set; the README says what each server needs.
# Still private (core/storage.py): a private ACL, never a public URL, never
# an existing name overwritten; the app streams each file to people after
# the same permission check.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = s3_storage(
        bucket=S3_BUCKET,
        endpoint_url=env.str("S3_ENDPOINT_URL", default=""),
        region=env.str("S3_REGION", default=""),
        access_key=env.str("S3_ACCESS_KEY_ID", default=""),
        secret_key=env.str("S3_SECRET_ACCESS_KEY", default=""),
        # Self-hosted servers answer at one address, the bucket in the path.
        path_style=env.bool("S3_PATH_STYLE", default=True),
        # A folder of the bucket, if the bucket is shared.
        prefix=env.str("S3_PREFIX", default=""),
        # A CA bundle, for a store behind a private certificate authority.
        ca_bundle=env.str("S3_CA_BUNDLE", default=""),
        # Empty: no ACL sent (a bucket that refuses ACLs, private itself).
        acl=env.str("S3_ACL", default="private"),
    )
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# Uploads larger than 2.5 MB are spooled here while they arrive; a folder of
# the app's own, so that `manage.py sweep` can remove what a killed worker
# left behind without touching anybody else's temporary files.
FILE_UPLOAD_TEMP_DIR = str(
    env.path("UPLOAD_TEMP_DIR", default=BASE_DIR / "var" / "tmp-uploads")
)
Path(FILE_UPLOAD_TEMP_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
# Files sent in pieces (resumable uploads) wait here until complete and
# verified; on the same disk as the evidence, so attaching is a copy at most.
PARTIAL_UPLOAD_DIR = str(
    env.path("PARTIAL_UPLOAD_DIR", default=BASE_DIR / "var" / "partial-uploads")
)
Path(PARTIAL_UPLOAD_DIR).mkdir(mode=0o700, parents=True, exist_ok=True)
# Pieces of one resumable upload; a request body above this is refused.
PARTIAL_UPLOAD_MAX_CHUNK = env.int("PARTIAL_UPLOAD_MAX_CHUNK", default=8 * 1024 * 1024)
# Files one user may have on their way at once (unfinished, or arrived and not
# yet added), in number and in bytes: each holds disk space until swept.
PARTIAL_UPLOAD_MAX_OPEN = env.int("PARTIAL_UPLOAD_MAX_OPEN", default=20)
PARTIAL_UPLOAD_MAX_BYTES = env.int(
    "PARTIAL_UPLOAD_MAX_BYTES", default=250 * 1024 * 1024
)

_MAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends."
    + ("console.EmailBackend" if DEBUG else "smtp.EmailBackend"),
)
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND}}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", default=""),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        # A mail server that accepts and never answers holds the worker no
        # longer than this.
        "timeout": env.int("EMAIL_TIMEOUT", default=10),
    }
elif _MAIL_BACKEND.endswith("filebased.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {"file_path": env.str("EMAIL_FILE_PATH")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kieumau@localhost")


# The web layer. Production sits behind a TLS-terminating proxy that sets
# X-Forwarded-Proto; HTTPS is then required and remembered (HSTS).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes speak plain HTTP inside
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True
)
# The preload directive only matters for a domain submitted to the browsers'
# list, which an internal domain never is; it is harmless and keeps the
# deployment check clean.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=not DEBUG)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Lock-outs go by the client's address: behind TRUSTED_PROXIES proxies, the
# entry the outermost of them appended to X-Forwarded-For (see
# accounts/client_address.py; what the client writes there is never read).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=1 if BEHIND_TLS_PROXY else 0)
AXES_CLIENT_IP_CALLABLE = "accounts.client_address.client_address"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Content Security Policy: nothing inline without the request's nonce, and
# nothing from anywhere but this site.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # WebAssembly only: the browser computes a file's SHA-256 before sending it.
    "script-src": [CSP.SELF, CSP.NONCE, CSP.WASM_UNSAFE_EVAL],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"outage": {"()": "config.log_filters.OutageFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["outage"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Lock-outs are warnings; every successful login is not news.
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        # A dossier's PDF: WeasyPrint's steps and the fonts it reads.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# The password of the demo accounts that `manage.py setup_demo` creates.
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="kieumau-demo")
# Demo accounts have a known password: only development may load them. The
# demo and benchmark commands (`devdata`) are not even installed otherwise.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=DEBUG)
if DEMO_DATA_ALLOWED:
    INSTALLED_APPS.append("devdata")

# Background work (notification e-mails, the sweep) goes through Django's
# tasks framework: enqueued in the database when the transaction commits, run
# by `manage.py db_worker` (django-tasks-db), never inside a request.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")
    }
}
# A mail that could not be sent is tried again after these many minutes, then
# recorded as failed (Admin → Tasks → task results).
MAIL_RETRY_MINUTES = env.list("MAIL_RETRY_MINUTES", cast=float, default=[1, 5, 30, 120])
# The worker sweeps away orphan files and stale temporary uploads this often,
# once they are older than the grace period (`manage.py sweep` by hand).
SWEEP_EVERY_HOURS = env.float("SWEEP_EVERY_HOURS", default=6)
SWEEP_GRACE_HOURS = env.float("SWEEP_GRACE_HOURS", default=24)
# The calendar's jobs (reminders, escalations, expiry warnings, digests) run
# this often; each is made once per key, so running them again sends nothing
# twice (`reminders`).
CALENDAR_EVERY_MINUTES = env.float("CALENDAR_EVERY_MINUTES", default=15)
# Periodic tasks of the worker and how many minutes apart they run
# (`core.schedule`); the worker's page in the admin shows them.
WORKER_SCHEDULE = {
    "ops.tasks.sweep_files": SWEEP_EVERY_HOURS * 60,
    "reminders.tasks.run_calendar": CALENDAR_EVERY_MINUTES,
}
# Each task worker says it is alive this often; the task of a worker silent
# for WORKER_LOST_SECONDS (killed, its machine lost) is run again by another
# (`ops.liveness`).
WORKER_BEAT_SECONDS = env.float("WORKER_BEAT_SECONDS", default=10)
WORKER_LOST_SECONDS = env.float("WORKER_LOST_SECONDS", default=60)
# Reminders go this many days before a deadline, and before evidence expires.
REMINDER_DAYS = sorted(env.list("REMINDER_DAYS", cast=int, default=[30, 7, 1]))
# Digests go at this local time (TIME_ZONE): the daily one to reviewers (and
# to whoever chose a digest), the weekly one to leaders on this ISO weekday
# (1 is Monday).
DIGEST_TIME = env.str("DIGEST_TIME", default="07:00")
WEEKLY_DIGEST_WEEKDAY = env.int("WEEKLY_DIGEST_WEEKDAY", default=1)

# Evidence uploads.
EVIDENCE_ALLOWED_KINDS = env.list(
    "EVIDENCE_ALLOWED_KINDS", default=["pdf", "jpeg", "png", "docx", "xlsx"]
)
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=25 * 1024 * 1024)
# DOCX and XLSX are ZIP archives: refuse those that unpack to more than this.
EVIDENCE_MAX_UNPACKED_BYTES = env.int(
    "EVIDENCE_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024
)
EVIDENCE_MAX_FILES_PER_UPLOAD = env.int("EVIDENCE_MAX_FILES_PER_UPLOAD", default=10)
# Evidence valid until a date (a certificate, an inspection record) flags its
# approved or submitted criterion this many days before that date.
EVIDENCE_EXPIRY_WARNING_DAYS = env.int("EVIDENCE_EXPIRY_WARNING_DAYS", default=30)
# Year-end criteria may be submitted from this day of their year ("MM-DD"),
# or from the date given for that year in YEAR_END_WINDOW_DATES.
YEAR_END_WINDOW_OPENS = env.str("YEAR_END_WINDOW_OPENS", default="11-15")
YEAR_END_WINDOW_DATES = env.list("YEAR_END_WINDOW_DATES", default=[])
# Review items pending longer than this stand out in the queue.
REVIEW_OVERDUE_DAYS = env.int("REVIEW_OVERDUE_DAYS", default=7)
# The address people use to reach the app, for links in e-mails (`make run
# PORT=8001` sets it to its own port unless SITE_URL is set).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Whom people ask for help, shown on the help page (free text: a unit, a phone
# number, an address). Empty: the reviewers or IT staff of the provincial police.
SUPPORT_CONTACT = env.str("SUPPORT_CONTACT", default="")

# "Forgot password": a link by e-mail, valid for PASSWORD_RESET_HOURS and
# once; asked for at most PASSWORD_RESETS_PER_ADDRESS times an hour from one
# client address and PASSWORD_RESETS_PER_EMAIL times an hour for one e-mail
# address (django-ratelimit). The counts are kept in the database, shared by
# every process: the table of the `throttle` cache is made by `migrate`
# (accounts.0003); entries live a day, longer than any throttle's hour.
PASSWORD_RESET_TIMEOUT = int(env.float("PASSWORD_RESET_HOURS", default=1) * 3600)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=20)
PASSWORD_RESETS_PER_EMAIL = env.int("PASSWORD_RESETS_PER_EMAIL", default=3)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "core.cache.CounterCache",
        "LOCATION": "throttle_counts",
        "TIMEOUT": 24 * 3600,
    },
}
# A dossier's PDF or ZIP costs seconds of a worker and a copy of its files:
# so many an hour per person.
DOSSIER_EXPORTS_PER_HOUR = env.int("DOSSIER_EXPORTS_PER_HOUR", default=60)
RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_IP_META_KEY = "accounts.client_address.client_address"
# django-ratelimit warns about any cache but memcached and Redis; CounterCache
# increments atomically in the database, which is what the warning is about.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
