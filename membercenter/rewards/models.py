from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.models import Category, ProductModel
from membercenter.lib.i18n import localized
from membercenter.promotions.models import Promotion


class Reward(models.Model):
    """What one product earns in a promotion; several rows make a tier table by model or category."""

    class Kind(models.TextChoices):
        DIGITAL_CODE = "code", _("Digital code")
        GIFT = "gift", _("Physical gift")

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="rewards")
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    stock = models.PositiveIntegerField(_("gift stock"), null=True, blank=True)
    # Tier: the most specific matching row wins (model, then category, then the default row).
    product_model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["promotion", "pk"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(
                condition=~(Q(product_model__isnull=False) & Q(category__isnull=False)), name="reward_one_tier_key"
            ),
        ]

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")


class CodePool(models.Model):
    reward = models.OneToOneField(Reward, on_delete=models.PROTECT, related_name="pool")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"pool of {self.reward}"


class RewardCode(models.Model):
    """One code of a pool, encrypted; given to one grant at most (the database says so)."""

    pool = models.ForeignKey(CodePool, on_delete=models.PROTECT, related_name="codes")
    ciphertext = models.TextField()
    fingerprint = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pool", "fingerprint"], name="reward_code_unique_in_pool")]

    def __str__(self) -> str:
        return f"code {self.pk}"


class RewardGrant(models.Model):
    """The reward one claimed product earned: allocated once, delivered once."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for allocation")
        ALLOCATED = "allocated", _("Allocated")
        DELIVERED = "delivered", _("Delivered")
        PREPARING = "preparing", _("Preparing shipment")
        SHIPPED = "shipped", _("Shipped")
        RETURNED = "returned", _("Returned")

    item = models.OneToOneField("claims.ClaimItem", on_delete=models.PROTECT, related_name="grant")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="grants")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # One code, one grant: OneToOne makes both directions a database rule.
    code = models.OneToOneField(RewardCode, on_delete=models.PROTECT, null=True, blank=True, related_name="grant")
    due_at = models.DateTimeField(help_text="when the reward may be allocated and delivered")
    allocated_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    courier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="grant_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="allocated") | Q(code__isnull=False), name="grant_allocated_has_code"
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk} ({self.status})"
