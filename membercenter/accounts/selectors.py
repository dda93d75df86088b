from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection

from membercenter.accounts.models import MemberSession, User
from membercenter.catalog.models import Region
from membercenter.lib.compiled import CompiledQuery
from membercenter.lib.i18n import in_language
from membercenter.notifications.selectors import inbox_messages
from membercenter.products.models import RegisteredProduct

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def default_region() -> Region | None:
    """The region a new visitor most likely lives in (the brand's home market)."""
    return Region.objects.filter(code=settings.DEFAULT_REGION_CODE, is_active=True).first()


def session_store(session_key: str) -> SessionBase:
    """The session through the configured engine (database now, Redis in production)."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def session_is_live(session_key: str) -> bool:
    """True while the session exists and has not expired (a logged-in session always holds data).

    One look-up per session, through the engine: a member has a handful of sessions.
    """
    return bool(session_store(session_key).load())


def member_sessions(*, user: User) -> list[MemberSession]:
    # A row outlives a session that expired or was cleared away; only live ones mean a device.
    rows = MemberSession.objects.filter(user=user).order_by("-last_activity")
    return [row for row in rows if session_is_live(row.session_key)]


def overview_context(*, user: User) -> dict[str, object]:
    """Account Overview: its figures in one query, the latest products and messages in one each.

    Only what the page shows is read (values, not model instances), by queries compiled once
    (membercenter/lib/compiled.py): the overview is the page a member lands on after logging
    in, and the most frequent one.
    """
    figures = overview_figures(user=user)
    products = [{"name": name, "sn": sn} for name, sn in _LATEST_PRODUCTS.rows(user=user.pk)]
    messages = [dict(zip(_MESSAGE_COLUMNS, row, strict=True)) for row in _LATEST_MESSAGES.rows(user=user.pk)]
    return {
        "product_count": figures.products,
        "latest_products": products,
        "support_count": figures.support,
        "claim_counts": figures.claims,
        "latest_messages": messages,
        "unread_count": figures.unread,
        "region_name": figures.region,
    }


_LATEST_PRODUCTS = CompiledQuery(
    "overview-products",
    lambda user: (
        RegisteredProduct.objects.filter(member=user)
        .order_by("-registered_at")
        .values_list("serial__product_model__name", "serial__sn")[:5]
    ),
)
_MESSAGE_COLUMNS = ("pk", "subject", "read_at", "created_at")
_LATEST_MESSAGES = CompiledQuery(
    "overview-messages", lambda user: inbox_messages(user=user).values_list(*_MESSAGE_COLUMNS)[:5]
)


@dataclass(frozen=True)
class OverviewFigures:
    products: int
    support: int
    unread: int
    claims: list[tuple[StrOrPromise, int]]  # (status label, count) in pipeline order, statuses with claims only
    region: str  # the member's region in the active language ("" without one)


def overview_figures(*, user: User) -> OverviewFigures:
    """The member's counts (products, support requests, unread messages, claims by status) and
    region name, from one query: a UNION ALL of (kind, label, n) rows, each part on an index
    by member. It replaces five queries (and the region's look-up from the template)."""
    with connection.cursor() as cursor:
        cursor.execute(_overview_sql(connection.vendor), [user.pk] * 4 + [user.region_id] * 2)
        rows = cursor.fetchall()
    counts = {"products": 0, "support": 0, "unread": 0}
    claims: dict[str, int] = {}
    names = {"name_en": "", "name_id": ""}
    for kind, label, n in rows:
        if kind == "claims":
            claims[label] = n
        elif kind.startswith("name_"):
            names[kind] = label
        else:
            counts[kind] = n
    from membercenter.claims.models import Claim

    return OverviewFigures(
        products=counts["products"],
        support=counts["support"],
        unread=counts["unread"],
        claims=[(label, claims[value]) for value, label in Claim.Status.choices if claims.get(value)],
        region=in_language(names["name_en"], names["name_id"]) if user.region_id else "",
    )


# (kind, label, n) rows; names in braces are the models' tables and columns, quoted.
_OVERVIEW_SQL = """
SELECT 'products', '', COUNT(*) FROM {products} WHERE {products_member} = %s
UNION ALL SELECT 'support', '', COUNT(*) FROM {support} WHERE {support_member} = %s
UNION ALL SELECT 'unread', '', COUNT(*) FROM {inbox} WHERE {inbox_user} = %s AND {inbox_read_at} IS NULL
UNION ALL SELECT 'claims', {claims_status}, COUNT(*) FROM {claims} WHERE {claims_member} = %s GROUP BY {claims_status}
UNION ALL SELECT 'name_en', {region_name_en}, 0 FROM {region} WHERE {region_id} = %s
UNION ALL SELECT 'name_id', {region_name_id}, 0 FROM {region} WHERE {region_id} = %s
"""


@functools.cache
def _overview_sql(vendor: str) -> str:
    """The figures' SQL with the models' table and column names (made once per process)."""
    from membercenter.claims.models import Claim
    from membercenter.notifications.models import InboxMessage
    from membercenter.products.models import RegisteredProduct
    from membercenter.support.models import SupportRequest

    quote = connection.ops.quote_name
    names = {}
    for key, model in (
        ("products", RegisteredProduct),
        ("support", SupportRequest),
        ("inbox", InboxMessage),
        ("claims", Claim),
        ("region", Region),
    ):
        names[key] = quote(model._meta.db_table)
        for field in model._meta.concrete_fields:
            if field.name in ("member", "user", "read_at", "status", "name_en", "name_id", "id"):
                names[f"{key}_{field.name}"] = quote(str(field.column))
    return _OVERVIEW_SQL.format(**names)
