from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django.db.models import F

from membercenter.accounts.models import MemberSession, User
from membercenter.catalog.models import Region
from membercenter.lib.i18n import localized
from membercenter.notifications.selectors import inbox_messages

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

    Only what the page shows is read (values, not model instances): the overview is the
    page a member lands on after logging in, and the most frequent one.
    """
    figures = overview_figures(user=user)
    products = user.products.order_by("-registered_at").values(
        name=F("serial__product_model__name"), sn=F("serial__sn")
    )[:5]
    messages = inbox_messages(user=user).values("pk", "subject", "read_at", "created_at")[:5]
    return {
        "product_count": figures.products,
        "latest_products": list(products),
        "support_count": figures.support,
        "claim_counts": figures.claims,
        "latest_messages": list(messages),
        "unread_count": figures.unread,
        "region_name": figures.region,
    }


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
    names = SimpleNamespace(name_en="", name_id="")
    for kind, label, n in rows:
        if kind == "claims":
            claims[label] = n
        elif kind.startswith("name_"):
            setattr(names, kind, label)
        else:
            counts[kind] = n
    from membercenter.claims.models import Claim

    return OverviewFigures(
        products=counts["products"],
        support=counts["support"],
        unread=counts["unread"],
        claims=[(label, claims[value]) for value, label in Claim.Status.choices if claims.get(value)],
        region=localized(names, "name") if user.region_id else "",
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
