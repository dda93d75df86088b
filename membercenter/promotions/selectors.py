"""Which registered products qualify for which promotions, and why not.

One decision serves the promotion page, each My Products row, the redeem form and
the submit service. Lists are judged in a fixed number of queries: the facts that
depend on other claims are read once into an `EligibilityFacts`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from membercenter.accounts.models import User
from membercenter.catalog.models import Region
from membercenter.products.models import RegisteredProduct
from membercenter.products.selectors import member_products
from membercenter.products.services import region_today
from membercenter.promotions.models import Promotion

# Shown by the "not_redeemed" rule, and by the submit service when the database refuses a second claim.
ALREADY_CLAIMED = gettext_lazy(
    "This product was already redeemed (or is waiting for review, or was refused) in this promotion."
)

RULES = ("model", "purchase_window", "open", "region", "store", "not_redeemed", "stock", "member_limit")


@dataclass(frozen=True)
class RuleVerdict:
    rule: str
    ok: bool
    message: str = ""


@dataclass
class Eligibility:
    product: RegisteredProduct
    promotion: Promotion
    verdicts: list[RuleVerdict]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def failures(self) -> list[RuleVerdict]:
        return [v for v in self.verdicts if not v.ok]


@dataclass
class EligibilityFacts:
    """What other claims say: products already in a promotion, stock used, per-member use."""

    active_items: set[tuple[int, int]] = field(default_factory=set)
    promotion_claims: Counter[int] = field(default_factory=Counter)
    member_claims: Counter[tuple[int, int]] = field(default_factory=Counter)


def promotions_with_rules() -> QuerySet[Promotion]:
    return Promotion.objects.prefetch_related("regions", "eligible_categories", "eligible_models", "eligible_stores")


def eligibility_facts(*, member_ids: Iterable[int], promotion_ids: Iterable[int]) -> EligibilityFacts:
    from membercenter.claims.models import Claim, ClaimItem

    member_ids, promotion_ids = list(set(member_ids)), list(set(promotion_ids))
    facts = EligibilityFacts()
    facts.active_items = set(
        ClaimItem.objects.filter(
            active=True, promotion_id__in=promotion_ids, product__member_id__in=member_ids
        ).values_list("product_id", "promotion_id")
    )
    active = Claim.objects.filter(promotion_id__in=promotion_ids, status__in=Claim.ACTIVE)
    for row in active.values("promotion_id").annotate(n=Count("pk")):
        facts.promotion_claims[row["promotion_id"]] = row["n"]
    for row in active.filter(member_id__in=member_ids).values("member_id", "promotion_id").annotate(n=Count("pk")):
        facts.member_claims[(row["member_id"], row["promotion_id"])] = row["n"]
    return facts


def _ids(manager: object) -> set[int]:
    return {obj.pk for obj in manager.all()}  # type: ignore[attr-defined]


def _day(value: dt.date) -> str:
    return date_format(value, "j M Y")


def product_eligibility(
    *, product: RegisteredProduct, promotion: Promotion, facts: EligibilityFacts, today: dt.date | None = None
) -> Eligibility:
    """Judge every rule of SPEC §3, each with the words a member understands."""
    today = today or region_today(product.region)
    model = product.serial.product_model
    verdicts: list[RuleVerdict] = []

    def rule(name: str, ok: bool, message: str) -> None:
        verdicts.append(RuleVerdict(name, ok, "" if ok else message))

    model_ids, category_ids = _ids(promotion.eligible_models), _ids(promotion.eligible_categories)
    rule(
        "model",
        (not model_ids and not category_ids) or model.pk in model_ids or model.category_id in category_ids,
        _("%(model)s is not one of the products of this promotion.") % {"model": model.name},
    )
    bought = product.purchase_date
    if bought < promotion.purchase_start:
        rule(
            "purchase_window",
            False,
            _("Your invoice date %(date)s is before the promotion's start on %(start)s.")
            % {"date": _day(bought), "start": _day(promotion.purchase_start)},
        )
    elif bought > promotion.purchase_end:
        rule(
            "purchase_window",
            False,
            _("Your invoice date %(date)s is after the promotion's purchase period ended on %(end)s.")
            % {"date": _day(bought), "end": _day(promotion.purchase_end)},
        )
    else:
        rule("purchase_window", True, "")
    if promotion.status != Promotion.Status.PUBLISHED or today > promotion.redeem_end:
        closed = _("Redemption for this promotion closed on %(date)s.") % {"date": _day(promotion.redeem_end)}
        rule("open", False, closed)
    elif today < promotion.redeem_start:
        rule("open", False, _("Redemption opens on %(date)s.") % {"date": _day(promotion.redeem_start)})
    else:
        rule("open", True, "")
    rule(
        "region",
        product.region_id in _ids(promotion.regions),
        _("This promotion is not offered for products bought in %(region)s.") % {"region": product.region.name},
    )
    store_ids = _ids(promotion.eligible_stores)
    rule(
        "store",
        not store_ids or product.store_id in store_ids,
        _("%(store)s does not take part in this promotion.") % {"store": product.store.name},
    )
    rule(
        "not_redeemed",
        (product.pk, promotion.pk) not in facts.active_items,
        str(ALREADY_CLAIMED),
    )
    rule(
        "stock",
        promotion.max_redemptions is None or facts.promotion_claims[promotion.pk] < promotion.max_redemptions,
        _("All rewards of this promotion have been claimed."),
    )
    limit = promotion.per_member_limit
    rule(
        "member_limit",
        limit is None or facts.member_claims[(product.member_id, promotion.pk)] < limit,
        _("You have reached the limit of %(n)s redemptions per member for this promotion.") % {"n": limit},
    )
    return Eligibility(product=product, promotion=promotion, verdicts=verdicts)


def promotion_eligibility_for_member(*, member: User, promotion: Promotion) -> list[Eligibility]:
    """Each of the member's products judged for one promotion (the redeem table)."""
    products = list(member_products(member=member))
    facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[promotion.pk])
    return [product_eligibility(product=p, promotion=promotion, facts=facts) for p in products]


def visible_promotions(*, region: Region | None) -> QuerySet[Promotion]:
    """All Promotions: published ones of the member's region that are open or coming, by deadline."""
    today = timezone.localdate() - dt.timedelta(days=1)  # a day of slack for time zones
    qs = promotions_with_rules().filter(status=Promotion.Status.PUBLISHED, redeem_end__gte=today)
    if region is not None:
        qs = qs.filter(regions=region)
    return qs.order_by("redeem_end", "pk")


def products_promotions(*, member: User, products: list[RegisteredProduct]) -> dict[int, list[Eligibility]]:
    """For My Products: each product's verdicts for the open promotions of its region."""
    region_ids = {p.region_id for p in products}
    promotions = list(
        promotions_with_rules()
        .filter(status=Promotion.Status.PUBLISHED, regions__in=region_ids)
        # A day of slack for time zones; each product's own "open" rule decides exactly.
        .filter(redeem_end__gte=timezone.localdate() - dt.timedelta(days=1))
        .distinct()
    )
    facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[p.pk for p in promotions])
    result: dict[int, list[Eligibility]] = {}
    for product in products:
        result[product.pk] = [
            product_eligibility(product=product, promotion=promo, facts=facts)
            for promo in promotions
            if product.region_id in _ids(promo.regions)
        ]
    return result
