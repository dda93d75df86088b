"""Every variable the settings, gunicorn and the process files read is documented."""

from __future__ import annotations

import re

from tests.deploy.conftest import ROOT

# Variables for the test suite and tools only, not for an operator's .env.
NOT_FOR_ENV_FILES = {"TESTING", "SQLITE_TEST_NAME", "LOADTEST_FLOOR"}


def variables_read() -> set[str]:
    settings = (ROOT / "membercenter" / "settings.py").read_text()
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', settings))
    names |= set(re.findall(r'env\.ENVIRON(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]+)"', settings))
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    names |= set(re.findall(r'(?:_int\(|environ\.get\()\s*"([A-Z][A-Z0-9_]+)"', gunicorn))
    for unit in [ROOT / "Procfile", *(ROOT / "deploy" / "systemd").glob("*.service")]:
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", unit.read_text()))
    return names


def test_the_reading_finds_the_variables():
    names = variables_read()

    assert {"DATABASE_URL", "REDIS_URL", "STORAGE_BUCKET", "WEB_CONCURRENCY", "WORKER_CONCURRENCY"} <= names


def test_every_variable_is_in_the_deployment_guide():
    guide = (ROOT / "docs" / "deployment.md").read_text()

    missing = sorted(name for name in variables_read() if f"`{name}`" not in guide)

    assert missing == []


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()

    missing = sorted(name for name in variables_read() - NOT_FOR_ENV_FILES if f"# {name}=" not in example)

    assert missing == []
