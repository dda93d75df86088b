"""Member Center settings: one module, configured only by environment variables.

Every value comes from the environment (or `.env` in the project root when present).
A malformed value stops start-up with a message that names the variable; with
DJANGO_ENV=production, a missing or unsafe value does too. All problems are listed
together in one ImproperlyConfigured. docs/deployment.md describes every variable.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from membercenter.lib import logging as mc_logging
from membercenter.lib.storage import s3_storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

_problems: list[str] = []  # every malformed, missing or unsafe value; raised together at the end
_BOOL_WORDS = {"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f", ""}
_DB_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}


class _Env(environ.Env):
    """django-environ, but a malformed value is reported by its variable's name (never its value)."""

    def _malformed(self, var: str, expected: str, default: Any) -> Any:
        _problems.append(f"{var}: malformed value, expected {expected}")
        if default is self.NOTSET:
            raise ImproperlyConfigured("\n".join(_problems))
        return default

    def get_value(self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False):
        raw = self.ENVIRON.get(var)
        if cast is bool and raw is not None and raw.strip().lower() not in _BOOL_WORDS:
            return self._malformed(var, "true or false", default)
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError):
            expected = {int: "a whole number", float: "a number"}.get(cast, "a valid value")
            return self._malformed(var, expected, default)

    def db_url(self, var: str = "DATABASE_URL", default: Any = environ.Env.NOTSET, engine: Any = None) -> dict:
        fallback = self.db_url_config(default) if isinstance(default, str) else default
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # environ warns on an unknown scheme; we say it better
                config = super().db_url(var, default=default, engine=engine)
        except ValueError:
            config = {}
        if config.get("ENGINE") not in _DB_ENGINES:
            return self._malformed(var, "sqlite:///path or postgres://user:password@host:5432/name", fallback)
        return config

    def email_url(self, var: str = "EMAIL_URL", default: Any = environ.Env.NOTSET, backend: Any = None) -> dict:
        try:
            return super().email_url(var, default=default, backend=backend)
        except (ValueError, ImproperlyConfigured):
            return self._malformed(var, "smtp+tls://user:password@host:587 (or smtp://, smtps://, consolemail://…)", {})


def _url_scheme(value: str) -> str:
    return value.split("://", 1)[0].lower() if "://" in value else ""


def _networks(var: str, values: list[str]) -> list[str]:
    good = []
    for value in values:
        if var == "TRUSTED_PROXIES" and value.strip().lower() == "unix":  # part C: a Unix-socket peer
            good.append("unix")
            continue
        try:
            good.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            _problems.append(f"{var}: {value!r} is not an IP address or network (like 10.0.0.0/8)")
    return good


env = _Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

