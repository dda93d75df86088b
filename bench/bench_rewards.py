"""Benchmark code allocation against a plain UPDATE of the same grant rows (the floor).

    .venv/bin/python bench/bench_rewards.py [--claims 100000] [--batch-size 500]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_rewards]

Sets up that many approved claims, each product with a waiting, due reward grant, and
as many encrypted codes in the reward's pool (bulk inserts: how the claims were
reviewed does not matter here). Then it times `rewards_allocate()`, puts the grants
back to waiting, and times the floor: the same (grant, code) pairs written by a plain
`UPDATE … SET code_id, status, allocated_at WHERE id` through executemany, in the same
batches and transactions. Without --database-url it runs on a fresh SQLite file in a
temporary folder; a PostgreSQL database is created when missing, and the benchmark's
rows are removed before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import _database, _django_setup  # noqa: E402 — the same temporary database and setup

BENCH = "bench-rewards"
SN_PREFIX = "BRW"


def main() -> None:
    args = _parse_args()
    with _database(args.database_url) as database_url:
        os.environ["DATABASE_URL"] = database_url
        _django_setup()
        from django.core.management import call_command
        from django.db import connections

        from membercenter.rewards.services import ALLOCATE_BATCH

        args.batch_size = args.batch_size or ALLOCATE_BATCH
        call_command("migrate", verbosity=0, interactive=False)
        _refuse_a_real_database()
        reward = _reward()
        _empty_bench(reward)
        print(f"Creating {args.claims:,} approved claims with waiting grants and {args.claims:,} codes …", flush=True)
        seconds, _ = _timed(lambda: _approved_claims(reward, args.claims))
        print(f"  claims and grants: {seconds:.1f} s", flush=True)
        seconds, _ = _timed(lambda: _codes(reward, args.claims))
        print(f"  codes (encrypted): {seconds:.1f} s", flush=True)
        results = _run(reward, args.claims, args.batch_size)
        _empty_bench(reward)
        connections.close_all()
    _print_table(results, args.claims, args.batch_size)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000, help="approved claims, and codes in the pool")
    parser.add_argument("--batch-size", type=int, default=0, help="grants per transaction; default: the job's")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: a temporary SQLite file")
    return parser.parse_args()


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# --- setup -----------------------------------------------------------------------------


def _reward():
    """The benchmark's own promotion, reward and pool (made once, found again on a later run)."""
    from django.utils import timezone

    from membercenter.promotions.models import Promotion
    from membercenter.rewards.models import Reward
    from membercenter.rewards.pools import pool_for

    today = timezone.localdate()
    promotion, _ = Promotion.objects.get_or_create(
        slug=BENCH,
        defaults={
            "name_en": "Bench", "name_id": "Bench", "reward_en": "Code", "reward_id": "Kode",
            "purchase_start": today, "purchase_end": today, "redeem_start": today, "redeem_end": today,
            "reward_delivery": Promotion.Delivery.ON_APPROVAL,
        },
    )  # fmt: skip
    reward, _ = Reward.objects.get_or_create(
        promotion=promotion,
        defaults={"kind": Reward.Kind.DIGITAL_CODE, "name_en": "Bench code", "name_id": "Kode bench", "value": 500000},
    )
    pool_for(reward)
    return reward


