"""Jobs on real Celery workers through Redis: they run, and a worker killed mid-job does nothing twice."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.models import Claim
from membercenter.claims.services import claim_approve
from membercenter.evidence import samples
from membercenter.evidence import services as evidence
from membercenter.evidence.models import Scan, Upload
from membercenter.notifications import services as notifications
from membercenter.notifications.models import OutboxEmail
from membercenter.rewards.models import RewardGrant
from tests.claims.conftest import eligible_product, make_claim
from tests.factories import UserFactory, staff
from tests.integration.conftest import Worker, send_task, sent_emails, wait_until
from tests.rewards.conftest import fill_pool, new_codes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SUCCEEDED = r"{task}\[[0-9a-f-]+\] succeeded"


def enqueue_email() -> OutboxEmail:
    """An email written in a transaction; at commit outbox_send is queued in Redis (the `broker` fixture)."""
    user = UserFactory()
    context = {"user": user, "link": "L", "hours": 1}
    return notifications.email_enqueue(
        template="verify_email", to=user.email, user=user, language="en", context=context
    )


def status_of(row: OutboxEmail) -> tuple[str, int]:
    row.refresh_from_db()
    return row.status, row.attempts


def test_a_worker_knows_every_scheduled_job_and_sends_a_queued_email_once(start_worker, broker, mail_dir):
    worker = start_worker()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert f". {entry['task']}\n" in worker.output()

    row = enqueue_email()

    wait_until(lambda: status_of(row) == ("sent", 1), within=20, what="the email to be sent")
    # The same job again, and a sweep, as a redelivery and beat would: nothing more leaves.
    send_task("membercenter.notifications.tasks.outbox_send", row.pk)
    send_task("membercenter.notifications.tasks.outbox_sweep")
    worker.wait_for(SUCCEEDED.format(task="outbox_send"), count=2)
    worker.wait_for(SUCCEEDED.format(task="outbox_sweep"))
    [email] = sent_emails(mail_dir)
    assert f"To: {row.to}" in email and "Message-ID: <outbox." in email
    assert status_of(row) == ("sent", 1)


def test_an_approved_claim_gets_its_code_from_the_worker_once(start_worker, broker, mail_dir, indonesia, code_reward):
    worker = start_worker()
    [code] = new_codes(1)
    fill_pool(code_reward, [code])
    member = UserFactory()
    claim = make_claim(product=eligible_product(member, region=indonesia), promotion=code_reward.promotion)

    # Commits, then queues the allocation and delivery job and the approval email for the worker.
    claim_approve(claim=claim, reviewer=staff(REVIEWER, regions=(indonesia,)))

    grant = RewardGrant.objects.get(item__claim=claim)
    worker.wait_for(SUCCEEDED.format(task="allocate_and_deliver"))
    wait_until(
        lambda: RewardGrant.objects.get(pk=grant.pk).status == RewardGrant.Status.DELIVERED,
        within=20,
        what="the code to be delivered",
    )
    wait_until(
        lambda: (
            not OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists()
            and OutboxEmail.objects.count() == 2
        ),
        within=20,
        what="both emails to be sent",
    )
    worker.wait_for(SUCCEEDED.format(task="outbox_send"), count=2)
    emails = sent_emails(mail_dir)
    assert len(emails) == 2 and all(f"To: {member.email}" in e for e in emails)
    assert sum(code in e for e in emails) == 1  # the code email, once; the approval email does not carry it
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REWARD_SENT
    assert not OutboxEmail.objects.filter(body_text__contains=code).exists()  # filled in only when sent


@pytest.fixture
def slow_mail(tmp_path: Path) -> Path:
    """The control folder of tests/integration/slowmail.py: the next email waits before it is written."""
    control = tmp_path / "control"
    control.mkdir()
    (control / "slow").touch()
    return control


def start_slow_worker(start_worker, control: Path, **env: str) -> Worker:
    return start_worker(
        "tests.integration.worker_settings", SLOW_MAIL_CONTROL=str(control), SLOW_MAIL_SECONDS="60", **env
    )


def sending_process(control: Path) -> int:
    """Wait until a worker is inside the send (the mail server has not got the email yet); its pid."""
    [marker] = wait_until(lambda: list(control.glob("sending-*")), within=20, what="a worker to start sending")
    return int(marker.name.removeprefix("sending-"))


def test_a_pool_process_killed_while_sending_ends_with_one_email(start_worker, broker, mail_dir, slow_mail):
    """The process running the job dies (OOM killer, crash): its worker puts the job back; it takes over."""
    worker = start_slow_worker(start_worker, slow_mail)
    row = enqueue_email()
    pid = sending_process(slow_mail)
    assert pid in worker.pool_processes() and status_of(row) == ("sending", 1)

    os.kill(pid, signal.SIGKILL)

    wait_until(lambda: status_of(row) == ("sent", 2), within=30, what="the email to be sent by the job run again")
    assert "WorkerLostError" in worker.output()
    assert len(sent_emails(mail_dir)) == 1
    time.sleep(1)  # nothing else is on its way
    assert len(sent_emails(mail_dir)) == 1 and status_of(row) == ("sent", 2)


@pytest.mark.parametrize("recovery", ["redelivery", "lease"])
def test_a_worker_killed_while_sending_then_restarted_ends_with_one_email(
    start_worker, broker, mail_dir, slow_mail, recovery
):
    """The whole worker dies mid-send. Redis hands its job to the next worker once the visibility timeout
    has passed (shortened here to 2 s), or, before that, the sweep sends the email once its lease ends."""
    visibility = "2" if recovery == "redelivery" else "3600"
    first = start_slow_worker(start_worker, slow_mail, CELERY_VISIBILITY_TIMEOUT=visibility)
    row = enqueue_email()
    sending_process(slow_mail)

    first.kill()

    assert sent_emails(mail_dir) == [] and status_of(row) == ("sending", 1)
    if recovery == "redelivery":
        time.sleep(2.5)  # the job has been unacknowledged longer than the visibility timeout
        start_worker(CELERY_VISIBILITY_TIMEOUT=visibility)
    else:
        second = start_worker(CELERY_VISIBILITY_TIMEOUT=visibility)
        send_task("membercenter.notifications.tasks.outbox_sweep")  # beat, every 30 s
        second.wait_for(SUCCEEDED.format(task="outbox_sweep"))
        assert status_of(row) == ("sending", 1)  # its lease has not ended: the dead worker may still be sending
        # Five minutes later (SEND_LEASE), without waiting for them:
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        send_task("membercenter.notifications.tasks.outbox_sweep")

    wait_until(lambda: status_of(row) == ("sent", 2), within=30, what="the email to be sent after the restart")
    time.sleep(1)
    [email] = sent_emails(mail_dir)
    assert f"To: {row.to}" in email


def invoice_upload() -> SimpleUploadedFile:
    page = samples.invoice_image(
        random.Random(7), store="Toko Sinar Jaya Elektronik", number="INV/2024/11/000123", date=dt.date(2024, 11, 28),
        lines=[("Nimbus Vista AX242 12M", 1, 12_999_000)], layout="table", date_style="dmy_dash", distort=False,
    )  # fmt: skip
    out = io.BytesIO()
    page.convert("RGB").save(out, "JPEG", quality=90)
    return SimpleUploadedFile("invoice.jpg", out.getvalue(), content_type="image/jpeg")


def test_a_worker_killed_while_reading_a_picture_reads_it_once_after_restart(start_worker, broker):
    first = start_worker(CELERY_VISIBILITY_TIMEOUT="2")
    upload = evidence.upload_store(owner=UserFactory(), kind=Upload.Kind.INVOICE, upload=invoice_upload())
    scan = upload.scan
    first.wait_for(r"read_scan\[[0-9a-f-]+\] received")
    time.sleep(0.5)  # loading the OCR models and reading take seconds

    first.kill()

    scan.refresh_from_db()
    assert scan.state == Scan.State.PENDING, "the reading finished before the kill: the test proves nothing"
    # While no worker runs, beat's read_pending (here called directly; it queues in Redis) finds the
    # reading started longer than LOST_AFTER ago and never finished, and queues it again...
    assert Scan.objects.get(pk=scan.pk).attempts == 1  # the killed worker had started it
    Scan.objects.filter(pk=scan.pk).update(attempted_at=timezone.now() - evidence.LOST_AFTER - dt.timedelta(minutes=1))
    assert evidence.scans_requeue_lost() == 1
    # ...and the killed worker's job, unacknowledged for longer than the visibility timeout, comes back too.
    time.sleep(2.5)
    second = start_worker(CELERY_VISIBILITY_TIMEOUT="2")

    second.wait_for(SUCCEEDED.format(task="read_scan"), count=2, within=60)
    scan.refresh_from_db()
    assert scan.state == Scan.State.DONE and scan.read_at is not None
    assert "Sinar" in " ".join(box[0] for box in scan.boxes)
    runs = sorted(float(s) for s in re.findall(r"read_scan\[[0-9a-f-]+\] succeeded in ([0-9.]+)s", second.output()))
    assert len(runs) == 2 and runs[0] < 0.5 < runs[1], runs  # one read it; the other found it read and stopped
