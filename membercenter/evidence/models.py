from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Upload(models.Model):
    """A checked, re-encoded picture a member uploaded before the form it belongs to is sent.

    The redeem journey uploads sticker photos on one page and submits on the next;
    the picture waits here, owned by its member, until the claim takes it.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", "invoice"
        SERIAL_PHOTO = "serial_photo", "serial photo"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to="uploads/%Y/%m/")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
