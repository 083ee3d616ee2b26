"""BreachTrack settings: one module, configured by environment variables only.

Two modes (BREACHTRACK_MODE):

* ``embedded`` (the default): needs no configuration at all. SQLite and Celery's
  filesystem broker under ``var/``, DEBUG on, e-mail printed to the console.
* ``production``: PostgreSQL (DATABASE_URL), Redis (CELERY_BROKER_URL), a real
  SECRET_KEY and ALLOWED_HOSTS are required; the process refuses to start
  without them. Passes ``manage.py check --deploy``.

Every variable is read through the strict helpers in ``breachtrack.env``; the
README has the full table.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from breachtrack.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_instant,
    env_int,
    env_list,
    env_secret,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
MODE = env_choice("BREACHTRACK_MODE", "embedded", ("embedded", "production"))
PRODUCTION = MODE == "production"
VAR_DIR = Path(env_str("BREACHTRACK_VAR_DIR", str(BASE_DIR / "var")))


def _require(name: str, value):
    if PRODUCTION and not value:
        raise ConfigurationError(f"{name} is required when BREACHTRACK_MODE=production")
    return value


def _embedded_secret_key(file_name: str = "secret_key") -> str:
    """A per-installation key kept in var/ (git-ignored), made once on first start.

    Only the embedded mode uses this; production refuses to start without
    SECRET_KEY so that a restart can never silently rotate the key.
    """
    path = VAR_DIR / file_name
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when web and worker start together only one writes the key;
        # 0600 from the first byte, never briefly readable by others.
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(64))
    for _attempt in range(50):  # the writer may not have finished its one write
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.02)
    raise ConfigurationError(f"{path} is empty: delete it to make a new key")


# --- Core -------------------------------------------------------------------
SECRET_KEY = env_secret("SECRET_KEY")
if PRODUCTION:
    _require("SECRET_KEY", SECRET_KEY)
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ConfigurationError("SECRET_KEY must be at least 50 random characters in production")
elif not SECRET_KEY:
    SECRET_KEY = _embedded_secret_key()

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ConfigurationError("DEBUG cannot be on when BREACHTRACK_MODE=production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
_require("ALLOWED_HOSTS", ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "breachtrack.apps.BreachTrackAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "simple_history",
    "organisations",
    "incidents",
    "notifications",
    "filings",
    "communications",
    "evidence",
    "access",
    # The interfaces: pages, the admin, template tags (web); Celery tasks and manage.py commands (ops).
    "web",
    "ops",
    "django_htmx",  # htmx.js as a static file (see base.html), and request.htmx
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here: the docs page needs no CDN
    "api",
    "axes",  # login throttling (the "Authentication" section below)
]
# Before organisations: its admin module then unregisters their admin (web/admin/organisations.py).
INSTALLED_APPS[INSTALLED_APPS.index("organisations") : 0] = ["django_otp", "django_otp.plugins.otp_totp"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that may answer early (two-factor, axes): Cache-Control: private, no-store
    # on authenticated and share-link answers, and a Permissions-Policy on every one.
    "web.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, the first to read a body: a body too large, or a form that is not
    # UTF-8, is refused before it is read or stored.
    "web.limits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After OTPMiddleware: a user who owes a second factor reaches only the login pages.
    "web.two_factor.TwoFactorRequiredMiddleware",
    "web.middleware.UserTimezoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "web.middleware.HistoryReasonMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out login attempt into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "web.urls"
WSGI_APPLICATION = "breachtrack.wsgi.application"
ASGI_APPLICATION = "breachtrack.asgi.application"
AUTH_USER_MODEL = "organisations.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.sweep_health",
                "web.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_url(
    "DATABASE_URL",
    None,
    schemes=("postgres", "postgresql", "sqlite") if not PRODUCTION else ("postgres", "postgresql"),
)
_require("DATABASE_URL", DATABASE_URL)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, whose health check asks the socket before sending SELECT 1 (see there).
        DATABASES["default"]["ENGINE"] = "breachtrack.postgresql"
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "breachtrack.sqlite3"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers run
    # beside a writer, IMMEDIATE takes the write lock at BEGIN so two writers
    # queue instead of deadlocking on a lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"].pop("CONN_HEALTH_CHECKS", None)

# --- Authentication ---------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The first backend throttles (django-axes: refuses a locked-out username + address before any
# password is checked); the second authenticates and, per request, tells the two-factor
# middleware whether the user owes a second factor (organisations.auth_backends).
AUTHENTICATION_BACKENDS = [
    "organisations.auth_backends.ThrottledLoginBackend",
    "organisations.auth_backends.MemberBackend",
]
# Failed logins are counted in the database (AxesDatabaseHandler), so the count holds across
# every gunicorn worker and host. A username is locked out from one address after
# BREACHTRACK_LOGIN_FAILURE_LIMIT failures, for BREACHTRACK_LOGIN_LOCKOUT_MINUTES; by username
# *and* address, so that nobody can lock an officer out from elsewhere by mistyping on purpose.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("BREACHTRACK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("BREACHTRACK_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "web.accounts.views.locked_out"  # 429, the lockout page
# The same client address as the access log: X-Forwarded-For only behind our own proxy.
AXES_CLIENT_IP_CALLABLE = "access.client.client_ip"
AXES_VERBOSE = False
# Login attempts name usernames and addresses of every organisation: not for the member-based
# admin. Superusers use manage.py axes_list_attempts / axes_reset_username.
AXES_ENABLE_ADMIN = False
# Two-factor (django-otp, TOTP): the issuer shown in the authenticator app.
OTP_TOTP_ISSUER = "BreachTrack"

# --- Time and language ------------------------------------------------------
# Storage is UTC (USE_TZ); TIME_ZONE is only the default *display* zone, which
# each user can override on their profile.
USE_TZ = True
TIME_ZONE = env_str("BREACHTRACK_DEFAULT_TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Per-language formats of our own (INSTANT_FORMAT), over Django's: breachtrack/formats/<lang>/.
FORMAT_MODULE_PATH = ["breachtrack.formats"]

# How far in the future a reported instant may lie before it is refused as
# impossible (clock skew between the reporter's device and the server).
BREACHTRACK_CLOCK_SKEW_SECONDS = env_int("BREACHTRACK_CLOCK_SKEW_SECONDS", 300, minimum=0)
# And how far in the past: an instant before this is a typing error (year 1, 0202 for 2025), not
# a fact of a breach, and is refused wherever a person or a client reports one.
BREACHTRACK_EARLIEST_INSTANT = env_instant("BREACHTRACK_EARLIEST_INSTANT", "1990-01-01T00:00:00Z")

# Art. 33(4) follow-ups to the authority: "without undue further delay" has no number in the law,
# so the target is a setting; and how much an affected count must move (in %) against the last
# filing before a follow-up is owed.
BREACHTRACK_FOLLOW_UP_TARGET_HOURS = env_int("BREACHTRACK_FOLLOW_UP_TARGET_HOURS", 72, minimum=1)
BREACHTRACK_FOLLOW_UP_MATERIAL_CHANGE_PERCENT = env_int("BREACHTRACK_FOLLOW_UP_MATERIAL_CHANGE_PERCENT", 10, minimum=1)

# --- Communication to data subjects (Art. 34) ---------------------------------
# "Without undue delay" has no number in the law: this is the organisation's target, in hours.
BREACHTRACK_DATA_SUBJECT_TARGET_HOURS = env_int("BREACHTRACK_DATA_SUBJECT_TARGET_HOURS", 72, minimum=1)
# The server secret from which each organisation's recipient-ledger key is derived. Kept out of
# the database so that a dump alone cannot reverse the 9-digit BSN hashes.
BREACHTRACK_LEDGER_KEY = env_secret("BREACHTRACK_LEDGER_KEY")
if PRODUCTION:
    _require("BREACHTRACK_LEDGER_KEY", BREACHTRACK_LEDGER_KEY)
    if len(BREACHTRACK_LEDGER_KEY) < 32:
        raise ConfigurationError("BREACHTRACK_LEDGER_KEY must be at least 32 random characters in production")
elif not BREACHTRACK_LEDGER_KEY:
    BREACHTRACK_LEDGER_KEY = _embedded_secret_key("ledger_key")
# The largest recipient CSV accepted in one upload (bytes); 941,000 BSNs are about 15 MB.
BREACHTRACK_LEDGER_MAX_BYTES = env_int("BREACHTRACK_LEDGER_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
# Larger uploads are imported by a Celery task while the page shows its progress.
BREACHTRACK_LEDGER_SYNC_MAX_BYTES = env_int("BREACHTRACK_LEDGER_SYNC_MAX_BYTES", 1024 * 1024, minimum=0)
# An import job whose worker has not reported for this long is taken for crashed: marked failed
# (nothing was written: the write is one transaction) and its upload deleted.
BREACHTRACK_LEDGER_JOB_STALE_SECONDS = env_int("BREACHTRACK_LEDGER_JOB_STALE_SECONDS", 600, minimum=60)

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
WHITENOISE_USE_FINDERS = DEBUG  # embedded: serve app static files without collectstatic
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Uploads ----------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)

# The recipient CSV (communications: upload_ledger) streams to disk, so its own limit
# (BREACHTRACK_LEDGER_MAX_BYTES, above) is far above these, which bound what Django holds in
# memory for one request body or one uploaded file. BREACHTRACK_UPLOAD_MAX_BYTES is the largest
# request body that may carry a file at all (default: the ledger's limit and 64 KiB for the
# form around it); breachtrack.uploads refuses a larger one before any of its file is stored.
BREACHTRACK_UPLOAD_MAX_BYTES = env_int(
    "BREACHTRACK_UPLOAD_MAX_BYTES", BREACHTRACK_LEDGER_MAX_BYTES + 64 * 1024, minimum=1024
)
FILE_UPLOAD_HANDLERS = [
    "breachtrack.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- E-mail -----------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    # Embedded: alerts are written as files a newcomer can open (var/mail/*.log), instead of
    # scrolling past on the worker's console.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "breachtrack@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Alert delivery (notifications.delivery) -----------------------------------
# Where links in e-mails and webhooks point: the address people open BreachTrack at.
BREACHTRACK_BASE_URL = (
    env_url("BREACHTRACK_BASE_URL", None if PRODUCTION else "http://127.0.0.1:8000", schemes=("http", "https")) or ""
).rstrip("/")
if PRODUCTION:
    # Links in alert e-mails and webhooks: a default of 127.0.0.1 would send officers nowhere.
    _require("BREACHTRACK_BASE_URL", BREACHTRACK_BASE_URL)
    if not BREACHTRACK_BASE_URL.startswith("https://"):
        raise ConfigurationError("BREACHTRACK_BASE_URL must be an https:// address in production")
# Waits after the 1st, 2nd, ... failed attempt; after the last one the delivery is failed.
_backoff = env_list("BREACHTRACK_DELIVERY_BACKOFF_SECONDS", ["60", "300", "1800", "7200", "21600"])
if not _backoff or not all(value.isdigit() and int(value) >= 1 for value in _backoff):
    raise ConfigurationError("BREACHTRACK_DELIVERY_BACKOFF_SECONDS must be a comma-separated list of seconds (>= 1)")
BREACHTRACK_DELIVERY_BACKOFF_SECONDS = [int(value) for value in _backoff]
# How long a claimed (or queued) delivery belongs to its worker before the dispatcher takes it back.
BREACHTRACK_DELIVERY_LEASE_SECONDS = env_int("BREACHTRACK_DELIVERY_LEASE_SECONDS", 300, minimum=30)
# How long a queued delivery waits for its task before the dispatcher enqueues it again: a task
# lost with the broker (a Redis restart that kept nothing on disk) is re-sent within about this
# long. A duplicate task is harmless (the claim is a compare-and-set), so this can be short.
BREACHTRACK_DELIVERY_REQUEUE_SECONDS = env_int("BREACHTRACK_DELIVERY_REQUEUE_SECONDS", 60, minimum=15)
BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS = env_int("BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Webhooks go to public addresses only (notifications.addresses): a private, loopback or link-local
# address is refused when an endpoint is saved and when a webhook is sent. Host names listed here
# (as written in the endpoint's URL, e.g. a SIEM on the internal network) skip that check.
BREACHTRACK_WEBHOOK_ALLOWED_HOSTS = env_list("BREACHTRACK_WEBHOOK_ALLOWED_HOSTS", [])
if BREACHTRACK_DELIVERY_LEASE_SECONDS <= max(BREACHTRACK_WEBHOOK_TIMEOUT_SECONDS, globals().get("EMAIL_TIMEOUT", 0)):
    # A lease shorter than a send would let the dispatcher hand a live send to a second worker.
    raise ConfigurationError("BREACHTRACK_DELIVERY_LEASE_SECONDS must exceed the webhook and e-mail timeouts")

# --- Celery -----------------------------------------------------------------
_celery_dir = VAR_DIR / "celery"
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL",
    None if PRODUCTION else "filesystem://",
    schemes=("redis", "rediss") if PRODUCTION else ("redis", "rediss", "filesystem", "memory"),
)
_require("CELERY_BROKER_URL", CELERY_BROKER_URL)
if CELERY_BROKER_URL.startswith("filesystem"):
    for sub in ("out", "processed", "control"):
        (_celery_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "out"),
        "data_folder_out": str(_celery_dir / "out"),
        "processed_folder": str(_celery_dir / "processed"),
        # kombu's default is ./control, relative to wherever the process was started.
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
        # How long an idle worker sleeps between looks at its queue's folder (kombu: 1 s). A
        # worker whose prefetch is full also sleeps it before fetching the next message, so 1 s
        # handed over one message a second: a burst of 60 alert e-mails took a minute. 0.1 s costs
        # one listdir of a near-empty folder per queue, ten times a second (about 1 % of a core).
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues: the sweep has its own, consumed by its own worker process (scripts/run, docs/operations.md
# "Workers and queues"), so a sweep never waits behind alert deliveries, which are the burst each
# sweep creates and may each hold a slot for an SMTP or webhook timeout. Deliveries have theirs so
# that they can be given their own workers too; everything else (imports, anchoring, purges) goes
# to the default queue. A worker started without -Q consumes all three.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("sweep"), Queue("deliveries"), Queue(CELERY_TASK_DEFAULT_QUEUE))
CELERY_TASK_ROUTES = {
    "actions.sweep": {"queue": "sweep"},
    "notifications.deliver": {"queue": "deliveries"},
    "notifications.deliver_batch": {"queue": "deliveries"},
}
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_ALWAYS_EAGER = False
# The deadline sweep (ops.tasks.notifications): each run records the alerts whose thresholds passed.
# /healthz and the "alerts are not being checked" banner (notifications.health) call the sweep
# stale once its heartbeat is older than 3 intervals.
BREACHTRACK_SWEEP_INTERVAL_SECONDS = env_int("BREACHTRACK_SWEEP_INTERVAL_SECONDS", 15, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "actions.sweep",
        "schedule": BREACHTRACK_SWEEP_INTERVAL_SECONDS,
    },
    # A ledger import whose worker died stays "checking" until this marks it failed
    # (actions.recipient_imports.fail_stale_jobs; stale after BREACHTRACK_LEDGER_JOB_STALE_SECONDS, default 600).
    "fail-stale-ledger-imports": {
        "task": "communications.fail_stale_import_jobs",
        "schedule": 60,
    },
}

# --- Security (production) --------------------------------------------------
# True only when a TLS proxy we run sits in front of the app: then its X-Forwarded-Proto is
# trusted (below, production) and access.client.client_ip reads the client's address from
# X-Forwarded-For: the entry BEHIND_TLS_PROXY_COUNT places from the right, since each of our
# proxies appends the address it saw (one proxy: the last entry). Entries further left are the
# client's own invention; a header with fewer entries falls back to REMOTE_ADDR. Off: both
# headers are ignored, since anyone can send them.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
BEHIND_TLS_PROXY_COUNT = env_int("BEHIND_TLS_PROXY_COUNT", 1, minimum=1)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A session lasts a working day (SESSION_COOKIE_AGE, seconds), not Django's two weeks: an
# unattended browser with the breach register open is the risk. It ends with the browser too.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 9 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# The language cookie (set by /i18n/setlang/) is read by the server only: no script reads it, it
# is sent on the same site only, and over HTTPS only wherever the session cookie is (production).
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp): nothing inline, nothing from elsewhere. Scripts and
# styles are static files of our own; a template that needs an inline script must use the
# request's nonce ({{ request.csp_nonce }}), which only script-src accepts. tests/test_csp.py
# walks the pages and refuses inline scripts, <style> blocks and style= attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # base.html's empty favicon (data:,) keeps browsers from asking
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Regulator share links (access app) ---------------------------------------
# The longest a share link may live: a regulator's question is answered in weeks, and a link
# that outlives its purpose is a leak waiting to happen.
BREACHTRACK_SHARE_LINK_MAX_DAYS = env_int("BREACHTRACK_SHARE_LINK_MAX_DAYS", 90, minimum=1)
# Throttles on the public /share/<token>/ URL (access.throttle), counted in the access log so
# they hold across every worker and host. Per client address: refused guesses (unknown, expired
# or revoked token) before every share request from it is answered 429; a regulator who
# mistypes a link a few times stays well below. Per link: served downloads, from anyone; a
# calendar client polling the deadlines every few minutes stays below.
BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS = env_int("BREACHTRACK_SHARE_MAX_REFUSALS_PER_ADDRESS", 10, minimum=1)
BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS = env_int("BREACHTRACK_SHARE_REFUSAL_WINDOW_SECONDS", 900, minimum=1)
BREACHTRACK_SHARE_MAX_DOWNLOADS_PER_LINK = env_int("BREACHTRACK_SHARE_MAX_DOWNLOADS_PER_LINK", 60, minimum=1)
BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS = env_int("BREACHTRACK_SHARE_DOWNLOAD_WINDOW_SECONDS", 3600, minimum=1)

# --- Anchoring the audit chains (evidence.anchor) ------------------------------
# An RFC 3161 time-stamping authority that signs each chain's head once a day, so a rewrite of
# history after that day is provable even by someone who recomputes the whole chain. Unset: no
# anchoring (``manage.py anchor_audit`` and ``verify_audit`` say so); both states are valid in
# production. The token is signed, so plain http:// TSAs (most public ones) are acceptable.
BREACHTRACK_TSA_URL = env_url("BREACHTRACK_TSA_URL", None, schemes=("http", "https"))
# PEM file with the TSA's certificate, or the CA certificate(s) that issue it. Unset: a token's
# signature is checked against the certificate it carries (integrity, not the TSA's identity).
BREACHTRACK_TSA_CA_FILE = env_str("BREACHTRACK_TSA_CA_FILE")
if BREACHTRACK_TSA_CA_FILE and not Path(BREACHTRACK_TSA_CA_FILE).is_file():
    raise ConfigurationError(f"BREACHTRACK_TSA_CA_FILE={BREACHTRACK_TSA_CA_FILE!r} is not a readable file")
BREACHTRACK_TSA_TIMEOUT_SECONDS = env_int("BREACHTRACK_TSA_TIMEOUT_SECONDS", 30, minimum=1)
BREACHTRACK_TSA_HASH = env_choice("BREACHTRACK_TSA_HASH", "sha256", ("sha256", "sha384", "sha512"))
# How often beat tries; each chain still gets at most one anchor per UTC day, so the hourly runs
# after the day's anchor cost one query per chain, and a TSA outage is retried within the day.
BREACHTRACK_ANCHOR_INTERVAL_SECONDS = env_int("BREACHTRACK_ANCHOR_INTERVAL_SECONDS", 3600, minimum=60)
CELERY_BEAT_SCHEDULE["anchor-audit-chains"] = {
    "task": "evidence.anchor_audit",
    "schedule": BREACHTRACK_ANCHOR_INTERVAL_SECONDS,
}

# --- REST API (api app) --------------------------------------------------------
# Integrations send an API token (Authorization: Bearer btk_...); the browser its session, with
# CSRF enforced on every unsafe method. JSON only: no browsable HTML API beside the docs page.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "web.two_factor.VerifiedSessionAuthentication",  # 403 until a required second factor is given
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.DepthLimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.ErrorDocumentingAutoSchema",  # documents every error response
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # No OPTIONS metadata: the schema documents the API once, for those allowed to read it.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "BreachTrack API",
    "DESCRIPTION": "The breach register over HTTP. Every change names a reason; updates need If-Match.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # After drf-spectacular's own (the enums): links from each create to what it made (api.schema.add_links).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_links"],
}
# The longest an API token may live: a credential nobody remembers must run out by itself.
BREACHTRACK_API_TOKEN_MAX_DAYS = env_int("BREACHTRACK_API_TOKEN_MAX_DAYS", 365, minimum=1)
# Idempotency-Key on the API's POSTs (api.idempotency): a key and its stored answer live this
# long; a replay within it gets the stored answer. On PostgreSQL a key whose request died is
# taken over by its retry at once (an advisory lock ends with its request); on SQLite, which has
# no such lock, a key still "in flight" after the second setting is taken to belong to a request
# that died, and a retry may take it over.
BREACHTRACK_API_IDEMPOTENCY_TTL_HOURS = env_int("BREACHTRACK_API_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)
BREACHTRACK_API_IDEMPOTENCY_IN_FLIGHT_SECONDS = env_int(
    "BREACHTRACK_API_IDEMPOTENCY_IN_FLIGHT_SECONDS", 300, minimum=10
)
CELERY_BEAT_SCHEDULE["purge-idempotency-keys"] = {"task": "api.purge_idempotency_keys", "schedule": 3600}
# Two "channel" choice sets in the schema (filings, waves): name each enum after its vocabulary.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "FilingChannelEnum": "filings.choices.FilingChannel",
        "WaveChannelEnum": "communications.choices.WaveChannel",
        "NoticeChannelEnum": "incidents.choices.Channel",
        "ExtortionChannelEnum": "incidents.choices.ExtortionChannel",
        "CountdownRevisionKindEnum": "incidents.choices.CountdownRevisionKind",
        "AuthorityRoleEnum": "incidents.choices.AuthorityRole",
        "TemplateAnswerEnum": "filings.choices.TemplateAnswer",  # police report and cross-border (EDPB template)
        "AnchorKindEnum": "incidents.choices.AnchorKind",  # a regime clock's moment (api.regimes)
        "RoleEnum": "incidents.choices.PartyRole",  # the name it had before AuthorityRole came
        # ISO 3166-1 alpha-2 codes: the data subjects' countries and a directory party's country
        "DataSubjectCountriesEnum": "api.serializers.COUNTRY_CODES",
    }
)

# --- History ----------------------------------------------------------------
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True  # evidence is never rolled back from the admin

# --- Logging ----------------------------------------------------------------
# A share link's token is the whole credential: Django's loggers that name a request path
# (django.request: "Not Found: /share/<token>/"; django.server: runserver's request lines) pass
# their records through breachtrack.redaction.ShareTokenFilter, which rewrites the token to
# [redacted] in the record itself, for every handler. gunicorn's access log is redacted by its
# logger class (breachtrack.gunicorn_logging, given to gunicorn by scripts/run).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_share_tokens": {"()": "breachtrack.redaction.ShareTokenFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Django's own format for runserver's request lines (django.utils.log.DEFAULT_LOGGING).
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_share_tokens"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "level": "INFO"},
    },
    "loggers": {
        "django.request": {"filters": ["redact_share_tokens"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_share_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