def _approved_claims(reward, count: int) -> None:
    """One member's `count` approved claims, one product each, each with a waiting grant due now."""
    from django.db import transaction
    from django.utils import timezone

    from membercenter.accounts.models import User
    from membercenter.catalog.models import Category, ProductModel, Region, Serial, Store
    from membercenter.claims.models import Claim, ClaimItem
    from membercenter.products.models import RegisteredProduct
    from membercenter.rewards.models import RewardGrant

    region, _ = Region.objects.get_or_create(
        code="ID",
        defaults={"name_en": "Indonesia", "name_id": "Indonesia", "currency": "IDR", "time_zone": "Asia/Jakarta"},
    )
    category, _ = Category.objects.get_or_create(slug=BENCH, defaults={"name_en": "Bench", "name_id": "Bench"})
    model, _ = ProductModel.objects.get_or_create(code="BENCH-RW", defaults={"category": category, "name": "Bench"})
    store, _ = Store.objects.get_or_create(region=region, name="Bench store", city="", defaults={"channel": "retail"})
    member = User.objects.filter(email="bench-rewards@example.com").first() or User.objects.create_user(
        email="bench-rewards@example.com", first_name="Bench", region=region
    )
    now, today = timezone.now(), timezone.localdate()
    step = 10_000
    for start in range(0, count, step):
        n = min(step, count - start)
        with transaction.atomic():
            serials = Serial.objects.bulk_create(
                Serial(sn=f"{SN_PREFIX}{i:09d}", skeleton=f"{SN_PREFIX}{i:09d}", chk="123", product_model=model,
                       manufactured_on=dt.date(2024, 1, 1))
                for i in range(start, start + n)
            )  # fmt: skip
            products = RegisteredProduct.objects.bulk_create(
                RegisteredProduct(member=member, serial=s, region=region, store=store, channel="retail",
                                  purchase_date=today, invoice="invoices/bench.jpg")
                for s in serials
            )  # fmt: skip
            claims = Claim.objects.bulk_create(
                Claim(member=member, promotion=reward.promotion, region=region, status=Claim.Status.APPROVED,
                      due_on=today, decided_at=now, full_name="Bench", email=member.email, phone="0812",
                      address="Jl. Bench 1", contact_name="Bench")
                for _ in range(n)
            )  # fmt: skip
            items = ClaimItem.objects.bulk_create(
                ClaimItem(claim=c, product=p, promotion=reward.promotion) for c, p in zip(claims, products, strict=True)
            )
            RewardGrant.objects.bulk_create(RewardGrant(item=item, reward=reward, due_at=now) for item in items)


def _codes(reward, count: int) -> None:
    from django.db import transaction

    from membercenter.rewards.crypto import code_encrypt, code_fingerprint
    from membercenter.rewards.models import RewardCode

    pool = reward.pool
    step = 10_000
    for start in range(0, count, step):
        values = [f"BENCH-{i:08d}" for i in range(start, min(count, start + step))]
        with transaction.atomic():
            RewardCode.objects.bulk_create(
                RewardCode(pool=pool, ciphertext=code_encrypt(v), fingerprint=code_fingerprint(v)) for v in values
            )


# --- the runs ---------------------------------------------------------------------------


def _run(reward, count: int, batch_size: int) -> list[tuple[str, int, float]]:
    from membercenter.rewards.models import RewardGrant
    from membercenter.rewards.services import rewards_allocate

    _settle()
    results = []
    seconds, given = _timed(lambda: rewards_allocate(batch=batch_size))
    _expect(given == count, f"rewards_allocate gave {given} codes for {count} grants")
    results.append(("allocate (rewards_allocate)", count, seconds))
    seconds, again = _timed(lambda: rewards_allocate(batch=batch_size))
    _expect(again == 0, f"a second rewards_allocate gave {again} more codes")
    results.append(("run again (nothing to do)", 0, seconds))

    # The floor writes exactly the pairs the job chose, in the job's order.
    pairs = list(
        RewardGrant.objects.filter(reward=reward).order_by("due_at", "pk").values_list("code_id", "allocated_at", "pk")
    )
    _reset(reward)
    _settle()
    results.append(("floor: plain UPDATE", count, _timed(lambda: _plain_update(pairs, batch_size))[0]))
    _expect(
        not RewardGrant.objects.filter(reward=reward).exclude(status=RewardGrant.Status.ALLOCATED).exists(),
        "the floor left grants waiting",
    )
    return results


