from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from membercenter.catalog.models import Region, Serial, Store


class RegisteredProduct(models.Model):
    """A serial a member claimed as theirs ("My Products")."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="products", verbose_name=_("member")
    )
    serial = models.ForeignKey(Serial, on_delete=models.PROTECT, verbose_name=_("serial number"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("region / location"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, verbose_name=_("store name"))
    channel = models.CharField(_("where purchased"), max_length=10, choices=Store.Channel.choices)
    purchase_date = models.DateField(_("purchase date"))
    invoice = models.FileField(_("invoice"), upload_to="invoices/%Y/%m/")
    invoice_scan = models.ForeignKey(
        "evidence.Scan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    registered_at = models.DateTimeField(_("registered"), default=timezone.now)

    class Meta:
        ordering = ["-registered_at"]
        verbose_name = _("registered product")
        verbose_name_plural = _("registered products")
        constraints = [
            # A serial belongs to one account at a time.
            models.UniqueConstraint(fields=["serial"], name="registered_product_one_owner_per_serial"),
        ]

    def __str__(self) -> str:
        return f"{self.serial.sn} ({self.member_id})"

    @property
    def warranty_ends_on(self) -> dt.date:
        return self.purchase_date + relativedelta(months=self.serial.product_model.warranty_months)


class RegistrationRecord(models.Model):
    """Every registration of a serial, kept when the product later leaves an account.

    "This serial was registered on more than one account over time" is a fraud signal;
    RegisteredProduct only knows the current owner.
    """

    serial = models.ForeignKey(Serial, on_delete=models.PROTECT, related_name="registrations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["registered_at"]

    def __str__(self) -> str:
        return f"{self.serial_id} → {self.member_id}"
