"""Member Center settings: one module, configured only by environment variables.

Every value comes from the environment (or `.env` in the project root when present);
a malformed value stops start-up with a message that names the variable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not env.bool("ALLOW_DEV_SECRET", default=True):
        raise ImproperlyConfigured("SECRET_KEY must be set (ALLOW_DEV_SECRET=false)")
    # Development only: a fixed key keeps sessions valid across restarts of `make run`.
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"  # noqa: S105

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions, jobs ---------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The embedded default runs one process, so a process-local cache is shared by every
# request that the rate limits see; with REDIS_URL the counters live in Redis.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
RATELIMIT_VIEW = "membercenter.lib.views.rate_limited"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker, tasks run in-process at the moment they are queued (after commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "membercenter.notifications.tasks.outbox_sweep", "schedule": 30.0},
    "captcha-purge": {"task": "membercenter.accounts.tasks.purge_expired", "schedule": 3600.0},
    "claims-expire": {"task": "membercenter.claims.tasks.expire_sent_back", "schedule": 3600.0},
    "rewards-allocate": {"task": "membercenter.rewards.tasks.allocate", "schedule": 60.0},
    "rewards-deliver": {"task": "membercenter.rewards.tasks.deliver", "schedule": 60.0},
    "uploads-purge": {"task": "membercenter.evidence.tasks.purge_stale_uploads", "schedule": 3600.0},
    "scans-retry": {"task": "membercenter.evidence.tasks.read_pending", "schedule": 300.0},
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

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="id")
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")

# --- files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# No MEDIA_URL is served: every uploaded file goes through a view that checks who asks.
MEDIA_URL = "/nonexistent-media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env.bool("TESTING", default=False)
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
        # A relative folder is read relative to the project, whatever the working directory.
        _email["EMAIL_FILE_PATH"] = str(BASE_DIR / _email["EMAIL_FILE_PATH"])
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
BRAND_LOGO_URL = env.str("BRAND_LOGO_URL", default="")
BRAND_PRIMARY_COLOR = env.str("BRAND_PRIMARY_COLOR", default="#1f5fbf")
BRAND_ACCENT_COLOR = env.str("BRAND_ACCENT_COLOR", default="#e8590c")
for _name in ("BRAND_PRIMARY_COLOR", "BRAND_ACCENT_COLOR"):
    # The colours go into the page's CSS: only a plain hex colour is accepted.
    if not re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", vars()[_name]):
        raise ImproperlyConfigured(f"{_name} must be a hex colour like #1f5fbf")

# --- security ---------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Celery logs every task at INFO; in-process (eager) runs would flood the console.
    "loggers": {"celery": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "membercenter.lib.views.csrf_failure"
# `make loadtest` only: serve /_floor/, a view that does nothing, to measure the stack's floor.
LOADTEST_FLOOR = env.bool("LOADTEST_FLOOR", default=False)
CLAIM_REVIEW_BUSINESS_DAYS = env.int("CLAIM_REVIEW_BUSINESS_DAYS", default=14)
REWARD_CODES_KEY = env.str("REWARD_CODES_KEY", default="")
