"""Helpers for the deployment tests: a complete production environment, subprocesses, services.

These tests use Redis database 3 and PostgreSQL databases named mc_e_*, so that they never
meet the data of other suites running on the same machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The registration wizard's fixtures (a member, a serial, a store, the wizard), for the S3 tests.
from tests.products.conftest import member, serial, store, wizard  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
REDIS_URL = "redis://127.0.0.1:6379/3"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DEPLOY_DB = "mc_e_deploy"
FERNET_KEY = "1t2BGEYQzC6KfMVfoctYIEmwgXHwHO9R_Wj7if0tl1I="  # a valid key used only by these tests
SECRET = "t3st-only-9f8e7d6c5b4a3928170fedcba9876543210abcdefXYZ"  # 50+ characters, many different


def production_env(**changes: str | None) -> dict[str, str]:
    """A complete production environment (PostgreSQL mc_e_deploy, Redis db 3, a private bucket).

    A change set to None removes that variable. Nothing inherited from the test run
    (TESTING, DATABASE_URL…) leaks in: only PATH, HOME and locale are kept.
    """
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if key in os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "membercenter.settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": SECRET,
            "ALLOWED_HOSTS": "members.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://members.example.com",
            "SITE_URL": "https://members.example.com",
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "TRUSTED_PROXIES": "10.0.0.0/16",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{PG_DEPLOY_DB}",
            "REDIS_URL": REDIS_URL,
            "EMAIL_URL": "smtp+tls://mailer:secret@127.0.0.1:2525",
            "REWARD_CODES_KEY": FERNET_KEY,
            "STORAGE_BACKEND": "s3",
            "STORAGE_BUCKET": "membercenter-files",
            "STORAGE_ENDPOINT_URL": "http://127.0.0.1:9",
            "STORAGE_ACCESS_KEY_ID": "test",
            "STORAGE_SECRET_ACCESS_KEY": "test",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a Python command of the project (manage.py …, -c …) with exactly this environment."""
    return subprocess.run(  # noqa: S603 — our own interpreter and arguments
        [PYTHON, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="session")
def deploy_database() -> str:
    """PostgreSQL database mc_e_deploy exists (created once; parallel workers may race to it)."""
    import psycopg
    from psycopg import errors

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DEPLOY_DB]).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{PG_DEPLOY_DB}"')
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                pass  # another test process made it first
    return PG_DEPLOY_DB


@pytest.fixture
def redis3():
    """A client of Redis database 3 (this suite's own)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield client
    client.close()
