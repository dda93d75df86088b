"""The pictures' reading has a queue of its own, and the documented workers take it as well as the default one."""

from __future__ import annotations

import re

from django.conf import settings

from membercenter.celery import app
from membercenter.lib.metrics import celery_queue_names
from tests.deploy.conftest import ROOT


def _queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name, args=(1,), kwargs={})
    return route["queue"].name


def test_ocr_has_its_own_queue_and_everything_else_the_default_one():
    assert _queue_of("membercenter.evidence.tasks.read_scan") == settings.EVIDENCE_QUEUE == "evidence"
    for other in (
        "membercenter.notifications.tasks.outbox_send",
        "membercenter.claims.tasks.judge",
        "membercenter.rewards.tasks.allocate_and_deliver",
    ):
        assert _queue_of(other) == "celery"
    # /metrics reports the length of both.
    assert {"celery", "evidence"} <= set(celery_queue_names())


def test_every_worker_command_takes_both_queues_unless_told_otherwise():
    procfile = (ROOT / "Procfile").read_text()
    unit = (ROOT / "deploy" / "systemd" / "membercenter-worker.service").read_text()
    env = (ROOT / "deploy" / "systemd" / "env.example").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "-Q ${WORKER_QUEUES:-celery,evidence}" in procfile
    assert "-Q ${WORKER_QUEUES}" in unit and re.search(r"^WORKER_QUEUES=celery,evidence$", env, re.M)
    assert "worker --loglevel INFO -Q celery,evidence" in makefile
