from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.models import Category, ProductModel, Region, Store
from membercenter.lib.i18n import localized


class Promotion(models.Model):
    """A time-boxed offer: eligible products bought in a window, in a region, earn a reward."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    banner = models.ImageField(_("banner"), upload_to="promotions/banners/", blank=True)
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="promotions")
    purchase_start = models.DateField(_("purchase window start"))
    purchase_end = models.DateField(_("purchase window end"))
    redeem_start = models.DateField(_("redemption opens"))
    redeem_end = models.DateField(_("redemption deadline"))
    eligible_categories = models.ManyToManyField(Category, blank=True, verbose_name=_("eligible categories"))
    eligible_models = models.ManyToManyField(ProductModel, blank=True, verbose_name=_("eligible models"))
    eligible_stores = models.ManyToManyField(
        Store,
        blank=True,
        verbose_name=_("participating stores"),
        help_text=_("Leave empty to accept every partner store of the promotion's regions."),
    )

    class Delivery(models.TextChoices):
        PERIOD_END = "period_end", _("At the end of the promotion period")
        ON_APPROVAL = "on_approval", _("As soon as the claim is approved")

    reward_delivery = models.CharField(
        _("reward delivery"), max_length=12, choices=Delivery.choices, default=Delivery.PERIOD_END
    )
    reward_en = models.CharField(_("reward (English)"), max_length=200)
    reward_id = models.CharField(_("reward (Indonesian)"), max_length=200)
    max_redemptions = models.PositiveIntegerField(_("maximum redemptions"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(_("limit per member"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Promotion managers see and change only the promotions they manage (administrators: all).
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_promotions",
        verbose_name=_("managers"),
        help_text=_("Promotion managers who may edit this promotion, its rewards, codes and shipments."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-redeem_end", "name_en"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        permissions = [("manage_promotion", "Can create, edit and publish promotions")]
        constraints = [
            models.CheckConstraint(
                condition=Q(purchase_end__gte=models.F("purchase_start")), name="promo_purchase_window"
            ),
            models.CheckConstraint(condition=Q(redeem_end__gte=models.F("redeem_start")), name="promo_redeem_window"),
            models.CheckConstraint(
                condition=Q(redeem_end__gte=models.F("purchase_start")), name="promo_redeem_after_start"
            ),
        ]

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def reward(self) -> str:
        return localized(self, "reward")
