"""Who may open which back-office page (the per-object rules are in membercenter.lib.authz).

Pages a user may not use answer 404, not 403: a reviewer of one region learns
nothing about the claims, or even the claim numbers, of another.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from membercenter.accounts.models import User
from membercenter.backoffice.roles import is_administrator
from membercenter.lib.authz import claim_for_reviewer, claims_visible_to, promotions_managed_by, reviewer_regions
from membercenter.promotions.models import Promotion

# The scoping rules live in membercenter.lib.authz; these names stay for the code that imports them here.
claims_for_reviewer = claims_visible_to
__all__ = [
    "claim_for_reviewer",
    "claims_for_reviewer",
    "has_any_perm",
    "promotion_scope",
    "reviewer_regions",
    "staff_required",
]

View = Callable[..., HttpResponseBase]


def has_any_perm(user: User, perms: str | tuple[str, ...]) -> bool:
    perms = (perms,) if isinstance(perms, str) else perms
    return any(user.has_perm(p) for p in perms)


def staff_required(perm: str | tuple[str, ...]) -> Callable[[View], View]:
    """Anonymous → the login page; logged in without `perm` (or any of a tuple) → 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_perm(request.user, perm):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def promotion_scope(user: User) -> QuerySet[Promotion] | None:
    """The `promotions=` scope the rewards services take for `user`: None (every promotion) for an
    administrator, else the promotions they manage (none at all for a user who manages none)."""
    return None if is_administrator(user) else promotions_managed_by(user)