# The one switch: DJANGO_ENV=production turns on the production requirements (end of this
# file) and the production defaults (HTTPS only, secure cookies, JSON logs).
DJANGO_ENV = env.str("DJANGO_ENV", default="development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    _problems.append(f"DJANGO_ENV: expected 'development' or 'production', got {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
TESTING = env.bool("TESTING", default=False)

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not PRODUCTION and not DEBUG and not env.bool("ALLOW_DEV_SECRET", default=True):
        _problems.append("SECRET_KEY: must be set (ALLOW_DEV_SECRET=false)")
    # Development only: a fixed key keeps sessions valid across restarts of `make run`.
    SECRET_KEY = _DEV_SECRET
# Old keys, still accepted for sessions and signed links while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_guid",
    # Only for its system checks on the cache the failed-attempt limits count in.
    "django_ratelimit",
    "membercenter.accounts",
    "membercenter.catalog",
    "membercenter.products",
    "membercenter.notifications",
    "membercenter.support",
    "membercenter.evidence",
    "membercenter.promotions",
    "membercenter.claims",
    "membercenter.audit",
    "membercenter.backoffice",
    "membercenter.rewards",
    "membercenter.privacy",
    # 7.1 authentication: TOTP two-factor for staff (required for administrators).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "membercenter.twofactor",
]

MIDDLEWARE = [
    # 7.4 headers: on every response, the probes' below included (see "security" further down).
    "membercenter.lib.headers.BaselineHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # /health/ and /metrics answer here: no host check, https redirect, session or cookie.
    "membercenter.lib.health.ProbeMiddleware",
    "membercenter.lib.metrics.RequestMetricsMiddleware",
    # X-Request-ID in, out, and on every log line (and the tasks the request starts).
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # 7.1 authentication: holds back a session that still owes its one-time code, and administrators
    # without an authenticator, from the back office. (Not django_otp's OTPMiddleware: it sets
    # user.is_verified, which on our User is the email-verified property; twofactor/gate.py does its job.)
    "membercenter.twofactor.middleware.TwoFactorMiddleware",
    "membercenter.accounts.middleware.SessionActivityMiddleware",
    "membercenter.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "membercenter.urls"
# Form fields render through templates/django/forms/field.html: a real <label> with a
# "*" for required fields, checkboxes before their label.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "membercenter.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "membercenter.lib.context_processors.brand",
            ],
            # Issue 6, member-page speed: {% memo %}, the shared layout rendered once per language.
            "libraries": {"memo": "membercenter.lib.memo"},
        },
    },
]

# --- database -------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed during a write; IMMEDIATE transactions take the write
    # lock up front so concurrent writers queue instead of failing mid-transaction.
    _db.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file, not SQLite's shared-cache memory database: that one locks whole
    # tables and fails concurrent writers at once instead of letting them wait.
    _test_db = VAR_DIR / f"test-db-{os.getpid()}.sqlite3"  # one per run: parallel runs never share it
    _db["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default=str(_test_db))}
else:
    _db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    # A database that does not answer fails a request (and /health/) in seconds, not minutes.
    _db.setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5))
    # Behind pgbouncer in transaction mode a cursor cannot outlive its transaction.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
    # Prepared statements: parameters sent apart from the SQL, and a statement the connection has
    # run five times prepared, so that PostgreSQL stops planning it again on every request (planning
    # was as much of a member page's database time as running its queries). Behind pgbouncer in
    # transaction mode this needs pgbouncer 1.21+ (max_prepared_statements) or DB_PREPARED_STATEMENTS=false.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        _db["OPTIONS"].setdefault("server_side_binding", True)
        _db["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions, jobs ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and _url_scheme(REDIS_URL) not in {"redis", "rediss", "unix"}:
    _problems.append("REDIS_URL: expected redis://host:6379/0 (or rediss://, unix://)")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "membercenter.lib.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mc"),
            # A Redis that does not answer fails the request in seconds instead of hanging it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    # Sessions are read from Redis and kept in the database too: a Redis restart or an
    # evicted key logs nobody out, and Login Management ends a session in both places.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    # django-ratelimit lists only django-redis' cache as supported; Django's own RedisCache
    # (4.0+, newer than that list; here with one Redis client kept, membercenter/lib/cache.py)
    # is shared by every process and increments atomically (INCR).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # The embedded default runs one process, so a process-local cache is shared by every
    # request the failed-attempt limits see. Production requires REDIS_URL.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_VIEW = "membercenter.lib.views.rate_limited"

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=PRODUCTION)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie (forms and htmx send the token from the page).
CSRF_COOKIE_HTTPONLY = True

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker, tasks run in-process at the moment they are queued (after commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
# At least once: a job is acknowledged when it has finished, and goes back to the queue when
# the process running it dies; every task is written to be safe to run twice (see each tasks.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A worker reserves one job per process: the jobs a dead worker held are only those it was running.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No job runs for ever: soft limit (the job may clean up), then the process is killed.
# Tasks may set shorter ones (the OCR reading, the outbox); sweeps that stop go on at their next run.
CELERY_TASK_SOFT_TIME_LIMIT = 270
CELERY_TASK_TIME_LIMIT = 300
# Redis gives a job taken by a worker that vanished (killed, machine lost) to another worker after
# this long. It must exceed the longest a job can run (CELERY_TASK_TIME_LIMIT, and any retry delay),
# or a job still running would be started again. The scheduled sweeps pick up lost work sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Several deployments (or test runs) can share one Redis database, each under its own prefix.
    "global_keyprefix": env.str("CELERY_KEY_PREFIX", default=""),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# The pictures' reading (OCR, one to two seconds of CPU each) has a queue of its own, so that
# mail, a claim's checks and the rewards never wait behind a backlog of pictures. A worker
# takes both queues by default (WORKER_QUEUES in the Procfile and the systemd unit); a large
# deployment gives each its own workers.
EVIDENCE_QUEUE = "evidence"
CELERY_TASK_ROUTES = {"membercenter.evidence.tasks.read_scan": {"queue": EVIDENCE_QUEUE}}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "membercenter.notifications.tasks.outbox_sweep", "schedule": 30.0},
    "captcha-purge": {"task": "membercenter.accounts.tasks.purge_expired", "schedule": 3600.0},
    "claims-expire": {"task": "membercenter.claims.tasks.expire_sent_back", "schedule": 3600.0},
    "claims-escalate": {"task": "membercenter.claims.tasks.escalate_overdue", "schedule": 3600.0},
    "claims-judge": {"task": "membercenter.claims.tasks.judge_unjudged", "schedule": 180.0},
    "rewards-allocate": {"task": "membercenter.rewards.tasks.allocate", "schedule": 60.0},
    "rewards-deliver": {"task": "membercenter.rewards.tasks.deliver", "schedule": 60.0},
    "uploads-purge": {"task": "membercenter.evidence.tasks.purge_stale_uploads", "schedule": 3600.0},
    "scans-retry": {"task": "membercenter.evidence.tasks.read_pending", "schedule": 300.0},
    # 7.5 data protection: documents of long-closed claims (DOCUMENT_RETENTION_DAYS).
    "documents-retention": {"task": "membercenter.privacy.tasks.documents_retention", "schedule": 3600.0 * 6},
}

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["membercenter.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=60 * 60 * 24 * 3)
CAPTCHA_MAX_AGE = env.int("CAPTCHA_MAX_AGE", default=60 * 15)
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="30/h")
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="10/h")
CHK_RATE_PER_ACCOUNT = env.str("CHK_RATE_PER_ACCOUNT", default="10/h")

