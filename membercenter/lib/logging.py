"""Logs that can be followed: one request id from the load balancer to the jobs a request starts.

- django-guid's middleware reads `X-Request-ID` (or makes one), keeps it for the request
  and echoes it in the response; every log record gets it as `request_id`.
- `RequestIdCeleryIntegration` carries it into Celery tasks: in a message header to a
  worker, and unchanged into a task that runs eagerly inside the request.
- `LOG_FORMAT=json` writes one JSON object a line (python-json-logger), for the log
  shipper; `text` (the default outside production) is for people.
- gunicorn's own access and error lines use the same format (`GunicornLogger`).
- Sentry, when `SENTRY_DSN` is set, gets no personal data, no request bodies and no
  local variables (a reward code can be one), and the request id as a tag.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from django_guid import clear_guid, get_guid, set_guid
from django_guid.integrations import CeleryIntegration
from gunicorn.glogging import Logger as _GunicornBaseLogger
from pythonjsonlogger.json import JsonFormatter

# One object a line: {"level", "logger", "message", "request_id", "time" (ISO 8601, UTC)}, plus
# "exc_info" with the traceback when there is one.
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"
JSON_RENAMES = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, fmt: str, level: str, celery_level: str) -> dict[str, Any]:
    """Django's LOGGING: every line through one console handler that adds the request id."""
    formatters: dict[str, dict[str, Any]] = {
        "json": {"()": JsonFormatter, "fmt": JSON_FIELDS, "rename_fields": JSON_RENAMES, "timestamp": "time"},
        "text": {"format": TEXT_FORMAT},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        },
        "formatters": formatters,
        "handlers": {
            "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": fmt},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Celery logs every task at INFO; in-process (eager) runs would flood the console.
            "celery": {"level": celery_level},
            # django-guid says at INFO for every request whether the header came: noise.
            "django_guid": {"level": "WARNING"},
        },
    }


# --- the request id in Celery tasks --------------------------------------------------------


def _header_name() -> str:
    from django_guid.config import settings as guid_settings

    return guid_settings.guid_header_name


def _publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """A task queued during a request (or another task) carries its id in the message."""
    request_id = get_guid()
    if request_id and headers is not None:
        headers[_header_name()] = request_id


def _task_request_id(task: Any) -> str | None:
    request = task.request
    name = _header_name()
    # A worker merges the message headers into the request; `apply(headers=…)` keeps them apart.
    return request.get(name) or (getattr(request, "headers", None) or {}).get(name)


def _prerun(task: Any = None, **kwargs: Any) -> None:
    if task is None:
        return
    if task.request.is_eager and get_guid():
        # Run in-process by the request (or job) that queued it: its id is already the one.
        return
    from django_guid.utils import generate_guid

    set_guid(_task_request_id(task) or generate_guid())
    task.request.mc_request_id_owned = True


def _postrun(task: Any = None, **kwargs: Any) -> None:
    if task is not None and getattr(task.request, "mc_request_id_owned", False):
        clear_guid()


class RequestIdCeleryIntegration(CeleryIntegration):
    """django-guid's Celery integration, right for eager tasks too.

    django-guid's own signals give an eager task a new id and then clear the request's,
    so the rest of the request would log without one; with a worker they behave the same
    as these.
    """

    def setup(self) -> None:
        from celery.signals import before_task_publish, task_postrun, task_prerun

        before_task_publish.connect(_publish, weak=False, dispatch_uid="mc-request-id-publish")
        task_prerun.connect(_prerun, weak=False, dispatch_uid="mc-request-id-prerun")
        task_postrun.connect(_postrun, weak=False, dispatch_uid="mc-request-id-postrun")
        if self.use_django_logging:
            # A worker logs through settings.LOGGING (JSON in production) instead of Celery's own setup.
            from django_guid.integrations.celery.logging import config_loggers  # noqa: F401


# --- Sentry -----------------------------------------------------------------------------------


def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request")
    if isinstance(request, dict):
        # Bodies can hold passwords, addresses or reward codes; query strings tokens.
        for key in ("data", "cookies", "query_string"):
            request.pop(key, None)
    request_id = get_guid()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(
    *, dsn: str, environment: str, traces_sample_rate: float = 0.0, release: str = "", transport: Any = None
) -> bool:
    """Start Sentry when a DSN is configured (web and workers: settings call this); False when off."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration as SentryCelery
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "traces_sample_rate": traces_sample_rate,
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "integrations": [DjangoIntegration(), SentryCelery()],
        "before_send": _before_send,
    }
    if release:
        options["release"] = release
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True


# --- gunicorn ---------------------------------------------------------------------------------


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's access and error logs as JSON lines (LOG_FORMAT=json), with the request id.

    The access line is built with json.dumps, so a quote in a user agent cannot break it;
    the query string is left out (it can carry tokens).
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if _json_wanted():
            formatter = JsonFormatter(JSON_FIELDS, rename_fields=JSON_RENAMES, timestamp="time")
            for handler in self.error_log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta) -> None:
        if not self.access_log_enabled:
            return
        if not _json_wanted():
            super().access(resp, req, environ, request_time)
            return
        self.access_log.info(json.dumps(access_record(resp, environ, request_time), ensure_ascii=False))


def log_format(environ: Any = os.environ) -> str:
    """LOG_FORMAT, or its default: json in production, text elsewhere (settings and gunicorn agree)."""
    value = environ.get("LOG_FORMAT", "").strip().lower()
    if value:
        return value
    return "json" if environ.get("DJANGO_ENV", "").strip().lower() == "production" else "text"


def _json_wanted() -> bool:
    return log_format() == "json"


def access_record(resp: Any, environ: dict[str, Any], request_time: dt.timedelta) -> dict[str, Any]:
    status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
    headers = dict((name.lower(), value) for name, value in resp.headers)
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(),
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')} {status}",
        "request_id": headers.get("x-request-id"),
        "remote": environ.get("REMOTE_ADDR"),
        "method": environ.get("REQUEST_METHOD"),
        "path": environ.get("PATH_INFO"),
        "status": int(status) if str(status).isdigit() else status,
        "bytes": getattr(resp, "sent", None),
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "user_agent": environ.get("HTTP_USER_AGENT"),
    }
