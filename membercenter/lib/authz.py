"""The one authorisation layer: who may see or act on which object.

Every view that takes an object id, and every job that acts for a user (exports,
code reveal, file serving), asks here. Two kinds of answer:

- scoped querysets (`claims_visible_to`, `promotions_managed_by`, `owned_by` …): what a
  user may see, to filter lists and exports;
- lookups that answer 404 (`claim_for_reviewer`, `promotion_for_manager`, `owned_or_404` …)
  for an object out of scope: an outsider cannot tell "not yours" from "does not exist".

`can(user, action, obj)` is the same rules as a yes/no, for templates and checks.

Nothing is cached between requests: every answer reads the user's groups, regions and
promotions from the database as they are now, so a role or region taken away applies
to the very next request.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from membercenter.accounts.models import User
from membercenter.backoffice.roles import PERM_PROMOTIONS, PERM_REVIEW, is_administrator
from membercenter.catalog.models import Region
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Upload
from membercenter.notifications.models import InboxMessage
from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.support.models import SupportRequest

M = TypeVar("M", bound=Model)

__all__ = [
    "can",
    "claim_for_reviewer",
    "claims_visible_to",
    "grant_for_manager",
    "grants_managed_by",
    "is_administrator",
    "manages_promotions",
    "member_owns",
    "owned_by",
    "owned_or_404",
    "products_visible_to",
    "promotion_for_manager",
    "promotions_managed_by",
    "reviewer_regions",
    "reward_for_manager",
    "rewards_managed_by",
]


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


# --- a member's own objects ------------------------------------------------------------------

# The path from each member-owned model to its owner: the only way a member reaches an object.
OWNER_PATHS: dict[type[Model], str] = {
    Claim: "member",
    ClaimDocument: "item__claim__member",
    RegisteredProduct: "member",
    InboxMessage: "user",
    SupportRequest: "member",
    Upload: "owner",
    RewardGrant: "item__claim__member",
}


def owned_by(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    """The rows of `queryset` that belong to `user` (none for an anonymous or inactive user)."""
    if not _active(user):
        return queryset.none()
    return queryset.filter(**{OWNER_PATHS[queryset.model]: user})


def owned_or_404(user: Any, queryset: QuerySet[M], **lookup: Any) -> M:
    """The one object of `user`'s own matching `lookup`; 404 when there is none (or it is someone else's)."""
    obj = owned_by(user, queryset).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def member_owns(user: Any, obj: Model) -> bool:
    return owned_by(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


# --- reviewers: claims and products of their regions -----------------------------------------


def reviewer_regions(user: Any) -> QuerySet[Region] | None:
    """The regions whose claims and products `user` may see as staff; None means all of them."""
    if not _active(user) or not user.has_perm(PERM_REVIEW):
        return Region.objects.none()
    if is_administrator(user):
        return None
    return user.review_regions.all()


def claims_visible_to(user: Any) -> QuerySet[Claim]:
    """The claims `user` may review: those of their regions; administrators see all."""
    regions = reviewer_regions(user)
    if regions is None:
        return Claim.objects.all()
    # A subquery, not a list: no extra query, however many regions.
    return Claim.objects.filter(region__in=regions.values("pk"))


def claim_for_reviewer(user: Any, pk: int, *, queryset: QuerySet[Claim] | None = None) -> Claim:
    """The claim if `user` may review it, else 404."""
    qs = queryset if queryset is not None else Claim.objects.all()
    claim = qs.filter(pk=pk).filter(pk__in=claims_visible_to(user).values("pk")).first()
    if claim is None:
        raise Http404
    return claim


def products_visible_to(user: Any, queryset: QuerySet[RegisteredProduct] | None = None) -> QuerySet[RegisteredProduct]:
    """A member's own products, and for a reviewer those of their regions (administrators: all)."""
    qs = queryset if queryset is not None else RegisteredProduct.objects.all()
    if not _active(user):
        return qs.none()
    regions = reviewer_regions(user)
    if regions is None:
        return qs
    return qs.filter(Q(member=user) | Q(region__in=regions.values("pk")))


# --- promotion managers: their own promotions ------------------------------------------------


def manages_promotions(user: Any) -> bool:
    return _active(user) and user.has_perm(PERM_PROMOTIONS)


def promotions_managed_by(user: Any) -> QuerySet[Promotion]:
    """The promotions `user` manages: those they are a manager of; administrators manage all."""
    if not manages_promotions(user):
        return Promotion.objects.none()
    if is_administrator(user):
        return Promotion.objects.all()
    return Promotion.objects.filter(pk__in=user.managed_promotions.values("pk"))


def promotion_for_manager(user: Any, pk: int, *, queryset: QuerySet[Promotion] | None = None) -> Promotion:
    qs = queryset if queryset is not None else Promotion.objects.all()
    promotion = qs.filter(pk=pk, pk__in=promotions_managed_by(user).values("pk")).first()
    if promotion is None:
        raise Http404
    return promotion


def rewards_managed_by(user: Any) -> QuerySet[Reward]:
    return Reward.objects.filter(promotion__in=promotions_managed_by(user).values("pk"))


def reward_for_manager(user: Any, pk: int, *, queryset: QuerySet[Reward] | None = None) -> Reward:
    qs = queryset if queryset is not None else Reward.objects.all()
    reward = qs.filter(pk=pk, promotion__in=promotions_managed_by(user).values("pk")).first()
    if reward is None:
        raise Http404
    return reward


def grants_of_promotions(qs: QuerySet[RewardGrant], promotions: QuerySet[Promotion]) -> QuerySet[RewardGrant]:
    """The grants of `qs` whose reward belongs to one of `promotions` (a subquery: no extra query).

    The one rule for "a grant of these promotions": the grant pages below and the rewards
    services' lists, counts, courier file and tracking import (rewards.shipments.in_scope).
    """
    return qs.filter(reward__promotion__in=promotions.values("pk"))


def grants_managed_by(user: Any, queryset: QuerySet[RewardGrant] | None = None) -> QuerySet[RewardGrant]:
    """Reward grants (codes and gifts) of the claims of the promotions `user` manages."""
    qs = queryset if queryset is not None else RewardGrant.objects.all()
    return grants_of_promotions(qs, promotions_managed_by(user))


def grant_for_manager(user: Any, pk: int, *, queryset: QuerySet[RewardGrant] | None = None) -> RewardGrant:
    grant = grants_managed_by(user, queryset).filter(pk=pk).first()
    if grant is None:
        raise Http404
    return grant


# --- the same rules as a yes/no -------------------------------------------------------------

_SCOPES = {
    "claim.review": lambda user, obj: claims_visible_to(user),
    "product.view": lambda user, obj: products_visible_to(user),
    "promotion.manage": lambda user, obj: promotions_managed_by(user),
    "reward.manage": lambda user, obj: rewards_managed_by(user),
    "grant.manage": lambda user, obj: grants_managed_by(user),
    "own": lambda user, obj: owned_by(user, type(obj)._default_manager.all()),
}


def can(user: User | Any, action: str, obj: Model) -> bool:
    """Whether `user` may do `action` ("claim.review", "promotion.manage", "own" …) to `obj`."""
    try:
        scope = _SCOPES[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    return scope(user, obj).filter(pk=obj.pk).exists()


def promotion_scope(user: Any) -> QuerySet[Promotion] | None:
    """The promotions scope the rewards services take for `user`: None (every promotion) for an administrator."""
    return None if is_administrator(user) else promotions_managed_by(user)
