"""Who may open which back-office page, and which claims a reviewer may see.

Pages a user may not use answer 404, not 403: a reviewer of one region learns
nothing about the claims, or even the claim numbers, of another.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from membercenter.accounts.models import User
from membercenter.backoffice.roles import PERM_REVIEW, is_administrator
from membercenter.catalog.models import Region
from membercenter.claims.models import Claim

View = Callable[..., HttpResponse]


def has_any_perm(user: User, perms: str | tuple[str, ...]) -> bool:
    perms = (perms,) if isinstance(perms, str) else perms
    return any(user.has_perm(p) for p in perms)


def staff_required(perm: str | tuple[str, ...]) -> Callable[[View], View]:
    """Anonymous → the login page; logged in without `perm` (or any of a tuple) → 404."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_perm(request.user, perm):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def reviewer_regions(user: User) -> QuerySet[Region] | None:
    """The regions whose claims and products `user` may see as staff; None means all of them."""
    if not user.is_authenticated or not user.has_perm(PERM_REVIEW):
        return Region.objects.none()
    if is_administrator(user):
        return None
    return user.review_regions.all()


def claims_for_reviewer(user: User) -> QuerySet[Claim]:
    """The claims `user` may review: those of their regions; administrators see all."""
    regions = reviewer_regions(user)
    if regions is None:
        return Claim.objects.all()
    # A subquery, not a list: no extra query, however many regions.
    return Claim.objects.filter(region__in=regions.values("pk"))


def claim_for_reviewer(user: User, pk: int, *, queryset: QuerySet[Claim] | None = None) -> Claim:
    """The claim if `user` may review it, else 404."""
    qs = queryset if queryset is not None else Claim.objects.all()
    claim = qs.filter(pk=pk).filter(pk__in=claims_for_reviewer(user).values("pk")).first()
    if claim is None:
        raise Http404
    return claim
