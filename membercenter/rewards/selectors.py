"""Reads of rewards for member pages: a member's own grant, the reward each product earns."""

from __future__ import annotations

from collections.abc import Iterable

from membercenter.accounts.models import User
from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.services import reward_for


def member_grant(*, member: User, pk: int) -> RewardGrant | None:
    """A grant of one of the member's own claims (None for anyone else's: the view answers 404)."""
    return (
        RewardGrant.objects.filter(pk=pk, item__claim__member=member)
        .select_related("item__claim", "code", "reward")
        .first()
    )


def products_rewards(*, promotion: Promotion, products: Iterable[RegisteredProduct]) -> dict[int, Reward | None]:
    """Which reward each product earns in the promotion: its tier table is read once for all of them.

    The products need `serial__product_model` loaded (the eligibility selector does).
    """
    rewards = list(Reward.objects.filter(promotion=promotion))
    result: dict[int, Reward | None] = {}
    for product in products:
        model = product.serial.product_model
        result[product.pk] = reward_for(product_model_id=model.pk, category_id=model.category_id, rewards=rewards)
    return result
