from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion

if TYPE_CHECKING:
    from membercenter.accounts.models import User


class Claim(models.Model):
    """A member's redemption of one promotion for one or more registered products."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Redeem qualification under reviewing")
        SENT_BACK = "sent_back", _("Documents requested")
        APPROVED = "approved", _("Redeem Success")
        REWARD_SENT = "reward_sent", _("Reward sent")
        REJECTED = "rejected", _("Not eligible")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    # The only moves a claim can make; `move_to` refuses every other one.
    ALLOWED: dict[str, frozenset[str]] = {
        Status.SUBMITTED: frozenset({Status.APPROVED, Status.SENT_BACK, Status.REJECTED, Status.WITHDRAWN}),
        Status.SENT_BACK: frozenset({Status.SUBMITTED, Status.EXPIRED, Status.WITHDRAWN}),
        Status.APPROVED: frozenset({Status.REWARD_SENT}),
        Status.REWARD_SENT: frozenset(),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.EXPIRED: frozenset(),
    }
    # A claim in one of these holds a unit of the promotion's stock.
    ACTIVE = frozenset({Status.SUBMITTED, Status.SENT_BACK, Status.APPROVED, Status.REWARD_SENT})
    # ...and in one of these it keeps its products from being claimed again in the promotion:
    # a rejection is final, so the same product cannot simply be sent in again.
    HOLDS_PRODUCTS = ACTIVE | {Status.REJECTED}
    # Decided in the member's favour: at approval these, not every active claim, are the
    # rewards already given (a claim still under review may yet be refused).
    GRANTED = frozenset({Status.APPROVED, Status.REWARD_SENT})

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="claims")
    region = models.ForeignKey("catalog.Region", on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    submit_token = models.UUIDField(default=uuid.uuid4, editable=False)
    submitted_at = models.DateTimeField(_("redeem date"), default=timezone.now)
    resubmitted_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(_("decision due"))
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="held_claims"
    )
    held_until = models.DateTimeField(null=True, blank=True)
    # Recipient information (SPEC §2.5).
    full_name = models.CharField(_("Full Name"), max_length=200)
    email = models.EmailField(_("Email"))
    phone = models.CharField(_("Phone"), max_length=32)
    address = models.CharField(_("Address"), max_length=300)
    city = models.CharField(_("City"), max_length=100, blank=True)
    province = models.CharField(_("State / Province / Region"), max_length=100, blank=True)
    postal_code = models.CharField(_("Postal Code"), max_length=12, blank=True)
    unit = models.CharField(_("Apartment / Building / Unit / Floor"), max_length=100, blank=True)
    contact_name = models.CharField(_("Contact Name"), max_length=200)
    contact_phone = models.CharField(_("Contact Phone"), max_length=32, blank=True)
    # The automatic evidence checks of the latest round (evidence.claim_checks), judged
    # again whenever a document of the claim has been read: True when every check
    # passed, False when one failed, None while a document is still being read.
    checks = models.JSONField(default=dict, blank=True, editable=False)
    checks_passed = models.BooleanField(null=True, editable=False)
    # The recipient phone and address folded for the shared-recipient signals (claims.fraud.recipient_keys).
    phone_key = models.CharField(max_length=20, blank=True, db_index=True, editable=False)
    address_key = models.CharField(max_length=120, blank=True, db_index=True, editable=False)
    # Fraud signals (claims.fraud): [{"code", "params", "claims": [ids], "members": [ids]}].
    flags = models.JSONField(default=list, blank=True, editable=False)
    # When the claim, still undecided past its due date, was escalated to its region's reviewers
    # and the administrators (claims_escalate_overdue): once per due date, so a resubmission
    # (a new due date) may be escalated again.
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [("review_claim", "Can review claims of own regions")]
        constraints = [
            # A double click, the back button or two tabs submit the same token: one claim.
            models.UniqueConstraint(fields=["member", "submit_token"], name="claim_one_per_submit_token"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="claim_queue_idx"),
            models.Index(fields=["status", "checks_passed"], name="claim_checks_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @staticmethod
    def held_by_other_q(user: object, now: datetime.datetime) -> Q:
        """Claims another reviewer is working on right now (their hold has not run out)."""
        return Q(held_by__isnull=False, held_until__gt=now) & ~Q(held_by=user)

    def is_held_by_other(self, user: User, now: datetime.datetime) -> bool:
        return self.held_by_id not in (None, user.pk) and bool(self.held_until and self.held_until > now)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def move_to(self, status: str, *, by: User | None, note: str = "") -> ClaimEvent:
        """The one place a claim's status changes: checks ALLOWED and records the event.

        Call it on a row locked with select_for_update, inside the transaction
        that also writes the notification.
        """
        if status not in self.ALLOWED[self.status]:
            raise ValidationError(
                _("A claim that is %(current)s cannot become %(target)s.")
                % {"current": self.get_status_display(), "target": Claim.Status(status).label},
                code="transition",
            )
        previous = self.status
        self.status = status
        self.save(update_fields=["status"])
        if (previous in self.ACTIVE) != (status in self.ACTIVE):
            from membercenter.promotions.stock import promotion_stock_forget

            promotion_stock_forget(self.promotion_id)
        if status not in self.HOLDS_PRODUCTS:
            self.items.update(active=False)
        return ClaimEvent.objects.create(
            claim=self, from_status=previous, to_status=status, actor=by, note=note, round=self.round
        )


class ClaimItem(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(RegisteredProduct, on_delete=models.PROTECT, related_name="claim_items")
    # Copied from the claim so that the database can hold the rule below.
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="+")
    # True while the claim's status is in Claim.HOLDS_PRODUCTS.
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "promotion"], condition=Q(active=True), name="claim_item_one_active_per_product"
            ),
            models.UniqueConstraint(fields=["claim", "product"], name="claim_item_product_once_per_claim"),
        ]

    def __str__(self) -> str:
        return f"claim #{self.claim_id} · product {self.product_id}"


class ClaimDocument(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        SERIAL_PHOTO = "serial_photo", _("Serial number photo")

    item = models.ForeignKey(ClaimItem, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to="claims/%Y/%m/")
    scan = models.ForeignKey("evidence.Scan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    round = models.PositiveSmallIntegerField(default=1)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} (round {self.round})"


class ClaimEvent(models.Model):
    """Every status change: who, when, from, to, why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.TextField(blank=True)
    round = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.claim_id}: {self.from_status or '-'} → {self.to_status}"


class ReasonTemplate(models.Model):
    """Staff-kept texts for sending back or rejecting a claim, in both languages."""

    class Kind(models.TextChoices):
        SEND_BACK = "send_back", _("Send back")
        REJECT = "reject", _("Reject")

    kind = models.CharField(_("used for"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("short title"), max_length=100)
    text_en = models.TextField(_("text (English)"))
    text_id = models.TextField(_("text (Indonesian)"))
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "title"]

    def __str__(self) -> str:
        return self.title