# --- 7.2 anti-automation: attempts per IP and per account (membercenter/lib/ratelimit.py) ---
# Every attempt counts (a POST of the form; for the captcha, each showing of a captcha page
# and each "new question"), right or wrong, unlike the failed-attempt limits above. Per IP
# generous (mobile networks put many members behind one address), per account tighter
# ("account": the member, or the email posted on the sign-up, log-in and reset forms).
# "N/h": N attempts per hour (s, m, h, d).
RATE_LIMITS = {
    "signup": {
        "ip": env.str("RATE_SIGNUP_PER_IP", default="20/h"),
        "account": env.str("RATE_SIGNUP_PER_ACCOUNT", default="10/h"),
    },
    "login": {
        "ip": env.str("RATE_LOGIN_PER_IP", default="60/h"),
        "account": env.str("RATE_LOGIN_PER_ACCOUNT", default="20/h"),
    },
    "password_reset": {
        "ip": env.str("RATE_PASSWORD_RESET_PER_IP", default="20/h"),
        "account": env.str("RATE_PASSWORD_RESET_PER_ACCOUNT", default="10/h"),
    },
    "captcha_refresh": {
        "ip": env.str("RATE_CAPTCHA_REFRESH_PER_IP", default="60/h"),
        "account": env.str("RATE_CAPTCHA_REFRESH_PER_ACCOUNT", default="30/h"),
    },
    "upload": {
        "ip": env.str("RATE_UPLOAD_PER_IP", default="120/h"),
        "account": env.str("RATE_UPLOAD_PER_ACCOUNT", default="60/h"),
    },
    "registration": {
        "ip": env.str("RATE_REGISTRATION_PER_IP", default="120/h"),
        "account": env.str("RATE_REGISTRATION_PER_ACCOUNT", default="60/h"),
    },
    "claim": {
        "ip": env.str("RATE_CLAIM_PER_IP", default="60/h"),
        "account": env.str("RATE_CLAIM_PER_ACCOUNT", default="20/h"),
    },
}
for _action, _scopes in RATE_LIMITS.items():
    for _scope, _rate in _scopes.items():
        if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", _rate.strip()):
            _problems.append(f"RATE_{_action.upper()}_PER_{_scope.upper()}: expected attempts per period, like 20/h")
        _scopes[_scope] = _rate.strip()

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="id")
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")

