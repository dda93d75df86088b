"""The in-process job runner: without a broker, beat's schedule runs on a thread."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def run_due(last_run: dict[str, float], now: float) -> list[str]:
    """Run every scheduled task whose interval has passed; returns the names run."""
    ran = []
    schedule: dict[str, dict[str, Any]] = settings.CELERY_BEAT_SCHEDULE  # {"task": dotted path, "schedule": seconds}
    for name, entry in schedule.items():
        if now - last_run.get(name, 0.0) < float(entry["schedule"]):
            continue
        last_run[name] = now
        # The task's name is its dotted path: importing it also registers it, whether or not
        # Celery's autodiscovery has run in this process.
        import_string(entry["task"]).apply()
        ran.append(name)
    return ran


def start_background_runner(tick: float = 5.0) -> threading.Thread:
    def loop() -> None:
        last_run: dict[str, float] = {}
        while True:
            try:
                run_due(last_run, time.monotonic())
                close_old_connections()
            except Exception:  # a failing job must not stop the others; it is logged with its traceback
                log.exception("background job failed")
            time.sleep(tick)

    thread = threading.Thread(target=loop, name="membercenter-jobs", daemon=True)
    thread.start()
    return thread
