from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scan(models.Model):
    """What the machine read on one stored picture: its perceptual hash and its OCR text boxes.

    A picture is read once, by a background job; the checks against a registration
    or a claim (model, date, store, serial) are computed from the stored boxes, so
    they can be re-judged in any context without reading the picture again.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        SERIAL_PHOTO = "serial_photo", _("Serial number photo")

    class State(models.TextChoices):
        PENDING = "pending", _("Checking")
        DONE = "done", _("Read")
        FAILED = "failed", _("Could not be read")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scans")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Storage name of the cleaned JPEG; the Upload, product or claim document names the same file.
    file = models.CharField(max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # imagehash.phash as 16 hex digits, and its four 16-bit bands: two pictures within
    # Hamming distance 3 share a band exactly, so near-duplicates are found by index.
    phash = models.CharField(max_length=16, blank=True)
    phash_0 = models.PositiveIntegerField(default=0, db_index=True)
    phash_1 = models.PositiveIntegerField(default=0, db_index=True)
    phash_2 = models.PositiveIntegerField(default=0, db_index=True)
    phash_3 = models.PositiveIntegerField(default=0, db_index=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING, db_index=True)
    error = models.CharField(max_length=200, blank=True)
    # [[text, x0, y0, x1, y1, score, angle], ...] in the stored picture's pixels.
    boxes = models.JSONField(default=list, blank=True)
    # The invoice number as read, folded (look-alikes, separators) for the same-invoice signal.
    invoice_number_key = models.CharField(max_length=64, blank=True, db_index=True)
    seconds = models.FloatField(null=True, blank=True)
    # Reading attempts: a picture that kills its reader every time is given up after a few.
    attempts = models.PositiveSmallIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scan")

    def __str__(self) -> str:
        return f"{self.kind} scan {self.pk} ({self.state})"


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
    scan = models.ForeignKey(Scan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