# --- files ------------------------------------------------------------------
STATIC_URL = "/static/"
# collectstatic writes here; WhiteNoise serves it (hashed names, cached for a year).
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# No MEDIA_URL is served: every uploaded file goes through a view that checks who asks.
MEDIA_URL = "/nonexistent-media/"
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local").strip().lower()
if STORAGE_BACKEND == "s3":
    _s3_keys = (env.str("STORAGE_ACCESS_KEY_ID", default=""), env.str("STORAGE_SECRET_ACCESS_KEY", default=""))
    if not env.str("STORAGE_BUCKET", default=""):
        _problems.append("STORAGE_BUCKET: required with STORAGE_BACKEND=s3 (the bucket's name)")
    if bool(_s3_keys[0]) != bool(_s3_keys[1]):
        _problems.append(
            "STORAGE_ACCESS_KEY_ID, STORAGE_SECRET_ACCESS_KEY: set both, or neither (to use the instance's role)"
        )
    _endpoint = env.str("STORAGE_ENDPOINT_URL", default="")
    if _endpoint and _url_scheme(_endpoint) not in {"http", "https"}:
        _problems.append("STORAGE_ENDPOINT_URL: expected an http(s):// URL of the S3-compatible service")
    _default_storage = s3_storage(
        bucket=env.str("STORAGE_BUCKET", default=""),
        endpoint_url=_endpoint,
        region=env.str("STORAGE_REGION", default=""),
        access_key=_s3_keys[0],
        secret_key=_s3_keys[1],
        prefix=env.str("STORAGE_PREFIX", default=""),
        url_expire=env.int("STORAGE_URL_EXPIRE", default=60),
        default_acl=env.str("STORAGE_DEFAULT_ACL", default="private"),
        addressing_style=env.str("STORAGE_ADDRESSING_STYLE", default=""),
    )
elif STORAGE_BACKEND == "local":
    # No OPTIONS: FileSystemStorage follows MEDIA_ROOT (tests change it per test).
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    _problems.append(f"STORAGE_BACKEND: expected 'local' or 's3', got {STORAGE_BACKEND!r}")
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
UPLOAD_MAX_WIDTH = env.int("UPLOAD_MAX_WIDTH", default=1600)
# --- evidence checks (OCR) and fraud signals ----------------------------------
# onnxruntime threads per OCR job; one core per worker is the measured setting (make bench).
EVIDENCE_OCR_THREADS = env.int("EVIDENCE_OCR_THREADS", default=1)
# A picture that takes longer to read is given up (the checks then say "could not be read").
EVIDENCE_OCR_TIME_LIMIT = env.int("EVIDENCE_OCR_TIME_LIMIT", default=60)
# How long an upload page waits for the reading before showing "still checking".
EVIDENCE_WAIT_SECONDS = env.float("EVIDENCE_WAIT_SECONDS", default=8.0)
# Two invoice pictures within this Hamming distance of their perceptual hashes are "the same".
FRAUD_PHASH_DISTANCE = env.int("FRAUD_PHASH_DISTANCE", default=8)
# The same recipient phone or address on claims of this many accounts or more is flagged.
FRAUD_SHARED_RECIPIENT_ACCOUNTS = env.int("FRAUD_SHARED_RECIPIENT_ACCOUNTS", default=3)
# More than this many claims from one account, or to one address, within the window is flagged.
FRAUD_BURST_CLAIMS = env.int("FRAUD_BURST_CLAIMS", default=5)
FRAUD_BURST_HOURS = env.int("FRAUD_BURST_HOURS", default=24)