def _plain_update(pairs: list[tuple[int, dt.datetime, int]], batch_size: int) -> None:
    """The floor: the same rows, batches and transactions; no locks, no reads, no checks."""
    from django.db import connection, transaction

    sql = "UPDATE rewards_rewardgrant SET code_id = %s, status = 'allocated', allocated_at = %s WHERE id = %s"
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
        pairs = [(code, connection.ops.adapt_datetimefield_value(at), pk) for code, at, pk in pairs]
    for start in range(0, len(pairs), batch_size):
        with transaction.atomic():
            # The driver's own cursor: not even Django's thin wrapper in the way.
            cursor = connection.connection.cursor()
            cursor.executemany(sql, pairs[start : start + batch_size])
            cursor.close()


def _reset(reward) -> None:
    from membercenter.rewards.models import RewardGrant

    RewardGrant.objects.filter(reward=reward).update(status=RewardGrant.Status.WAITING, code=None, allocated_at=None)


def _settle() -> None:
    """Start each timed step from the same state: the dead rows vacuumed, the WAL emptied."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum would have done by then on a live site.
            cursor.execute("VACUUM ANALYZE rewards_rewardgrant")
            cursor.execute("VACUUM ANALYZE rewards_rewardcode")
        else:
            # No ANALYZE: the site never runs it, and statistics taken while every code_id is
            # NULL make SQLite build a throw-away index for each look-up of a free code.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _expect(ok: bool, problem: str) -> None:
    if not ok:
        sys.exit(problem)


# --- safety -----------------------------------------------------------------------------


def _refuse_a_real_database() -> None:
    """The bench writes and deletes claims and codes: never on a database that holds real ones."""
    from membercenter.claims.models import Claim
    from membercenter.rewards.models import RewardCode

    if (
        Claim.objects.exclude(promotion__slug=BENCH).exists()
        or RewardCode.objects.exclude(pool__reward__promotion__slug=BENCH).exists()
    ):
        sys.exit("This database holds claims or codes that are not the benchmark's own; use an empty database.")


def _empty_bench(reward) -> None:
    """Remove the benchmark's rows (plain DELETEs: Django's cascade collector is slow on 100,000 rows)."""
    from django.db import connection, transaction

    steps = [
        ("DELETE FROM rewards_rewardgrant WHERE reward_id = %s", reward.pk),
        ("DELETE FROM rewards_rewardcode WHERE pool_id = %s", reward.pool.pk),
        ("DELETE FROM claims_claimitem WHERE promotion_id = %s", reward.promotion_id),
        ("DELETE FROM claims_claim WHERE promotion_id = %s", reward.promotion_id),
        (
            "DELETE FROM products_registeredproduct WHERE serial_id IN "
            "(SELECT s.id FROM catalog_serial s JOIN catalog_productmodel m ON m.id = s.product_model_id "
            "WHERE m.code = %s)",
            "BENCH-RW",
        ),
        (
            "DELETE FROM catalog_serial WHERE product_model_id IN "
            "(SELECT id FROM catalog_productmodel WHERE code = %s)",
            "BENCH-RW",
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql, param in steps:
            cursor.execute(sql, [param])


def _print_table(results: list[tuple[str, int, float]], claims: int, batch_size: int) -> None:
    from django.db import connection

    print(f"\n{connection.vendor}, {claims:,} approved claims and {claims:,} codes, batches of {batch_size:,}")
    print(f"{'step':<30}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
    for label, rows, seconds in results:
        rate = f"{rows / seconds:>12,.0f}" if rows else f"{'-':>12}"
        print(f"{label:<30}{rows:>10,}{seconds:>10.2f}{rate}")
    timings = {label: seconds for label, _, seconds in results}
    ratio = timings["floor: plain UPDATE"] / timings["allocate (rewards_allocate)"]
    print(f"\ncodes allocated per second: {claims / timings['allocate (rewards_allocate)']:,.0f}")
    print(f"allocation speed / floor speed = {ratio:.0%}")


if __name__ == "__main__":
    main()
