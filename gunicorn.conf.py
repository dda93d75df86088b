"""gunicorn settings for Member Center: `gunicorn membercenter.wsgi` reads this file from the project root.

Every value comes from the environment (docs/deployment.md, "Serving"); a command-line
flag still wins over this file.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name}: malformed value, expected a whole number") from None


# --- where and how many ---------------------------------------------------------------------
bind = os.environ.get("BIND") or f"0.0.0.0:{_int('PORT', 8000)}"
# Processes: the usual 2 x cores + 1, capped so that a big machine does not open more
# database connections than PostgreSQL (or pgbouncer) is sized for.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, _int("WEB_CONCURRENCY_MAX", 8)))
# gthread: a few threads per process, so that a request waiting on I/O (the upload page
# waits up to EVIDENCE_WAIT_SECONDS for a picture's reading, SMTP, S3) does not hold a
# whole process, and idle keep-alive connections from the load balancer cost no thread.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)

# --- time limits ----------------------------------------------------------------------------
# A request still running after this is killed (and logged): well above the slowest page.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the load balancer's idle timeout (60 s on AWS ALB), so the balancer, not
# gunicorn, closes idle connections: otherwise it may send on a closing one (a 502).
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# A worker is replaced after this many requests (jittered, so they do not restart together):
# a slow leak in a library cannot grow for ever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Load Django once in the master: workers start fast and share memory. Nothing opens a
# connection at import (database, Redis and S3 connect on first use, in the worker).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").strip().lower() not in {"0", "false", "no", "off"}
# The heartbeat file on tmpfs: a slow disk (or a container's overlay) cannot stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 — gunicorn's advice

# gunicorn's control socket (for `gunicornc`) only when asked for: by default it would be
# one path per user ($HOME/.gunicorn), shared by every gunicorn that user runs.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket

# --- logs -----------------------------------------------------------------------------------
# Access and error lines to stdout/stderr, as JSON with the request id when LOG_FORMAT=json
# (the default with DJANGO_ENV=production): membercenter.lib.logging.GunicornLogger.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logger_class = "membercenter.lib.logging.GunicornLogger"
# Behind a load balancer, REMOTE_ADDR is the balancer's: membercenter/wsgi.py puts the
# visitor's back (TRUSTED_PROXIES), and Django reads the scheme from SECURE_PROXY_SSL_HEADER.

# --- Prometheus: one set of samples per worker process, summed by /metrics ------------------
# Set before the application (and prometheus_client) is imported, which this file is.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="membercenter-metrics-")


def on_starting(server: Any) -> None:
    """A (re)started master begins with no samples from processes of an earlier run."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def when_ready(server: Any) -> None:
    """With the app preloaded: load in the master what the workers would load on first use, then freeze it.

    Every worker then starts with its routes built, its templates compiled and the libraries
    that requests import lazily already imported (membercenter/lib/warmup.py): no member's
    request pays for a worker's first time. The objects the master loaded are moved out of
    the garbage collector's sight: a worker's collections do not walk them again and again,
    and their memory pages stay shared.
    """
    if not server.cfg.preload_app:
        return
    from django.urls import get_resolver

    from membercenter.lib.warmup import warm_up

    get_resolver().url_patterns  # noqa: B018 — evaluated for its side effect: the routes are built
    loaded = warm_up()
    server.log.info("Warmed up: %(modules)d project modules imported, %(templates)d templates compiled", loaded)
    gc.collect()
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """A worker that exits stops counting in "requests in progress" (its live gauges are dropped)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