# Django must not keep bigger request bodies in memory than an upload may be.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- email ------------------------------------------------------------------
MAIL_OUTBOX_DIR = VAR_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    if "EMAIL_FILE_PATH" in _email:
        # django-environ drops the leading "/" of filemail:///abs/folder: the folder is read from
        # the URL itself. filemail:///abs/folder is absolute; filemail://var/mail is relative to
        # the project, whatever the working directory.
        _folder = env.str("EMAIL_URL").split("://", 1)[1].split("?", 1)[0]
        _email["EMAIL_FILE_PATH"] = str(BASE_DIR / _folder)  # an absolute _folder replaces BASE_DIR
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_OUTBOX_DIR)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Member Center <no-reply@membercenter.local>")
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@membercenter.local")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)

# --- brand (the product is brand-neutral) -------------------------------------
DEFAULT_REGION_CODE = env.str("DEFAULT_REGION_CODE", default="ID")
BRAND_NAME = env.str("BRAND_NAME", default="Member Center")
# 7.1 authentication: the name authenticator apps show beside the staff member's account.
OTP_TOTP_ISSUER = BRAND_NAME
# Review fix A: the admin's device pages never show another staff member's TOTP secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
BRAND_LOGO_URL = env.str("BRAND_LOGO_URL", default="")
BRAND_PRIMARY_COLOR = env.str("BRAND_PRIMARY_COLOR", default="#1f5fbf")
BRAND_ACCENT_COLOR = env.str("BRAND_ACCENT_COLOR", default="#e8590c")
for _name in ("BRAND_PRIMARY_COLOR", "BRAND_ACCENT_COLOR"):
    # The colours go into the page's CSS: only a plain hex colour is accepted.
    if not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", vars()[_name]):
        _problems.append(f"{_name}: expected a hex colour like #1f5fbf")

# --- security ---------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# 7.4 headers: no other site's window keeps a handle on ours (window.opener).
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# 7.4 headers: the Content-Security-Policy (django-csp). Pages load script, style and everything
# else from this site only; no inline script or style, no eval (htmx is configured without it).
# A view that serves a stored file sets its own sandboxing policy (membercenter/lib/files.py),
# which the middleware leaves as it is.
_logo = urlsplit(BRAND_LOGO_URL)
_logo_origin = [f"{_logo.scheme}://{_logo.netloc}" if _logo.scheme else _logo.netloc] if _logo.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_logo_origin],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# 7.4 headers: browser features no page of this site uses, denied to it and anything it embeds.
# Members photograph invoices through <input type="file" accept="image/*">, which opens the
# phone's camera app: that needs no "camera" permission.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
# 7.4 headers: uploads never where WhiteNoise serves files to anyone (nor the other way round).
_media, _static = Path(MEDIA_ROOT).resolve(), Path(STATIC_ROOT).resolve()
if STORAGE_BACKEND == "local" and (_media.is_relative_to(_static) or _static.is_relative_to(_media)):
    _problems.append("MEDIA_ROOT, STATIC_ROOT: must be separate folders, neither inside the other")
