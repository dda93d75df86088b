"""The real server: gunicorn with gunicorn.conf.py, two worker processes, JSON access logs, /metrics summed."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest
import requests

from tests.deploy.conftest import PYTHON, ROOT, free_port, run, stop, wait_for_port


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "membercenter.settings",
            "TESTING": "1",  # plain static files: no collectstatic needed for this test
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "LOG_FORMAT": "json",
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "TRUSTED_PROXIES": "127.0.0.1",
        }
    )
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "stale_from_last_run.db").write_bytes(b"")
    migrated = run(["manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(  # noqa: S603 — our interpreter, gunicorn's module
        [PYTHON, "-m", "gunicorn", "membercenter.wsgi"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        stop(process)
        log.close()


def test_gunicorn_serves_with_json_access_logs_and_summed_metrics(server):
    base, folder = server
    assert not (folder / "metrics" / "stale_from_last_run.db").exists()  # on_starting emptied it
    request_id = uuid.uuid4().hex

    first = requests.get(
        f"{base}/accounts/login/", headers={"X-Request-ID": request_id, "X-Forwarded-For": "203.0.113.9"}, timeout=20
    )
    for _ in range(9):
        requests.get(f"{base}/accounts/login/", timeout=20)
    health = requests.get(f"{base}/health/", timeout=20)
    metrics = requests.get(f"{base}/metrics", timeout=20).text

    assert first.status_code == 200 and first.headers["X-Request-ID"] == request_id
    assert health.status_code == 200 and health.json()["status"] == "ok"
    # Ten requests, whichever of the two workers answered them, counted once each.
    assert 'membercenter_http_request_duration_seconds_count{method="GET",status="2xx",view="accounts:login"} 10.0' in (
        metrics
    )
    assert "membercenter_claims_awaiting_review 0.0" in metrics

    stop_log = (folder / "gunicorn.log").read_text()
    lines = [json.loads(line) for line in stop_log.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line.get("request_id") == request_id and line["logger"] == "gunicorn.access"]
    assert access["path"] == "/accounts/login/" and access["status"] == 200 and access["method"] == "GET"
    assert access["remote"] == "203.0.113.9"  # the visitor, not the proxy
    assert access["duration_ms"] > 0
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
    # The master warmed up before forking (membercenter/lib/warmup.py).
    assert any(line["logger"] == "gunicorn.error" and line["message"].startswith("Warmed up:") for line in lines)
