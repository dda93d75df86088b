"""Demo rewards (idempotent): a digital code with a pool of codes, and a gift with stock.

Loaded before the demo claims, so that approving them gives real grants and the claim
whose reward was sent shows a real code in Redeem History.
"""

from __future__ import annotations

import random
import string

from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward
from membercenter.rewards.pools import codes_import, pool_for

DEMO_CODE_COUNT = 50
# Letters and digits that cannot be mistaken for one another when read off a screen.
_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")


def demo_codes(count: int = DEMO_CODE_COUNT) -> list[str]:
    """The same codes on every run ("DEMO-XXXX-XXXX"), so loading again adds none."""
    rng = random.Random(7)
    codes: list[str] = []
    while len(codes) < count:
        code = "DEMO-" + "-".join("".join(rng.choices(_ALPHABET, k=4)) for _ in range(2))
        if code not in codes:
            codes.append(code)
    return codes


def _default_reward(promotion: Promotion, **fields: object) -> Reward:
    """The promotion's default row of the tier table (no model, no category)."""
    reward, _created = Reward.objects.update_or_create(
        promotion=promotion, product_model=None, category=None, defaults=fields
    )
    return reward


def demo_rewards_load(*, promos: dict[str, Promotion]) -> None:
    code = _default_reward(
        promos["running"],
        kind=Reward.Kind.DIGITAL_CODE,
        name_en="Digital Code IDR 500.000",
        name_id="Kode Digital IDR 500.000",
        value=500000,
        currency="IDR",
    )
    # Codes already in the pool are reported as duplicates and not loaded again.
    codes_import(pool=pool_for(code), csv_text="\n".join(demo_codes()), actor=None, source="demo")
    _default_reward(
        promos["ended"],
        kind=Reward.Kind.GIFT,
        name_en="Gaming mouse pad",
        name_id="Mouse pad gaming",
        stock=100,
    )