# Production answers only over HTTPS: plain-HTTP requests are redirected (the probes at
# /health/ and /metrics are answered before this), and browsers are told to remember it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
# Behind a load balancer that ends TLS: the header it sets on requests that came over
# HTTPS, like "X-Forwarded-Proto" (value https) or "X-Forwarded-Proto=https". Set it only
# when every request passes that balancer, which must overwrite the header.
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
if _proxy_ssl_header:
    _header, _, _value = _proxy_ssl_header.partition("=")
    if not re.fullmatch(r"[A-Za-z0-9-]+", _header.strip()):
        _problems.append("SECURE_PROXY_SSL_HEADER: expected a header name like X-Forwarded-Proto")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _header.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )
# Proxies (load balancers) whose X-Forwarded-For is believed: the visitor's address then
# replaces theirs for the per-IP log-in limit and Login Management (membercenter/wsgi.py).
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", env.list("TRUSTED_PROXIES", default=[]))

# --- logs, metrics, errors -----------------------------------------------------------
LOG_FORMAT = mc_logging.log_format(env.ENVIRON)
if LOG_FORMAT not in {"json", "text"}:
    _problems.append(f"LOG_FORMAT: expected 'json' or 'text', got {LOG_FORMAT!r}")
    LOG_FORMAT = "text"
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    _problems.append(f"LOG_LEVEL: expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")
    LOG_LEVEL = "INFO"
