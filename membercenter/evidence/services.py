from __future__ import annotations

import datetime as dt
import uuid

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.evidence.images import image_sanitize
from membercenter.evidence.models import Upload

STALE_AFTER = dt.timedelta(hours=24)


def upload_store(*, owner: User, kind: str, upload: UploadedFile) -> Upload:
    """Check and re-encode the picture, and keep it for the form it belongs to (raises UploadRejected)."""
    clean = image_sanitize(upload)
    row = Upload(owner=owner, kind=kind)
    row.file.save(clean.name, clean, save=False)
    row.save()
    return row


def upload_of(*, owner: User, upload_id: object) -> Upload | None:
    """A pending upload of this member, or None (someone else's id, or expired)."""
    try:
        key = uuid.UUID(str(upload_id))
    except ValueError:
        return None
    return Upload.objects.filter(owner=owner, pk=key).first()


def uploads_purge_stale(*, now: dt.datetime | None = None) -> int:
    """Uploads no claim took within a day are removed with their files."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    removed = 0
    for row in Upload.objects.filter(created_at__lt=cutoff):
        row.file.delete(save=False)
        row.delete()
        removed += 1
    return removed
