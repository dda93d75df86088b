"""Scheduled data-protection job. Delivered at least once; safe to run twice or at once:
`documents_retention_purge` passes by a document already emptied and locks each batch
(SKIP LOCKED), so a second run finds nothing left. A failed run is simply run again by beat.
"""

from __future__ import annotations

from celery import shared_task

from membercenter.privacy.services import documents_retention_purge


@shared_task(ignore_result=True)
def documents_retention() -> int:
    return documents_retention_purge()
