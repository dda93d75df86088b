"""Promotion management (promotion managers in the back office).

Each operation runs in one transaction with its audit entry. `promotion_validate`
holds the rules a promotion's fields must keep; the form and the services both
use it, so a command or an import gets the same checks as the page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.backoffice.roles import is_administrator
from membercenter.promotions.models import Promotion

PROMOTION_FIELDS = (
    "slug", "name_en", "name_id", "description_en", "description_id",
    "purchase_start", "purchase_end", "redeem_start", "redeem_end",
    "reward_en", "reward_id", "max_redemptions", "per_member_limit",
)  # fmt: skip
PROMOTION_M2M = ("regions", "eligible_categories", "eligible_models", "eligible_stores")


def promotion_validate(data: dict[str, Any]) -> None:
    """The windows are coherent, there is a region, and every chosen store belongs to one of them."""
    errors: dict[str, str] = {}
    p_start, p_end = data.get("purchase_start"), data.get("purchase_end")
    r_start, r_end = data.get("redeem_start"), data.get("redeem_end")
    if p_start and p_end and p_end < p_start:
        errors["purchase_end"] = _("The purchase window cannot end before it starts.")
    if r_start and r_end and r_end < r_start:
        errors["redeem_end"] = _("The redemption deadline cannot be before redemption opens.")
    elif p_start and r_end and r_end < p_start:
        errors["redeem_end"] = _("The redemption deadline cannot be before the purchase window starts.")
    regions = list(data.get("regions") or [])
    if not regions:
        errors["regions"] = _("Choose at least one region.")
    else:
        region_ids = {r.pk for r in regions}
        strays = [s for s in data.get("eligible_stores") or [] if s.region_id not in region_ids]
        if strays:
            errors["eligible_stores"] = _("These stores are not in the promotion's regions: %(stores)s.") % {
                "stores": ", ".join(str(s) for s in strays)
            }
    if errors:
        raise ValidationError(errors)


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:40] or "promotion"
    slug, n = base, 1
    others = Promotion.objects.all() if exclude_pk is None else Promotion.objects.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _m2m_ids(promotion: Promotion) -> dict[str, set[int]]:
    return {name: set(getattr(promotion, name).values_list("pk", flat=True)) for name in PROMOTION_M2M}


def _apply(promotion: Promotion, data: dict[str, Any], banner: ContentFile | None, banner_remove: bool) -> list[str]:
    """Write `data` onto the (locked) promotion; returns the names of the fields that changed."""
    promotion_validate(data)
    before = _m2m_ids(promotion) if promotion.pk else dict.fromkeys(PROMOTION_M2M, set())
    changed = [f for f in PROMOTION_FIELDS if f in data and getattr(promotion, f) != data[f]]
    for f in changed:
        setattr(promotion, f, data[f])
    if not promotion.slug:
        promotion.slug = _unique_slug(promotion.name_en, exclude_pk=promotion.pk)
    if banner is not None:
        promotion.banner.save(banner.name or "banner", banner, save=False)
        changed.append("banner")
    elif banner_remove and promotion.banner:
        promotion.banner = ""
        changed.append("banner")
    promotion.updated_at = timezone.now()
    promotion.full_clean(exclude=["banner"])
    promotion.save()
    for name in PROMOTION_M2M:
        if name in data:
            ids = {obj.pk for obj in data[name]}
            if ids != before[name]:
                getattr(promotion, name).set(ids)
                changed.append(name)
    return changed


def _managers_set(promotion: Promotion, managers: Any) -> bool:
    """Make `managers` the promotion's managers; True when that changed anything."""
    ids = {user.pk for user in managers}
    if ids == set(promotion.managers.values_list("pk", flat=True)):
        return False
    promotion.managers.set(ids)
    return True


def promotion_create(
    *, actor: User, data: dict[str, Any], banner: ContentFile | None = None, managers: Any = None
) -> Promotion:
    """A new promotion, always as a draft: members see it only once it is published.

    Its managers are `managers` (an administrator chooses them); a promotion manager who
    creates a promotion is always one of them, or they could not open what they just made.
    """
    with transaction.atomic():
        promotion = Promotion(status=Promotion.Status.DRAFT)
        _apply(promotion, data, banner, banner_remove=False)
        chosen = list(managers or [])
        if not is_administrator(actor) and actor not in chosen:
            chosen.append(actor)
        _managers_set(promotion, chosen)
        audit_record(
            actor=actor,
            action="promotion.create",
            target=promotion,
            summary=f"Promotion “{promotion.name_en}” created as a draft",
        )
    return promotion


def promotion_update(
    *,
    actor: User,
    promotion: Promotion,
    data: dict[str, Any],
    banner: ContentFile | None = None,
    banner_remove: bool = False,
    managers: Any = None,
) -> Promotion:
    """Save the promotion's fields; `managers`, when given (only an administrator's form has it), replaces them."""
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        changed = _apply(promotion, data, banner, banner_remove)
        if managers is not None and _managers_set(promotion, managers):
            changed.append("managers")
        audit_record(
            actor=actor,
            action="promotion.update",
            target=promotion,
            summary=f"Promotion “{promotion.name_en}” changed: {', '.join(changed) or 'nothing'}",
        )
    return promotion


def _move(promotion: Promotion, *, actor: User, to: str, allowed_from: set[str], action: str) -> Promotion:
    with transaction.atomic():
        promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if promotion.status not in allowed_from:
            raise ValidationError(
                _("A promotion that is %(current)s cannot become %(target)s.")
                % {"current": promotion.get_status_display(), "target": Promotion.Status(to).label},
                code="transition",
            )
        previous = promotion.status
        promotion.status = to
        promotion.updated_at = timezone.now()
        promotion.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=action,
            target=promotion,
            summary=f"Promotion “{promotion.name_en}”: {previous} → {to}",
        )
    return promotion


def promotion_publish(*, actor: User, promotion: Promotion) -> Promotion:
    """Show the promotion to members of its regions (a closed one may be reopened)."""
    # A promotion made elsewhere (the admin, an import) may lack a region: checked before it goes live.
    promotion_validate(
        {
            "purchase_start": promotion.purchase_start,
            "purchase_end": promotion.purchase_end,
            "redeem_start": promotion.redeem_start,
            "redeem_end": promotion.redeem_end,
            "regions": list(promotion.regions.all()),
            "eligible_stores": list(promotion.eligible_stores.all()),
        }
    )
    return _move(
        promotion,
        actor=actor,
        to=Promotion.Status.PUBLISHED,
        allowed_from={Promotion.Status.DRAFT, Promotion.Status.CLOSED},
        action="promotion.publish",
    )


def promotion_close(*, actor: User, promotion: Promotion) -> Promotion:
    """Stop new redemptions now; claims already made are still reviewed."""
    return _move(
        promotion,
        actor=actor,
        to=Promotion.Status.CLOSED,
        allowed_from={Promotion.Status.PUBLISHED},
        action="promotion.close",
    )
