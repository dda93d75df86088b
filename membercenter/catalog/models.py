from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from membercenter.lib.i18n import localized


class Region(models.Model):
    """A country the brand sells in, with its currency and time zone."""

    code = models.CharField(_("country code"), max_length=2, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    time_zone = models.CharField(_("time zone"), max_length=64)
    is_active = models.BooleanField(_("open for members"), default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")


class Province(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="provinces", verbose_name=_("region"))
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="province_code_unique_in_region"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_id = models.CharField(_("name (Indonesian)"), max_length=100)
    sn_help_en = models.TextField(_("where to find the serial number (English)"), blank=True)
    sn_help_id = models.TextField(_("where to find the serial number (Indonesian)"), blank=True)
    sn_help_image = models.ImageField(_("serial number location picture"), upload_to="catalog/sn-help/", blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name_en"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return localized(self, "name")

    @property
    def name(self) -> str:
        return localized(self, "name")

    @property
    def sn_help(self) -> str:
        return localized(self, "sn_help")


class ProductModel(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="models", verbose_name=_("category"))
    code = models.CharField(
        _("model"), max_length=64, unique=True, help_text=_("The model number used in factory files.")
    )
    name = models.CharField(_("product name"), max_length=200)
    aliases = models.TextField(
        _("other names"),
        blank=True,
        help_text=_("Other names this model is sold under, one per line (the invoice check accepts each)."),
    )
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=24)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product model")
        verbose_name_plural = _("product models")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def invoice_names(self) -> list[str]:
        """Every name an invoice may show for this model: its name, aliases and model number."""
        names = [self.name, *(line.strip() for line in self.aliases.splitlines()), self.code]
        return list(dict.fromkeys(n for n in names if n))


class Serial(models.Model):
    """One unit the factory made: the serial registry, millions of rows."""

    sn = models.CharField(_("serial number"), max_length=32, unique=True)
    # The SN with look-alike characters folded (O→0, I/L→1, S→5, B→8): finds
    # "did you mean" candidates with one indexed lookup.
    skeleton = models.CharField(max_length=32, db_index=True, editable=False)
    chk = models.CharField(_("CHK"), max_length=3)
    product_model = models.ForeignKey(ProductModel, on_delete=models.PROTECT, verbose_name=_("product model"))
    manufactured_on = models.DateField(_("manufacture date"))

    class Meta:
        verbose_name = _("registry serial")
        verbose_name_plural = _("serial registry")
        constraints = [
            models.CheckConstraint(condition=models.Q(chk__regex=r"^[0-9]{3}$"), name="serial_chk_three_digits"),
        ]

    def __str__(self) -> str:
        return self.sn


class Store(models.Model):
    class Channel(models.TextChoices):
        RETAIL = "retail", _("Retail store")
        ONLINE = "online", _("Online retailer")
        RESELLER = "reseller", _("Reseller")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="stores", verbose_name=_("region"))
    province = models.ForeignKey(Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("province"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    name = models.CharField(_("store name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner store")
        verbose_name_plural = _("partner stores")
        constraints = [
            models.UniqueConstraint("region", Lower("name"), "city", name="store_unique_name_city_in_region"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.city}" if self.city else self.name