# Celery logs each task at INFO: worth it on a worker, noise when tasks run in-process.
_celery_level = max("INFO" if REDIS_URL else "WARNING", LOG_LEVEL, key=logging.getLevelName)
LOGGING = mc_logging.logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL, celery_level=_celery_level)
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    # An incoming id that is not a UUID (any 32-hex or dashed form) is replaced: a visitor
    # cannot write arbitrary text into the logs.
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "INTEGRATIONS": [mc_logging.RequestIdCeleryIntegration()],
}
# /metrics answers these addresses (and a bearer token, when set); everyone else gets 403.
METRICS_ALLOWED_IPS = _networks("METRICS_ALLOWED_IPS", env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"]))
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if not 0.0 <= SENTRY_TRACES_SAMPLE_RATE <= 1.0:
    _problems.append("SENTRY_TRACES_SAMPLE_RATE: expected a number from 0 to 1")
if SENTRY_DSN and _url_scheme(SENTRY_DSN) not in {"http", "https"}:
    _problems.append("SENTRY_DSN: expected the project's DSN, https://key@host/project")

CSRF_FAILURE_VIEW = "membercenter.lib.views.csrf_failure"
# `make loadtest` only: serve /_floor/, a view that does nothing, to measure the stack's floor.
LOADTEST_FLOOR = env.bool("LOADTEST_FLOOR", default=False)
CLAIM_REVIEW_BUSINESS_DAYS = env.int("CLAIM_REVIEW_BUSINESS_DAYS", default=14)
# --- 7.5 data protection -------------------------------------------------------------------
# Documents (invoice and sticker pictures) of claims closed this many days ago are deleted;
# the claims themselves are kept for the audit (membercenter.privacy.services).
DOCUMENT_RETENTION_DAYS = env.int("DOCUMENT_RETENTION_DAYS", default=730)
if DOCUMENT_RETENTION_DAYS < 1:
    _problems.append("DOCUMENT_RETENTION_DAYS: expected a number of days, at least 1")
REWARD_CODES_KEY = env.str("REWARD_CODES_KEY", default="")
if REWARD_CODES_KEY:
    from cryptography.fernet import Fernet

    try:
        Fernet(REWARD_CODES_KEY.encode())
    except ValueError:
        _problems.append("REWARD_CODES_KEY: expected a Fernet key (32 url-safe base64-encoded bytes)")

# --- production: what must be set, and set safely ------------------------------------------
if PRODUCTION:
    _new_fernet_cmd = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    _new_key_cmd = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"

    def _weak_secret(key: str) -> bool:
        # Django's own test (check --deploy W009), and never the development key.
        return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-") or key == _DEV_SECRET

    if DEBUG:
        _problems.append("DEBUG: must be false in production")
    if _weak_secret(SECRET_KEY):
        _problems.append(f"SECRET_KEY: required, at least 50 random characters ({_new_key_cmd})")
    if any(_weak_secret(key) for key in SECRET_KEY_FALLBACKS):
        _problems.append("SECRET_KEY_FALLBACKS: every old key must be at least 50 random characters")
    if "ALLOWED_HOSTS" not in env.ENVIRON or not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        _problems.append("ALLOWED_HOSTS: required, the site's host names (members.example.com), not *")
    if not CSRF_TRUSTED_ORIGINS or not all(origin.startswith("https://") for origin in CSRF_TRUSTED_ORIGINS):
        _problems.append("CSRF_TRUSTED_ORIGINS: required, the site's https:// origins (https://members.example.com)")
    if "SITE_URL" not in env.ENVIRON or not SITE_URL.startswith("https://"):
        _problems.append("SITE_URL: required, the site's https:// address (used in email links)")
    if _db["ENGINE"] != "django.db.backends.postgresql":
        _problems.append("DATABASE_URL: required, a PostgreSQL URL (postgres://user:password@host:5432/name)")
    if not REDIS_URL:
        _problems.append("REDIS_URL: required (Celery broker, cache, sessions, failed-attempt counters)")
    if not REWARD_CODES_KEY:
        _problems.append(
            f"REWARD_CODES_KEY: required, a Fernet key kept apart from database backups ({_new_fernet_cmd})"
        )
    if not env.str("EMAIL_URL", default=""):
        _problems.append("EMAIL_URL: required, the SMTP server (smtp+tls://user:password@host:587)")
    elif vars().get("EMAIL_BACKEND") != "django.core.mail.backends.smtp.EmailBackend":
        _problems.append("EMAIL_URL: must be an SMTP server (smtp://, smtps://, smtp+tls://, smtp+ssl://)")
    if "STORAGE_BACKEND" not in env.ENVIRON:
        _problems.append("STORAGE_BACKEND: required, s3 (a private bucket) or local (with MEDIA_ROOT)")
    elif STORAGE_BACKEND == "local" and not ("MEDIA_ROOT" in env.ENVIRON and os.path.isabs(env.ENVIRON["MEDIA_ROOT"])):
        _problems.append("MEDIA_ROOT: required with STORAGE_BACKEND=local, an absolute path shared by every app server")
    if not SECURE_COOKIES:
        _problems.append("SECURE_COOKIES: must be true in production (cookies only over HTTPS)")
    if SECURE_HSTS_SECONDS < 60 * 60 * 24 * 365:
        _problems.append("SECURE_HSTS_SECONDS: must be at least 31536000 (one year) in production")
    if TESTING:
        _problems.append("TESTING: must not be set in production")
    # Part C: behind a proxy that is not trusted, every visitor shares the proxy's address (or,
    # over a Unix socket, none) and the per-IP limits become one count for the whole site.
    if vars().get("SECURE_PROXY_SSL_HEADER") and not TRUSTED_PROXIES:
        _problems.append(
            "TRUSTED_PROXIES: required with SECURE_PROXY_SSL_HEADER, the load balancers' networks"
            " (unix for a proxy on a Unix socket), or every visitor shares one per-IP limit"
        )
    if env.str("BIND", default="").strip().startswith("unix:") and "unix" not in TRUSTED_PROXIES:
        _problems.append(
            "TRUSTED_PROXIES: must include unix with BIND=unix:..., or every visitor shares one per-IP limit"
        )

# Keep this last: every problem found above, in one message.
if _problems:
    _heading = "Configuration problems" + (" (DJANGO_ENV=production)" if PRODUCTION else "")
    raise ImproperlyConfigured(_heading + ":\n  - " + "\n  - ".join(_problems))

mc_logging.sentry_init(
    dsn=SENTRY_DSN,
    environment=SENTRY_ENVIRONMENT,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    release=SENTRY_RELEASE,
)
