"""Which registered products qualify for which promotions, and why not.

One decision serves the promotion page, each My Products row, the redeem form and
the submit service. Lists are judged in a fixed number of queries: the facts that
depend on other claims are read once into an `EligibilityFacts`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.signals import setting_changed
from django.db import connections, models
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.catalog.models import Region
from membercenter.lib.i18n import in_language
from membercenter.products.models import RegisteredProduct
from membercenter.products.selectors import member_products_full
from membercenter.products.services import region_today
from membercenter.promotions.kept import promotions_kept
from membercenter.promotions.models import Promotion
from membercenter.promotions.stock import promotions_stock_used

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


@dataclass(frozen=True)
class PromotionRules:
    """A promotion's rule sets, as the ids the rules compare with."""

    models: frozenset[int]
    categories: frozenset[int]
    regions: frozenset[int]
    stores: frozenset[int]


# Promotion field → PromotionRules field.
_RULE_FIELDS = {
    "eligible_models": "models",
    "eligible_categories": "categories",
    "regions": "regions",
    "eligible_stores": "stores",
}
_RULES_ATTR = "_rule_ids"


def promotions_with_rules() -> QuerySet[Promotion]:
    return Promotion.objects.prefetch_related("regions", "eligible_categories", "eligible_models", "eligible_stores")


def promotions_rules_load(promotions: list[Promotion]) -> None:
    """Give each promotion its rule sets (as ids) from one query over the four link tables.

    For lists judged against many products (My Products): no Region, Category, ProductModel
    or Store objects are made, only the ids the rules compare.
    """
    if not promotions:
        return
    connection = connections[Promotion.objects.db]
    quote = connection.ops.quote_name
    ids = [p.pk for p in promotions]
    marks = ", ".join(["%s"] * len(ids))
    parts, params = [], []
    for n, name in enumerate(_RULE_FIELDS):
        field = Promotion._meta.get_field(name)
        table = quote(field.remote_field.through._meta.db_table)  # type: ignore[union-attr]
        own, other = quote(field.m2m_column_name()), quote(field.m2m_reverse_name())  # type: ignore[union-attr]
        parts.append(f"SELECT {n}, {own}, {other} FROM {table} WHERE {own} IN ({marks})")  # noqa: S608 — names, not data
        params += ids
    found: dict[int, dict[str, set[int]]] = {p.pk: {k: set() for k in _RULE_FIELDS.values()} for p in promotions}
    kinds = list(_RULE_FIELDS.values())
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, promotion_id, target_id in cursor.fetchall():
            found[promotion_id][kinds[kind]].add(target_id)
    for promotion in promotions:
        sets = found[promotion.pk]
        setattr(promotion, _RULES_ATTR, PromotionRules(**{k: frozenset(v) for k, v in sets.items()}))


def promotion_rules(promotion: Promotion) -> PromotionRules:
    """The promotion's rule sets: loaded by promotions_rules_load, or read from its relations.

    Read from prefetched relations, they are kept on the promotion for the next product;
    without a prefetch they are read afresh each time (a promotion changed meanwhile is seen).
    """
    rules = getattr(promotion, _RULES_ATTR, None)
    if rules is not None:
        return rules
    prefetched = getattr(promotion, "_prefetched_objects_cache", {})
    sets = {key: frozenset(obj.pk for obj in getattr(promotion, name).all()) for name, key in _RULE_FIELDS.items()}
    rules = PromotionRules(**sets)
    if all(name in prefetched for name in _RULE_FIELDS):
        setattr(promotion, _RULES_ATTR, rules)
    return rules


def eligibility_facts(
    *, member_ids: Iterable[int], promotion_ids: Iterable[int], stock_kept: bool = False
) -> EligibilityFacts:
    """The facts the rules judge by. `stock_kept`: each promotion's active claims from the cache
    (promotions/stock.py), for pages that show them; the submit and the back office count exactly."""
    from membercenter.claims.models import Claim, ClaimItem

    member_ids, promotion_ids = list(set(member_ids)), list(set(promotion_ids))
    facts = EligibilityFacts()
    if not promotion_ids:
        return facts
    if len(member_ids) == 1:
        # One member (every member page, the redeem form, the submit service): one query.
        _member_facts_load(facts, member_id=member_ids[0], promotion_ids=promotion_ids, stock_kept=stock_kept)
        return facts
    facts.active_items = set(
        ClaimItem.objects.filter(
            active=True, promotion_id__in=promotion_ids, product__member_id__in=member_ids
        ).values_list("product_id", "promotion_id")
    )
    active = Claim.objects.filter(promotion_id__in=promotion_ids, status__in=Claim.ACTIVE)
    for total in active.values("promotion_id").annotate(n=Count("pk")):
        facts.promotion_claims[total["promotion_id"]] = total["n"]
    for used in active.filter(member_id__in=member_ids).values("member_id", "promotion_id").annotate(n=Count("pk")):
        facts.member_claims[(used["member_id"], used["promotion_id"])] = used["n"]
    return facts


