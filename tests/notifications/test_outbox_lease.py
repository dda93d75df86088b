"""The outbox under at-least-once jobs: an email is taken with a lease before it leaves, sent once."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from membercenter.notifications import services, tasks
from membercenter.notifications.models import OutboxEmail
from tests.factories import UserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def enqueue(user=None) -> OutboxEmail:
    user = user or UserFactory()
    context = {"user": user, "link": "L", "hours": 1}
    return services.email_enqueue(template="verify_email", to=user.email, user=user, language="en", context=context)


def dies_while_sending(row: OutboxEmail, token: str) -> None:
    """A worker takes the email and is killed before the mail server has it (SIGKILL: nothing runs after)."""

    class Killed(BaseException):
        pass

    with mock.patch.object(services, "_send", side_effect=Killed), pytest.raises(Killed):
        services.outbox_deliver(outbox_id=row.pk, token=token)


def test_an_email_is_taken_before_it_leaves_and_marked_sent_after():
    row = enqueue()
    seen = []

    def send(taken):
        seen.append(OutboxEmail.objects.get(pk=taken.pk))

    with mock.patch.object(services, "_send", side_effect=send):
        assert services.outbox_deliver(outbox_id=row.pk, token="job-1") is True
    [while_sending] = seen
    assert while_sending.status == OutboxEmail.Status.SENDING and while_sending.lease_token == "job-1"
    assert while_sending.next_attempt_at > timezone.now() + dt.timedelta(seconds=services.SEND_TIME_LIMIT)
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1 and row.lease_token == ""


def test_an_email_being_sent_is_not_taken_by_another_job():
    row = enqueue()
    dies_while_sending(row, token="job-1")
    assert services.outbox_deliver(outbox_id=row.pk, token="job-2") is False
    assert tasks.outbox_sweep() == 0
    assert mail.outbox == []


def test_the_same_job_delivered_again_takes_over_at_once():
    """Celery redelivers a job only once the run that had it is gone (acks late, worker lost)."""
    row = enqueue()
    dies_while_sending(row, token="job-1")

    assert services.outbox_deliver(outbox_id=row.pk, token="job-1") is True

    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2
    assert len(mail.outbox) == 1


def test_an_email_whose_sender_died_is_sent_by_the_sweep_when_the_lease_ends():
    row = enqueue()
    dies_while_sending(row, token="job-1")
    assert tasks.outbox_sweep() == 0

    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))

    assert tasks.outbox_sweep() == 1
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2 and len(mail.outbox) == 1


def test_an_email_that_kills_its_worker_every_time_ends_failed(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    row = enqueue()
    for token in ("job-1", "job-2"):
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        dies_while_sending(row, token=token)

    assert services.outbox_deliver(outbox_id=row.pk, token="job-2") is False

    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED and "stopped during attempt 2" in row.last_error
    assert mail.outbox == []


def test_the_time_limit_gives_the_email_back_for_a_later_attempt():
    row = enqueue()
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=SoftTimeLimitExceeded()),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        services.outbox_deliver(outbox_id=row.pk, token="job-1")
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1 and row.lease_token == ""
    assert "SoftTimeLimitExceeded" in row.last_error and row.next_attempt_at > timezone.now()


def test_a_sender_whose_lease_was_taken_over_does_not_mark_it():
    """Fencing: only the attempt that holds the email writes its outcome."""
    row = enqueue()

    def slow_send(taken):
        # Past this attempt's lease (impossible with the time limits) another job takes it and sends it.
        OutboxEmail.objects.filter(pk=taken.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        with mock.patch.object(services, "_send"):
            assert services.outbox_deliver(outbox_id=taken.pk, token="job-2") is True
        raise ConnectionResetError("late failure of the first attempt")

    with mock.patch.object(services, "_send", side_effect=slow_send):
        services.outbox_deliver(outbox_id=row.pk, token="job-1")

    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2 and row.last_error == ""


def test_a_repeat_carries_the_same_message_id():
    row = enqueue()
    dies_while_sending(row, token="job-1")
    services.outbox_deliver(outbox_id=row.pk, token="job-1")
    [message] = mail.outbox
    domain = django_settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[1].rstrip(">")
    assert message.extra_headers["Message-ID"] == f"<outbox.{row.pk}.{int(row.created_at.timestamp())}@{domain}>"


def test_the_sweep_stops_at_its_budget_and_the_next_goes_on():
    rows = [enqueue() for _ in range(3)]
    assert services.outbox_send_due(budget=-1) == 0  # nothing started past the budget
    assert services.outbox_send_due() == 3
    assert {r.status for r in OutboxEmail.objects.filter(pk__in=[r.pk for r in rows])} == {OutboxEmail.Status.SENT}


def test_a_database_error_is_retried_later_by_the_job_on_a_worker():
    row = enqueue()
    with (
        mock.patch.object(services, "outbox_deliver", side_effect=OperationalError("server closed the connection")),
        mock.patch.object(tasks.outbox_send, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.outbox_send.run(row.pk)  # as a worker runs it (not eager)
    assert retry.call_args.kwargs["countdown"] == 5


def test_the_broker_being_down_at_commit_loses_nothing(django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.outbox_send, "delay", side_effect=ConnectionError("redis down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = enqueue()  # the change it belongs to commits; the error is logged, not raised
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and mail.outbox == []
    assert tasks.outbox_sweep() == 1 and len(mail.outbox) == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_many_jobs_at_once_send_an_email_once():
    with mock.patch.object(tasks.outbox_send, "delay"):  # committed at once here: keep it from running
        row = enqueue()
    results = run_together([lambda i=i: services.outbox_deliver(outbox_id=row.pk, token=f"job-{i}") for i in range(8)])
    assert results.count(True) == 1 and results.count(False) == 7, results
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1
    assert len(mail.outbox) == 1


def test_no_job_outlives_its_lease_or_the_visibility_timeout(settings):
    """A job still running is never handed to a second worker: every limit is shorter than what guards it."""
    import importlib

    from membercenter.celery import app

    for module in ("accounts", "claims", "evidence", "notifications", "rewards"):
        importlib.import_module(f"membercenter.{module}.tasks")
    ours = [task for name, task in app.tasks.items() if name.startswith("membercenter.")]
    assert len(ours) >= 11
    longest = max(task.time_limit or settings.CELERY_TASK_TIME_LIMIT for task in ours)
    # A retry waits in Redis as a job taken and not acknowledged: the timeout must outlast its delay too.
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest + tasks.RETRY_MAX_DELAY
    assert services.SEND_LEASE.total_seconds() > max(tasks.outbox_send.time_limit, tasks.outbox_sweep.time_limit)
    assert tasks.outbox_send.soft_time_limit > services.SMTP_TIMEOUT
    # A sweep that starts its last email just before its budget ends may still finish sending it.
    assert tasks.outbox_sweep.soft_time_limit >= services.SWEEP_BUDGET + services.SEND_SOFT_TIME_LIMIT
