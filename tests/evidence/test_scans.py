"""The reading job: once per picture, safe to run twice, given up on time, picked up again when lost."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from membercenter.claims.models import ClaimDocument, ClaimItem
from membercenter.evidence import services, tasks
from membercenter.evidence.models import Scan, Upload
from membercenter.evidence.signals import scan_finished
from tests.claims.conftest import make_claim
from tests.factories import UserFactory, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory()


def stored(member, kind=Upload.Kind.INVOICE) -> Upload:
    return services.upload_store(owner=member, kind=kind, upload=SimpleUploadedFile("a.jpg", image_bytes("JPEG")))


@pytest.fixture
def announced():
    seen: list[int] = []

    def receiver(sender, scan, **kwargs):
        seen.append(scan.pk)

    scan_finished.connect(receiver, dispatch_uid="test-announced")
    yield seen
    scan_finished.disconnect(dispatch_uid="test-announced")


def test_a_stored_picture_waits_for_its_reading_with_its_hash(member):
    upload = stored(member)  # inside the test's transaction the job has not run yet
    scan = upload.scan
    assert scan.state == Scan.State.PENDING and scan.owner == member and scan.kind == "invoice"
    assert scan.file == upload.file.name and len(scan.phash) == 16 and (scan.width, scan.height) == (800, 600)


def test_reading_twice_reads_once_and_announces_once(member, announced, django_capture_on_commit_callbacks):
    scan = stored(member).scan
    with django_capture_on_commit_callbacks(execute=True):
        services.scan_read(scan.pk)
        services.scan_read(scan.pk)  # a second worker, or a redelivered job
    scan.refresh_from_db()
    assert scan.state == Scan.State.DONE and scan.read_at is not None and scan.seconds is not None
    assert announced == [scan.pk]


def test_a_picture_that_cannot_be_opened_fails_once(member, announced, django_capture_on_commit_callbacks):
    scan = stored(member).scan
    Scan.objects.filter(pk=scan.pk).update(file="uploads/missing.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        services.scan_read(scan.pk)
    scan.refresh_from_db()
    assert scan.state == Scan.State.FAILED and scan.error == "unreadable"
    assert announced == [scan.pk]


def test_the_time_limit_gives_the_picture_up(member, monkeypatch):
    scan = stored(member).scan

    def too_slow(scan_id):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(services, "scan_read", too_slow)
    tasks.read_scan(scan.pk)
    scan.refresh_from_db()
    assert scan.state == Scan.State.FAILED and scan.error == "time limit"


def test_a_lost_job_is_queued_again_but_not_one_waiting_in_a_backlog(member):
    killed, never_queued, backlog, fresh = (stored(member).scan for _ in range(4))
    now = timezone.now()
    # Started ten minutes ago and never finished: its worker died.
    Scan.objects.filter(pk=killed.pk).update(attempts=1, attempted_at=now - dt.timedelta(minutes=10))
    # Uploaded two hours ago and never started: its job never reached the broker.
    Scan.objects.filter(pk=never_queued.pk).update(created_at=now - dt.timedelta(hours=2))
    # Uploaded ten minutes ago, not started yet: waiting its turn behind other readings.
    Scan.objects.filter(pk=backlog.pk).update(created_at=now - dt.timedelta(minutes=10))

    assert services.scans_requeue_lost() == 2  # jobs run in process here: read at once

    states = dict(Scan.objects.values_list("pk", "state"))
    assert states[killed.pk] == states[never_queued.pk] == Scan.State.DONE
    assert states[backlog.pk] == states[fresh.pk] == Scan.State.PENDING


def test_a_picture_that_kills_its_reader_is_given_up_after_three_attempts(member, announced):
    scan = stored(member).scan
    Scan.objects.filter(pk=scan.pk).update(attempts=3)  # three readings started, none finished

    services.scan_read(scan.pk)

    scan.refresh_from_db()
    assert scan.state == Scan.State.FAILED and scan.error == "too many attempts"


def test_each_reading_counts_an_attempt(member):
    scan = stored(member).scan
    services.scan_read(scan.pk)
    scan.refresh_from_db()
    assert scan.attempts == 1 and scan.attempted_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_page_waits_for_a_worker_a_few_seconds(member, settings):
    scan = stored(member).scan
    Scan.objects.filter(pk=scan.pk).update(state=Scan.State.PENDING)  # a worker has it, not this process
    scan.refresh_from_db()
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def worker():
        time.sleep(0.3)
        Scan.objects.filter(pk=scan.pk).update(state=Scan.State.DONE)
        connection.close()

    # The "worker" is another thread with its own connection, as a Celery worker would be.
    thread = threading.Thread(target=worker)
    thread.start()
    started = time.monotonic()
    services.scans_wait([scan], seconds=5)
    thread.join()
    assert scan.state == Scan.State.DONE and time.monotonic() - started < 4


def test_the_page_stops_waiting_at_its_limit(member, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    scan = stored(member).scan
    started = time.monotonic()
    services.scans_wait([scan], seconds=0.5)
    assert scan.state == Scan.State.PENDING and time.monotonic() - started < 2


def test_stale_uploads_go_with_their_scans(member):
    upload = stored(member)
    Upload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    assert services.uploads_purge_stale() == 1
    assert not Scan.objects.filter(pk=upload.scan_id).exists()


def test_a_claim_is_judged_again_when_its_picture_has_been_read(member, django_capture_on_commit_callbacks):
    claim = make_claim()
    item = ClaimItem.objects.get(claim=claim)
    photo = stored(claim.member, Upload.Kind.SERIAL_PHOTO)
    ClaimDocument.objects.create(item=item, kind="serial_photo", file=photo.file.name, scan=photo.scan)
    from membercenter.claims.checks import claim_checks_refresh

    claim = claim_checks_refresh(claim.pk)
    assert claim.checks_passed is None  # still reading

    with django_capture_on_commit_callbacks(execute=True):
        services.scan_read(photo.scan_id)  # a blank picture: no serial on it
    claim.refresh_from_db()
    serial_check = [v for v in claim.checks["items"][0]["verdicts"] if v["check"] == "serial_match"]
    assert serial_check and serial_check[0]["ok"] is False
    assert claim.checks_passed is False
