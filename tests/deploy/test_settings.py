"""Production mode: a complete environment passes `check --deploy`; a wrong one does not start.

Most cases execute settings.py afresh (runpy) with a chosen environment: what a process
starting with that environment would get. Two run real `manage.py` processes.
"""

from __future__ import annotations

import os
import re
import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.deploy.conftest import ROOT, production_env, run

SETTINGS = str(ROOT / "membercenter" / "settings.py")


def load_settings(monkeypatch, environment: dict[str, str]) -> dict:
    """The settings a process started with exactly `environment` would have."""
    for key in list(os.environ):
        monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(SETTINGS)


def problems(monkeypatch, environment: dict[str, str]) -> str:
    with pytest.raises(ImproperlyConfigured) as failure:
        load_settings(monkeypatch, environment)
    return str(failure.value)


# --- the whole production environment ------------------------------------------------------


def test_check_deploy_with_the_production_environment_reports_nothing(deploy_database, scorecard):
    result = run(
        ["manage.py", "check", "--deploy", "--database", "default", "--fail-level", "WARNING"], production_env()
    )

    # The security scorecard: each warning is printed with its id, e.g. "(security.W004)".
    warnings = re.findall(r"\(([\w.]+\.W\d+)\)", result.stdout + result.stderr)
    scorecard.record("deploy.check_warnings", len(warnings))
    assert not warnings, warnings
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_a_production_start_without_settings_stops_naming_every_missing_one():
    env = production_env(
        SECRET_KEY=None,
        ALLOWED_HOSTS=None,
        CSRF_TRUSTED_ORIGINS=None,
        SITE_URL=None,
        DATABASE_URL=None,
        REDIS_URL=None,
        EMAIL_URL=None,
        REWARD_CODES_KEY=None,
        STORAGE_BACKEND=None,
    )

    result = run(["manage.py", "check"], env)

    assert result.returncode != 0
    message = result.stderr
    assert "ImproperlyConfigured: Configuration problems (DJANGO_ENV=production):" in message
    for name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "SITE_URL",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "REWARD_CODES_KEY",
        "STORAGE_BACKEND",
    ):
        assert f"  - {name}: required" in message, name


