"""Storing member evidence and reading it: one pipeline for invoices and sticker photos.

A picture is checked and re-encoded while the member waits (evidence_clean); the
OCR reading, the slow part, is a background job with a time limit. In development
and tests jobs run in-process right after commit; with Redis they run on a worker
and the upload pages wait a few seconds for the result before saying "still checking".
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from PIL import Image

from membercenter.accounts.models import User
from membercenter.evidence import images
from membercenter.evidence.models import Scan, Upload
from membercenter.evidence.signals import scan_finished

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(hours=24)
# A reading started this long ago and not finished lost its worker: it is queued again.
LOST_AFTER = dt.timedelta(minutes=5)
# A scan never started this long after its upload lost its job (the broker was down at commit).
NEVER_STARTED_AFTER = dt.timedelta(hours=1)
# A picture whose reading was started this many times without finishing is given up.
MAX_ATTEMPTS = 3


def scan_create(*, owner: User, kind: str, clean: images.CleanImage, file_name: str) -> Scan:
    """A pending scan of a stored picture; its reading is queued after commit."""
    bands = images.phash_bands(clean.phash)
    scan = Scan.objects.create(
        owner=owner,
        kind=kind,
        file=file_name,
        width=clean.width,
        height=clean.height,
        phash=clean.phash,
        **{f"phash_{i}": band for i, band in enumerate(bands)},
    )
    scan_enqueue(scan)
    return scan


def scan_enqueue(scan: Scan) -> None:
    from membercenter.evidence.tasks import read_scan

    pk = scan.pk
    transaction.on_commit(lambda: read_scan.delay(pk), robust=True)


def upload_store(*, owner: User, kind: str, upload: UploadedFile) -> Upload:
    """Check and re-encode the picture, keep it for the form it belongs to, and have it read.

    Raises UploadRejected with a message for the member.
    """
    clean = images.evidence_clean(upload)
    if not clean.content.name:  # evidence_clean names every JPEG it makes
        raise ValueError("evidence_clean gave an unnamed file")
    with transaction.atomic():
        row = Upload(owner=owner, kind=kind)
        row.file.save(clean.content.name, clean.content, save=False)
        row.scan = scan_create(owner=owner, kind=kind, clean=clean, file_name=row.file.name or "")
        row.save()
    # An in-process job has read the picture at commit: show what it found.
    row.scan.refresh_from_db()
    return row


def upload_of(*, owner: User, upload_id: object) -> Upload | None:
    """A pending upload of this member, or None (someone else's id, or expired)."""
    try:
        key = uuid.UUID(str(upload_id))
    except ValueError:
        return None
    return Upload.objects.select_related("scan").filter(owner=owner, pk=key).first()


def uploads_purge_stale(*, now: dt.datetime | None = None) -> int:
    """Uploads no claim took within a day are removed with their files and scans."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    removed = 0
    for row in Upload.objects.filter(created_at__lt=cutoff):
        row.file.delete(save=False)
        if row.scan_id:
            Scan.objects.filter(pk=row.scan_id).delete()
        row.delete()
        removed += 1
    return removed


def scan_read(scan_id: int) -> Scan | None:
    """Read one picture with OCR and keep the text boxes (the job's body; safe to run twice).

    Reading is pure: two workers reading the same scan store the same boxes, and only
    the first to finish marks it done, so the claims are judged again once.
    """
    from membercenter.evidence.ocr import ocr_image
    from membercenter.evidence.verdicts import invoice_number_key

    scan = Scan.objects.filter(pk=scan_id).first()
    if scan is None or scan.state != Scan.State.PENDING:
        return scan
    if scan.attempts >= MAX_ATTEMPTS:
        # Started that often and never finished: the picture kills its reader (or outlasts the
        # time limit every time); a reviewer looks at it instead.
        return scan_fail(scan_id, "too many attempts")
    Scan.objects.filter(pk=scan_id).update(attempts=F("attempts") + 1, attempted_at=timezone.now())
    started = time.monotonic()
    try:
        with default_storage.open(scan.file, "rb") as handle:
            image = Image.open(handle)
            image.load()
        boxes = ocr_image(image)
    except Exception as err:  # noqa: BLE001 — any failure to read is the same answer to the member
        log.warning("scan %s could not be read: %s", scan_id, err)
        return scan_fail(scan_id, "unreadable")
    rows = [[b.text, *b.box, round(b.score, 3), round(b.angle, 1)] for b in boxes]
    key = invoice_number_key(boxes) if scan.kind == Scan.Kind.INVOICE else ""
    updated = Scan.objects.filter(pk=scan_id, state=Scan.State.PENDING).update(
        state=Scan.State.DONE,
        boxes=rows,
        invoice_number_key=key,
        seconds=round(time.monotonic() - started, 3),
        read_at=timezone.now(),
    )
    scan.refresh_from_db()
    if updated:
        _announce(scan)
    return scan


def scan_fail(scan_id: int, error: str) -> Scan | None:
    """Give up on a picture (time limit, unreadable): the checks then ask a person to look."""
    updated = Scan.objects.filter(pk=scan_id, state=Scan.State.PENDING).update(
        state=Scan.State.FAILED, error=error[:200], read_at=timezone.now()
    )
    scan = Scan.objects.filter(pk=scan_id).first()
    if updated and scan is not None:
        _announce(scan)
    return scan


def _announce(scan: Scan) -> None:
    transaction.on_commit(lambda: scan_finished.send(sender=Scan, scan=scan), robust=True)


def scans_requeue_lost(*, now: dt.datetime | None = None) -> int:
    """Queue again the scans whose job was lost; a scheduled job.

    Lost means started and not finished long after (the worker was killed mid-read), or
    never started long after the upload (the job never reached the broker). A scan merely
    waiting in a backlog has not started and is young: it is left to its job.
    """
    now = now or timezone.now()
    lost = Q(attempted_at__lt=now - LOST_AFTER) | Q(attempted_at__isnull=True, created_at__lt=now - NEVER_STARTED_AFTER)
    ids = list(Scan.objects.filter(lost, state=Scan.State.PENDING).values_list("pk", flat=True))
    from membercenter.evidence.tasks import read_scan

    for pk in ids:
        read_scan.delay(pk)
    return len(ids)


def scans_wait(scans: Iterable[Scan | None], *, seconds: float | None = None) -> None:
    """Wait a little for pending readings (a worker is on them), refreshing the given rows.

    In-process jobs (no broker) have already run at commit, or will not run before this
    request ends (inside a test's transaction): there is nothing to wait for.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    pending = [s for s in scans if s is not None and s.state == Scan.State.PENDING]
    deadline = time.monotonic() + (settings.EVIDENCE_WAIT_SECONDS if seconds is None else seconds)
    while pending and time.monotonic() < deadline:
        time.sleep(0.25)
        states = dict(Scan.objects.filter(pk__in=[s.pk for s in pending]).values_list("pk", "state"))
        done = [s for s in pending if states.get(s.pk) != Scan.State.PENDING]
        for s in done:
            s.refresh_from_db()
        pending = [s for s in pending if s not in done]
