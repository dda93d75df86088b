"""Celery app. With REDIS_URL unset, tasks run in-process (CELERY_TASK_ALWAYS_EAGER).

Workers and beat log through Django's LOGGING (JSON lines with the request id in
production), not Celery's own format; the request id that queued a task comes with it
(membercenter.lib.logging.RequestIdCeleryIntegration, set up by django-guid's app).
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercenter.settings")

app = Celery("membercenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect(weak=False)
def _logging_from_django_settings(**kwargs: Any) -> None:
    # Connected at import, before a worker or beat configures logging: with a receiver
    # on this signal Celery leaves the logging configuration to us.
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