def test_production_settings_are_https_only_with_secure_cookies(monkeypatch):
    settings = load_settings(monkeypatch, production_env())

    assert settings["PRODUCTION"] is True and settings["DEBUG"] is False
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and settings["SECURE_HSTS_PRELOAD"]
    assert settings["SESSION_COOKIE_SECURE"] and settings["CSRF_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["CSRF_COOKIE_HTTPONLY"]
    assert settings["LOG_FORMAT"] == "json"
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_with_redis_the_cache_sessions_and_broker_are_in_redis(monkeypatch):
    settings = load_settings(monkeypatch, production_env())

    assert settings["CACHES"]["default"]["BACKEND"] == "membercenter.lib.cache.SharedClientRedisCache"
    assert settings["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert settings["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    # Django's RedisCache (one client kept) is shared and atomic: only "not on our list" is silenced.
    assert settings["SILENCED_SYSTEM_CHECKS"] == ["django_ratelimit.W001"]


def test_s3_storage_is_private_with_short_signed_urls(monkeypatch):
    settings = load_settings(monkeypatch, production_env(STORAGE_PREFIX="/prod/", STORAGE_REGION="ap-southeast-3"))

    storage = settings["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "membercenter-files"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True and options["querystring_expire"] <= 300
    assert options["file_overwrite"] is False
    assert options["location"] == "prod"
    assert options["endpoint_url"] == "http://127.0.0.1:9" and options["region_name"] == "ap-southeast-3"


# --- outside production: today's defaults ---------------------------------------------------


def test_development_defaults_need_no_environment(monkeypatch):
    settings = load_settings(monkeypatch, {"PATH": os.environ.get("PATH", "")})

    assert settings["PRODUCTION"] is False
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert settings["CELERY_TASK_ALWAYS_EAGER"] is True
    assert settings["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert settings["SECURE_SSL_REDIRECT"] is False and settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["LOG_FORMAT"] == "text"
    assert settings["SECRET_KEY"]  # the development key


# --- wrong values: each named, all together ------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"DEBUG": "true"}, "DEBUG: must be false in production"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY: required, at least 50 random characters"),
        ({"SECRET_KEY": "a" * 60}, "SECRET_KEY: required, at least 50 random characters"),
        ({"SECRET_KEY": "dev-only-insecure-key-set-SECRET_KEY-in-production"}, "SECRET_KEY: required"),
        ({"SECRET_KEY_FALLBACKS": "old"}, "SECRET_KEY_FALLBACKS: every old key"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS: required"),
        ({"CSRF_TRUSTED_ORIGINS": "http://members.example.com"}, "CSRF_TRUSTED_ORIGINS: required"),
        ({"SITE_URL": "http://members.example.com"}, "SITE_URL: required, the site's https:// address"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL: required, a PostgreSQL URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL: expected redis://"),
        ({"REWARD_CODES_KEY": "not-a-key"}, "REWARD_CODES_KEY: expected a Fernet key"),
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL: must be an SMTP server"),
        ({"STORAGE_BACKEND": "local"}, "MEDIA_ROOT: required with STORAGE_BACKEND=local"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND: expected 'local' or 's3'"),
        ({"STORAGE_BUCKET": None}, "STORAGE_BUCKET: required with STORAGE_BACKEND=s3"),
        ({"STORAGE_SECRET_ACCESS_KEY": None}, "STORAGE_ACCESS_KEY_ID, STORAGE_SECRET_ACCESS_KEY: set both"),
        ({"SECURE_COOKIES": "false"}, "SECURE_COOKIES: must be true in production"),
        ({"SECURE_HSTS_SECONDS": "3600"}, "SECURE_HSTS_SECONDS: must be at least 31536000"),
        ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES: '10.0.0.0/33' is not an IP address"),
        ({"SECURE_PROXY_SSL_HEADER": "X Forwarded"}, "SECURE_PROXY_SSL_HEADER: expected a header name"),
        ({"DJANGO_ENV": "prod"}, "DJANGO_ENV: expected 'development' or 'production'"),
        # A balancer in front (it sets the HTTPS header) that is not trusted: one per-IP count for all.
        ({"TRUSTED_PROXIES": None}, "TRUSTED_PROXIES: required with SECURE_PROXY_SSL_HEADER"),
        # gunicorn on a Unix socket: the peer has no address, so only "unix" lets X-Forwarded-For in.
        ({"BIND": "unix:/run/membercenter.sock"}, "TRUSTED_PROXIES: must include unix with BIND=unix:"),
    ],
)
def test_a_wrong_production_value_is_named(monkeypatch, changes, expected):
    message = problems(monkeypatch, production_env(**changes))

    assert expected in message


def test_local_storage_with_an_absolute_media_root_is_accepted(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, production_env(STORAGE_BACKEND="local", MEDIA_ROOT=str(tmp_path)))

    assert settings["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert str(settings["MEDIA_ROOT"]) == str(tmp_path)


def test_s3_with_the_instance_role_needs_no_keys(monkeypatch):
    settings = load_settings(monkeypatch, production_env(STORAGE_ACCESS_KEY_ID=None, STORAGE_SECRET_ACCESS_KEY=None))

    assert "access_key" not in settings["STORAGES"]["default"]["OPTIONS"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DB_CONN_MAX_AGE", "sixty", "DB_CONN_MAX_AGE: malformed value, expected a whole number"),
        ("DEBUG", "maybe", "DEBUG: malformed value, expected true or false"),
        ("EVIDENCE_WAIT_SECONDS", "soon", "EVIDENCE_WAIT_SECONDS: malformed value, expected a number"),
        (
            "DATABASE_URL",
            "postgres://u@db:port/x",
            "DATABASE_URL: malformed value, expected sqlite:///path or postgres",
        ),
        ("DATABASE_URL", "mysql://u@db/x", "DATABASE_URL: malformed value"),
        ("EMAIL_URL", "carrier-pigeon://coop", "EMAIL_URL: malformed value"),
        ("BRAND_PRIMARY_COLOR", "red", "BRAND_PRIMARY_COLOR: expected a hex colour"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT: expected 'json' or 'text'"),
        ("SENTRY_TRACES_SAMPLE_RATE", "2", "SENTRY_TRACES_SAMPLE_RATE: expected a number from 0 to 1"),
        ("METRICS_ALLOWED_IPS", "prometheus.internal", "METRICS_ALLOWED_IPS: 'prometheus.internal' is not an IP"),
    ],
)
def test_a_malformed_value_is_named_in_any_mode(monkeypatch, name, value, expected):
    environment = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": "postgres://u@db/x", name: value}

    message = problems(monkeypatch, environment)

    assert expected in message


def test_every_problem_is_reported_at_once(monkeypatch):
    message = problems(monkeypatch, production_env(DEBUG="true", REDIS_URL=None, UPLOAD_MAX_BYTES="ten"))

    assert message.startswith("Configuration problems (DJANGO_ENV=production):")
    assert "DEBUG: must be false" in message
    assert "REDIS_URL: required" in message
    assert "UPLOAD_MAX_BYTES: malformed value" in message


def test_a_secret_value_is_never_echoed(monkeypatch):
    message = problems(monkeypatch, production_env(DATABASE_URL="postgres://u:hunter2hunter2@db:port/x"))

    assert "DATABASE_URL" in message
    assert "hunter2" not in message


def test_a_unix_socket_proxy_can_be_trusted(monkeypatch):
    settings = load_settings(
        monkeypatch, production_env(BIND="unix:/run/membercenter.sock", TRUSTED_PROXIES="unix,10.0.0.0/16")
    )

    assert settings["TRUSTED_PROXIES"] == ["unix", "10.0.0.0/16"]
