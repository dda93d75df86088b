"""Reads of rewards for member pages: a member's own grant, the reward each product earns."""

from __future__ import annotations

from collections.abc import Iterable

from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward
from membercenter.rewards.services import reward_for


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
