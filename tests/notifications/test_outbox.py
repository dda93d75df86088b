from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from membercenter.notifications import services, tasks
from membercenter.notifications.jobs import run_due
from membercenter.notifications.models import OutboxEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def enqueue(user):
    context = {"user": user, "link": "L", "hours": 1}
    return services.email_enqueue(template="verify_email", to=user.email, user=user, language="en", context=context)


def test_email_leaves_only_after_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        row = enqueue(user)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue(user)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == [] and mail.outbox == []
    assert not OutboxEmail.objects.exists()


def test_failed_send_is_retried_with_backoff_until_it_lands():
    row = enqueue(UserFactory())
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("down")):
        assert services.outbox_deliver(outbox_id=row.pk) is False
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1
    assert "down" in row.last_error and row.next_attempt_at > timezone.now()
    assert tasks.outbox_sweep() == 0  # not due yet
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.outbox_sweep() == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2 and len(mail.outbox) == 1


def test_gives_up_after_max_attempts_and_staff_can_resend(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = enqueue(UserFactory())
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("bad")):
        for _ in range(2):
            OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
            services.outbox_deliver(outbox_id=row.pk)
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED
    services.outbox_resend(outbox_id=row.pk)
    assert tasks.outbox_sweep() == 1 and len(mail.outbox) == 1


def test_sent_email_is_never_sent_twice():
    row = enqueue(UserFactory())
    assert services.outbox_deliver(outbox_id=row.pk) is True
    assert services.outbox_deliver(outbox_id=row.pk) is False
    assert len(mail.outbox) == 1


def test_in_process_runner_runs_the_beat_schedule_on_time():
    row = enqueue(UserFactory())
    last: dict[str, float] = {}
    assert "outbox-sweep" in run_due(last, 1000.0)
    assert run_due(last, 1001.0) == []
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT


def test_every_scheduled_job_runs_in_a_fresh_process(tmp_path):
    """`make run` starts the runner before anything imported the task modules."""
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='membercenter.settings'; django.setup();"
        "from django.conf import settings; from django.utils.module_loading import import_string;"
        "[import_string(e['task']) for e in settings.CELERY_BEAT_SCHEDULE.values()]; print('ok')"
    )
    env = {**__import__("os").environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr
