from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from membercenter.evidence import services


@shared_task(ignore_result=True)
def purge_stale_uploads() -> int:
    return services.uploads_purge_stale()


@shared_task(
    ignore_result=True,
    acks_late=True,
    soft_time_limit=settings.EVIDENCE_OCR_TIME_LIMIT,
    time_limit=settings.EVIDENCE_OCR_TIME_LIMIT + 15,
)
def read_scan(scan_id: int) -> None:
    """OCR one stored picture. A killed worker's job is delivered again (acks late) or requeued."""
    try:
        services.scan_read(scan_id)
    except SoftTimeLimitExceeded:
        services.scan_fail(scan_id, "time limit")


@shared_task(ignore_result=True)
def read_pending() -> int:
    return services.scans_requeue_lost()
