from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.catalog.models import Region, Serial, Store
from membercenter.catalog.serials import is_valid_sn, normalize_sn, sn_skeleton
from membercenter.evidence.models import Upload
from membercenter.products.models import RegisteredProduct, RegistrationRecord


class SerialTaken(ValidationError):
    """The serial is registered on another account."""


@dataclass
class SerialLookup:
    sn: str
    serial: Serial | None
    suggestions: list[str] = field(default_factory=list)


def serial_lookup(*, raw_sn: str) -> SerialLookup:
    """Find the serial; when unknown, the registry serials that differ only in look-alikes."""
    sn = normalize_sn(raw_sn)
    if not is_valid_sn(sn):
        return SerialLookup(sn=sn, serial=None)
    serial = Serial.objects.select_related("product_model__category").filter(sn=sn).first()
    if serial is not None:
        return SerialLookup(sn=sn, serial=serial)
    near = Serial.objects.filter(skeleton=sn_skeleton(sn)).exclude(sn=sn).values_list("sn", flat=True)[:5]
    return SerialLookup(sn=sn, serial=None, suggestions=list(near))


def serial_check_available(*, serial: Serial, member: User) -> None:
    owner_id = RegisteredProduct.objects.filter(serial=serial).values_list("member_id", flat=True).first()
    if owner_id is None:
        return
    if owner_id == member.pk:
        raise ValidationError(_("This product is already in My Products."), code="own")
    raise SerialTaken(_("This serial number is already registered to another account."), code="taken")


def chk_matches(*, serial: Serial, chk: str) -> bool:
    return serial.chk == chk.strip()


def region_today(region: Region) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(region.time_zone)).date()


def product_register(
    *,
    member: User,
    serial: Serial,
    chk: str,
    region: Region,
    store: Store,
    channel: str,
    purchase_date: dt.date,
    invoice: Upload,
) -> RegisteredProduct:
    """Register a serial to a member. Every rule is checked here, whatever the caller checked.

    `invoice` is the member's pending upload (checked, re-encoded and being read); the
    product takes over its file and its reading.
    """
    errors: dict[str, list[str]] = {}
    if not chk_matches(serial=serial, chk=chk):
        errors.setdefault("chk", []).append(_("The CHK code does not match this serial number."))
    if store.region_id != region.pk or not store.is_active:
        errors.setdefault("store", []).append(_("Choose a store of the selected region."))
    if purchase_date > region_today(region):
        errors.setdefault("purchase_date", []).append(_("The purchase date cannot be in the future."))
    elif purchase_date < serial.manufactured_on:
        errors.setdefault("purchase_date", []).append(
            _("The purchase date cannot be before the product was made (%(date)s).")
            % {"date": date_format(serial.manufactured_on)}
        )
    if invoice.owner_id != member.pk:
        errors.setdefault("invoice", []).append(_("The uploaded invoice has expired. Please upload it again."))
    if errors:
        raise ValidationError(errors)
    serial_check_available(serial=serial, member=member)

    product = RegisteredProduct(
        member=member,
        serial=serial,
        region=region,
        store=store,
        channel=channel,
        purchase_date=purchase_date,
        invoice=invoice.file.name,
        invoice_scan_id=invoice.scan_id,
    )
    try:
        with transaction.atomic():
            product.save()
            RegistrationRecord.objects.create(serial=serial, member=member)
            # The file and its reading now belong to the product; the pending row goes.
            Upload.objects.filter(pk=invoice.pk).delete()
    except IntegrityError:
        # Someone registered the same serial a moment ago: the database kept one owner.
        serial_check_available(serial=serial, member=member)
        raise SerialTaken(_("This serial number is already registered to another account."), code="taken") from None
    return product
