from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count

from membercenter.accounts.models import MemberSession, User
from membercenter.catalog.models import Region
from membercenter.notifications.selectors import inbox_messages, inbox_unread_count


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
    products = list(user.products.select_related("serial__product_model__category").order_by("-registered_at")[:5])
    return {
        "product_count": user.products.count(),
        "latest_products": products,
        "support_count": user.support_requests.count(),
        "claim_counts": claim_status_counts(user=user),
        "latest_messages": list(inbox_messages(user=user)[:5]),
        "unread_count": inbox_unread_count(user=user),
    }


def claim_status_counts(*, user: User) -> list[tuple[str, int]]:
    """(status label, count) of the member's claims, in pipeline order, in one query."""
    from membercenter.claims.models import Claim

    counts = dict(user.claims.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return [(label, counts[value]) for value, label in Claim.Status.choices if counts.get(value)]