def _member_facts_load(
    facts: EligibilityFacts, *, member_id: int, promotion_ids: list[int], stock_kept: bool = False
) -> None:
    """One member's facts from one query instead of two.

    The same rows: the member's products in an active claim item of these promotions, and per
    promotion its active claims and the member's share of them, counted from the index on
    (promotion, status, member) alone (claims/migrations/0004_claim_counts_index.py). Building
    the SQL of two ORM queries (one with a join) cost more than running them.
    """
    from membercenter.claims.models import Claim, ClaimItem

    connection = connections[ClaimItem.objects.db]
    quote = connection.ops.quote_name

    def col(model: type[models.Model], name: str) -> str:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field):  # a reverse relation has no column
            raise TypeError(f"{model.__name__}.{name} is not a column")
        return quote(str(field.column))

    item, product, claim = (quote(m._meta.db_table) for m in (ClaimItem, RegisteredProduct, Claim))
    marks = ", ".join(["%s"] * len(promotion_ids))
    statuses = sorted(str(s) for s in Claim.ACTIVE)
    status_marks = ", ".join(["%s"] * len(statuses))
    item_product, item_promotion = col(ClaimItem, "product"), col(ClaimItem, "promotion")
    claim_promotion = col(Claim, "promotion")
    member = col(Claim, "member")
    if stock_kept:
        # The member's active claims only; the promotion's own count comes from the cache.
        counted, mine_only = "0, COUNT(*)", f"c.{member} = %s AND "
    else:
        counted, mine_only = f"COUNT(*), SUM(CASE WHEN c.{member} = %s THEN 1 ELSE 0 END)", ""
    sql = (
        # 0: (product, promotion) of the member's active claim items.
        f"SELECT 0, i.{item_product}, i.{item_promotion}, 0 FROM {item} i "  # noqa: S608 — names, not data
        f"JOIN {product} p ON p.{col(RegisteredProduct, 'id')} = i.{item_product} "
        f"WHERE i.{col(ClaimItem, 'active')} = %s AND p.{col(RegisteredProduct, 'member')} = %s "
        f"AND i.{item_promotion} IN ({marks}) "
        # 1: (promotion, its active claims or 0, the member's).
        f"UNION ALL SELECT 1, c.{claim_promotion}, {counted} FROM {claim} c "
        f"WHERE {mine_only}c.{claim_promotion} IN ({marks}) AND c.{col(Claim, 'status')} IN ({status_marks}) "
        f"GROUP BY c.{claim_promotion}"
    )
    params: list[bool | int | str] = [True, member_id, *promotion_ids, member_id, *promotion_ids, *statuses]
    if stock_kept:
        facts.promotion_claims.update(promotions_stock_used(promotion_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, first, second, mine in cursor.fetchall():
            if kind == 0:
                facts.active_items.add((first, second))
                continue
            if not stock_kept:
                facts.promotion_claims[first] = second
            if mine:
                facts.member_claims[(member_id, first)] = int(mine)


def _day(value: dt.date) -> str:
    return _day_in(value, get_language())


@functools.lru_cache(maxsize=2048)
def _day_in(value: dt.date, language: str | None) -> str:
    """A date as a rule's message writes it, in `language` (My Products writes the same few dates
    for every product and promotion; the language is the key, as the month's name depends on it)."""
    return date_format(value, "j M Y")


def _day_forget(**kwargs: object) -> None:
    _day_in.cache_clear()  # a setting changed: formats, languages, catalogues


setting_changed.connect(_day_forget, dispatch_uid="membercenter.promotions.selectors.day")


def product_eligibility(
    *, product: RegisteredProduct, promotion: Promotion, facts: EligibilityFacts, today: dt.date | None = None
) -> Eligibility:
    """Judge every rule of SPEC §3, each with the words a member understands.

    A rule's message is written only when the rule fails: My Products judges every product
    against every open promotion, and most rules pass.
    """
    today = today or region_today(product.region)
    model = product.serial.product_model
    rules = promotion_rules(promotion)
    verdicts: list[RuleVerdict] = []

    def rule(name: str, ok: bool, message: Callable[[], str]) -> None:
        verdicts.append(RuleVerdict(name, ok, "" if ok else message()))

    rule(
        "model",
        (not rules.models and not rules.categories)
        or model.pk in rules.models
        or model.category_id in rules.categories,
        lambda: _("%(model)s is not one of the products of this promotion.") % {"model": model.name},
    )
    bought = product.purchase_date
    if bought < promotion.purchase_start:
        rule(
            "purchase_window",
            False,
            lambda: (
                _("Your invoice date %(date)s is before the promotion's start on %(start)s.")
                % {"date": _day(bought), "start": _day(promotion.purchase_start)}
            ),
        )
    elif bought > promotion.purchase_end:
        rule(
            "purchase_window",
            False,
            lambda: (
                _("Your invoice date %(date)s is after the promotion's purchase period ended on %(end)s.")
                % {"date": _day(bought), "end": _day(promotion.purchase_end)}
            ),
        )
    else:
        rule("purchase_window", True, str)
    if promotion.status != Promotion.Status.PUBLISHED or today > promotion.redeem_end:
        rule(
            "open",
            False,
            lambda: _("Redemption for this promotion closed on %(date)s.") % {"date": _day(promotion.redeem_end)},
        )
    elif today < promotion.redeem_start:
        rule("open", False, lambda: _("Redemption opens on %(date)s.") % {"date": _day(promotion.redeem_start)})
    else:
        rule("open", True, str)
    rule(
        "region",
        product.region_id in rules.regions,
        lambda: _("This promotion is not offered for products bought in %(region)s.") % {"region": product.region.name},
    )
    rule(
        "store",
        not rules.stores or product.store_id in rules.stores,
        lambda: _("%(store)s does not take part in this promotion.") % {"store": product.store.name},
    )
    rule(
        "not_redeemed",
        (product.pk, promotion.pk) not in facts.active_items,
        lambda: str(ALREADY_CLAIMED),
    )
    rule(
        "stock",
        promotion.max_redemptions is None or facts.promotion_claims[promotion.pk] < promotion.max_redemptions,
        lambda: _("All rewards of this promotion have been claimed."),
    )
    limit = promotion.per_member_limit
    rule(
        "member_limit",
        limit is None or facts.member_claims[(product.member_id, promotion.pk)] < limit,
        lambda: _("You have reached the limit of %(n)s redemptions per member for this promotion.") % {"n": limit},
    )
    return Eligibility(product=product, promotion=promotion, verdicts=verdicts)


def promotion_eligibility_for_member(*, member: User, promotion: Promotion) -> list[Eligibility]:
    """Each of the member's products judged for one promotion (the redeem table).

    With each product's invoice reading: the redeem and confirm pages show its checks.
    """
    products = list(member_products_full(member=member).select_related("invoice_scan"))
    facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[promotion.pk], stock_kept=True)
    return [product_eligibility(product=p, promotion=promotion, facts=facts) for p in products]


def visible_promotions(*, region: Region | int | None) -> list[Promotion]:
    """All Promotions: published ones of the member's region that are open or coming, by deadline.

    Only what their cards show, and the names of their eligible categories (or models) from
    one query (`eligible_names`, read by promotions/_card_head.html); `region` may be its id.
    """
    today = timezone.localdate() - dt.timedelta(days=1)  # a day of slack for time zones
    region_id = region.pk if isinstance(region, Region) else region

    def load() -> list[Promotion]:
        qs = Promotion.objects.filter(status=Promotion.Status.PUBLISHED, redeem_end__gte=today).only(*_CARD_FIELDS)
        if region_id is not None:
            qs = qs.filter(regions=region_id)
        promotions = list(qs.order_by("redeem_end", "pk"))
        promotions_names_load(promotions)  # in the active language: part of the key
        return promotions

    return promotions_kept("visible", (today, region_id, get_language()), load)


# What a promotion's card shows (promotions/_card_head.html, promotions/list.html).
_CARD_FIELDS = (
    "slug",
    "name_en",
    "name_id",
    "banner",
    "purchase_start",
    "purchase_end",
    "redeem_start",
    "redeem_end",
    "reward_en",
    "reward_id",
)


def promotions_names_load(promotions: list[Promotion]) -> None:
    """Give each promotion `eligible_names`: its eligible categories' names, or else its models'.

    In the active language and in each model's own order (categories by position, models by
    name), from one query over both link tables instead of two prefetches building objects.
    """
    if not promotions:
        return
    from membercenter.catalog.models import Category, ProductModel

    connection = connections[Promotion.objects.db]
    ids = [p.pk for p in promotions]
    marks = ", ".join(["%s"] * len(ids))
    quote = connection.ops.quote_name
    parts = []
    for kind, (name, model, columns) in enumerate(
        (
            ("eligible_categories", Category, ("position", "name_en", "name_id")),
            ("eligible_models", ProductModel, ("name", "name", "name")),
        )
    ):
        field = Promotion._meta.get_field(name)
        through = quote(field.remote_field.through._meta.db_table)  # type: ignore[union-attr]
        own, other = quote(field.m2m_column_name()), quote(field.m2m_reverse_name())  # type: ignore[union-attr]
        column = {f.name: str(f.column) for f in model._meta.concrete_fields}
        target, pk = quote(model._meta.db_table), quote(column["id"])
        sort, name_en, name_id = (quote(column[c]) for c in columns)
        sort = sort if kind == 0 else "0"
        parts.append(
            f"SELECT {kind}, l.{own}, {sort}, t.{name_en}, t.{name_id} FROM {through} l "  # noqa: S608 — names, not data
            f"JOIN {target} t ON t.{pk} = l.{other} WHERE l.{own} IN ({marks})"
        )
    found: dict[int, tuple[list[tuple], list[tuple]]] = {pk: ([], []) for pk in ids}
    with connection.cursor() as cursor:
        # Sorted by the database, as a prefetch would be (its collation, not Python's order).
        cursor.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 4", ids + ids)
        for kind, promotion_id, sort, name_en, name_id in cursor.fetchall():
            found[promotion_id][kind].append((sort, name_en, name_id))
    for promotion in promotions:
        categories, models = found[promotion.pk]
        if categories:
            names = [in_language(en, id_) for _, en, id_ in categories]
        else:
            names = [name for _, name, _ in models]
        promotion.eligible_names = names  # type: ignore[attr-defined]


# What the rules judge of a promotion, and what a My Products row shows of it (name, link).
_JUDGED_FIELDS = (
    "slug",
    "name_en",
    "name_id",
    "status",
    "purchase_start",
    "purchase_end",
    "redeem_start",
    "redeem_end",
    "max_redemptions",
    "per_member_limit",
)


def products_promotions(*, member: User, products: list[RegisteredProduct]) -> dict[int, list[Eligibility]]:
    """For My Products: each product's verdicts for the open promotions of its region.

    Three queries however many products and promotions: the promotions, their rule sets,
    and the facts (one query for one member).
    """
    region_ids = {p.region_id for p in products}
    if not region_ids:
        return {}
    since = timezone.localdate() - dt.timedelta(days=1)  # a day of slack for time zones

    def load() -> list[Promotion]:
        promotions = list(
            Promotion.objects.filter(status=Promotion.Status.PUBLISHED, regions__in=region_ids)
            # Each product's own "open" rule decides exactly.
            .filter(redeem_end__gte=since)
            .only(*_JUDGED_FIELDS)
            .distinct()
        )
        promotions_rules_load(promotions)
        return promotions

    promotions = promotions_kept("judged", (since, *sorted(region_ids)), load)
    facts = eligibility_facts(member_ids=[member.pk], promotion_ids=[p.pk for p in promotions], stock_kept=True)
    todays: dict[int, dt.date] = {}
    result: dict[int, list[Eligibility]] = {}
    for product in products:
        if product.region_id not in todays:
            todays[product.region_id] = region_today(product.region)
        result[product.pk] = [
            product_eligibility(product=product, promotion=promo, facts=facts, today=todays[product.region_id])
            for promo in promotions
            if product.region_id in promotion_rules(promo).regions
        ]
    return result


def products_offers(*, member: User, products: list[RegisteredProduct]) -> dict[int, list[dict[str, object]]]:
    """My Products: each product's open promotions as its row shows them, in the active language.

    Each is `name`, `ok`, `url` (the redeem page, when eligible) and `reasons` (why not: the
    failed rules' messages, one after another). A promotion's name and link are made once,
    not once per product; and plain dicts are what a template reads fastest.
    """
    from django.urls import reverse

    judged = products_promotions(member=member, products=products)
    shown: dict[int, tuple[str, str]] = {}
    result: dict[int, list[dict[str, object]]] = {}
    for product_id, verdicts in judged.items():
        lines: list[dict[str, object]] = []
        for e in verdicts:
            promotion = e.promotion
            if promotion.pk not in shown:
                shown[promotion.pk] = (promotion.name, reverse("promotions:redeem", args=[promotion.slug]))
            name, url = shown[promotion.pk]
            ok = e.ok
            reasons = "" if ok else " ".join(v.message for v in e.verdicts if not v.ok)
            lines.append({"name": name, "ok": ok, "url": url if ok else "", "reasons": reasons})
        result[product_id] = lines
    return result
