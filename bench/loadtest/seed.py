"""Seed the load test's database fast, and write the plan the locustfile follows.

    DJANGO_SETTINGS_MODULE=membercenter.settings python bench/loadtest/seed.py PLAN.json CACHE_DIR [--members N] …

Runs in the environment of the stack under test (the runner passes it), on a freshly migrated
database. The catalog, roles, reason templates, the demo promotions and their rewards come
from the project's demo loaders; a promotion of our own with a pool of codes through the
rewards services. Volume (members, their products, claims in every status, inbox messages,
the registry's serials) is written with bulk inserts, with the same fields the services
write: a claim's items, documents, events, rewards grants and the member's messages. The
claims waiting for review are judged by `claim_checks_refresh`, as after a real submit.

The members the locustfile logs in ("active") each get products to redeem during the test
(with a sticker photo per product) and serials to register (with the invoice of their
model and store).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PASSWORD = "loadtest-pass-2024"  # noqa: S105 — accounts of a throw-away database on loopback
PROMOTION_SLUG = "work-smarter-rewards"
EMAIL_DOMAIN = "loadtest.example"
FIRST = ("Budi", "Siti", "Andi", "Dewi", "Rizky", "Agus", "Rina", "Dedi", "Yuni", "Fajar", "Sari", "Joko", "Putri")
LAST = ("Santoso", "Rahmawati", "Wijaya", "Lestari", "Pratama", "Setiawan", "Hartono", "Rahayu", "Nugroho", "Kusuma")
CITIES = (("Jakarta", "DKI Jakarta", "10110"), ("Bandung", "Jawa Barat", "40111"), ("Surabaya", "Jawa Timur", "60111"))
# Background members' claims: (status, share). Submitted ones wait in the reviewers' queue.
STATUS_MIX = (
    ("submitted", 0.35),
    ("approved", 0.2),
    ("reward_sent", 0.1),
    ("sent_back", 0.1),
    ("rejected", 0.1),
    ("withdrawn", 0.15),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("plan", type=Path)
    parser.add_argument("cache", type=Path)
    parser.add_argument("--members", type=int, default=2000, help="members in all (active ones included)")
    parser.add_argument("--active", type=int, default=48, help="members the load test logs in")
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--redeemable", type=int, default=4, help="products each active member can redeem")
    parser.add_argument("--to-register", type=int, default=2, help="serials each active member can register")
    parser.add_argument("--registry", type=int, default=40_000, help="extra serials in the factory registry")
    parser.add_argument("--checks", type=int, default=300, help="waiting claims judged by the checks, queue order")
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercenter.settings")
    django.setup()
    started = time.monotonic()
    plan = Seeder(args).run()
    args.plan.write_text(json.dumps(plan, indent=1))
    print(f"seeded in {time.monotonic() - started:.1f} s: {json.dumps(plan['counts'])}", flush=True)


class Seeder:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(20260131)
        self.timings: dict[str, float] = {}
        self._mark = time.monotonic()

    def _step(self, name: str) -> None:
        now = time.monotonic()
        self.timings[name] = round(now - self._mark, 2)
        self._mark = now
        print(f"  seed: {name} {self.timings[name]:.1f} s", flush=True)

    def run(self) -> dict:
        from assets import Assets
        from django.db import connections

        self._reference_data()
        self._step("catalog, roles, promotions, codes")
        self._plan_serials()
        models = {m.code: m.name for m in self.models.values()}
        cities = {s.name: s.city for s in self.stores.values()}
        connections.close_all()  # the picture makers are forked: they must not share this connection
        self.assets = Assets(self.args.cache)
        made = self.assets.prepare(models=models, cities=cities, stickers=self.sticker_jobs)
        self._step(f"pictures ({made} made, the rest from the cache)")
        self._media()
        self._serials()
        self._step("serial registry")
        self._members()
        self._reviewers()
        self._products()
        self._step("members, reviewers and products")
        self._claims()
        self._step("claims, documents, events, grants, messages")
        self._checks()
        self._step("automatic checks of the waiting claims")
        return self._plan()

    # --- reference data through the project's loaders and services -------------------------

    def _reference_data(self) -> None:
        from django.utils import timezone

        from membercenter.backoffice.roles import roles_ensure
        from membercenter.catalog.demo import demo_catalog_load
        from membercenter.catalog.models import Category, ProductModel, Region, Store
        from membercenter.claims.demo import demo_promotions_load, demo_support_load
        from membercenter.promotions.models import Promotion
        from membercenter.rewards.demo import demo_rewards_load
        from membercenter.rewards.models import Reward
        from membercenter.rewards.pools import codes_import, pool_for

        demo_catalog_load()
        roles_ensure()
        demo_support_load()
        demo_rewards_load(promos=demo_promotions_load())
        today = timezone.localdate()
        self.region = Region.objects.get(code="ID")
        promotion, _created = Promotion.objects.update_or_create(
            slug=PROMOTION_SLUG,
            defaults={
                "name_en": "Work Smarter Rewards", "name_id": "Hadiah Kerja Lebih Cerdas",
                "description_en": "A digital voucher for every laptop, desktop or all-in-one bought since June 2025.",
                "description_id": "Voucher digital untuk setiap laptop, desktop, atau all-in-one yang dibeli sejak "
                "Juni 2025.",
                "purchase_start": dt.date(2025, 6, 1), "purchase_end": today + dt.timedelta(days=30),
                "redeem_start": today - dt.timedelta(days=120), "redeem_end": today + dt.timedelta(days=60),
                "reward_en": "Digital Code IDR 300.000", "reward_id": "Kode Digital IDR 300.000",
                "max_redemptions": 50_000, "per_member_limit": 12, "status": Promotion.Status.PUBLISHED,
            },
        )  # fmt: skip
        promotion.regions.set(Region.objects.filter(code__in=["ID", "MY"]))
        promotion.eligible_categories.set(Category.objects.filter(slug__in=["laptop", "desktop", "aio"]))
        reward, _created = Reward.objects.update_or_create(
            promotion=promotion,
            product_model=None,
            category=None,
            defaults={
                "kind": Reward.Kind.DIGITAL_CODE,
                "name_en": "Digital Code IDR 300.000",
                "name_id": "Kode Digital IDR 300.000",
                "value": 300_000,
                "currency": "IDR",
            },
        )
        codes = "\n".join(f"WSR-{self.rng.randrange(16**10):010X}-{i:05d}" for i in range(5000))
        codes_import(pool=pool_for(reward), csv_text=codes, actor=None, source="loadtest")
        self.promotion, self.reward = promotion, reward
        self.models = {m.code: m for m in ProductModel.objects.select_related("category")}
        self.stores = {s.name: s for s in Store.objects.filter(region=self.region)}

    # --- serials, and the pictures they need -------------------------------------------------

    def _sn(self, kind: str, n: int) -> str:
        return f"LT{kind}{n:09d}"

    def _plan_serials(self) -> None:
        """Which serial each product is: seeded products, products to redeem, serials to register."""
        from assets import INVOICE_COMBOS

        a = self.args
        self.combos = INVOICE_COMBOS
        self.serial_rows: list[tuple[str, str, str, dt.date]] = []  # sn, chk, model code, manufactured

        def serial(kind: str, n: int, combo: int) -> str:
            model, _store, day = self.combos[combo]
            sn = self._sn(kind, n)
            chk = f"{self.rng.randrange(1000):03d}"
            self.serial_rows.append((sn, chk, model, day - dt.timedelta(days=self.rng.randrange(20, 200))))
            return sn

        # Seeded products: 2–4 per member; the active members' first ones are theirs too.
        self.products_of: list[list[tuple[str, int]]] = []
        n = 0
        for _member in range(a.members):
            owned = []
            for _ in range(self.rng.choice((2, 3, 3, 4))):
                combo = self.rng.randrange(len(self.combos))
                owned.append((serial("P", n, combo), combo))
                n += 1
            self.products_of.append(owned)
        # Active members: products to redeem (unclaimed) and serials to register.
        self.redeemable_of: list[list[tuple[str, int]]] = []
        self.register_of: list[list[tuple[str, int]]] = []
        r = g = 0
        for _member in range(a.active):
            redeem, register = [], []
            for _ in range(a.redeemable):
                combo = self.rng.randrange(len(self.combos))
                redeem.append((serial("R", r, combo), combo))
                r += 1
            for _ in range(a.to_register):
                combo = self.rng.randrange(len(self.combos))
                register.append((serial("G", g, combo), combo))
                g += 1
            self.redeemable_of.append(redeem)
            self.register_of.append(register)
        chk_of = {sn: (chk, model) for sn, chk, model, _made in self.serial_rows}
        self.chk_of = chk_of
        self.sticker_jobs = [(sn, *chk_of[sn]) for redeem in self.redeemable_of for sn, _combo in redeem]
        # The registry holds many more serials than members ever register.
        for i in range(a.registry):
            model = self.rng.choice(list(self.models))
            made = dt.date(2024, 1, 1) + dt.timedelta(days=self.rng.randrange(700))
            self.serial_rows.append((self._sn("X", i), f"{self.rng.randrange(1000):03d}", model, made))

    def _media(self) -> None:
        """The cleaned pictures the seeded rows point at, in MEDIA_ROOT."""
        from assets import STICKER_TEMPLATES
        from django.conf import settings

        media = Path(settings.MEDIA_ROOT)
        (media / "invoices" / "loadtest").mkdir(parents=True, exist_ok=True)
        (media / "claims" / "loadtest").mkdir(parents=True, exist_ok=True)
        self.invoice_readings, self.invoice_names = [], []
        for i in range(len(self.combos)):
            reading = self.assets.invoice_reading(i)
            name = f"invoices/loadtest/{reading.clean.name}"
            shutil.copyfile(reading.clean, media / name)
            self.invoice_readings.append(reading)
            self.invoice_names.append(name)
        self.sticker_templates = []
        for sn, _chk, _code in STICKER_TEMPLATES:
            reading = self.assets.sticker_reading(sn)
            name = f"claims/loadtest/{reading.clean.name}"
            shutil.copyfile(reading.clean, media / name)
            self.sticker_templates.append((sn, reading, name))

    def _serials(self) -> None:
        from membercenter.catalog.models import Serial
        from membercenter.catalog.serials import sn_skeleton

        rows = [
            Serial(sn=sn, skeleton=sn_skeleton(sn), chk=chk, product_model=self.models[code], manufactured_on=made)
            for sn, chk, code, made in self.serial_rows
        ]
        Serial.objects.bulk_create(rows, batch_size=5000)
        wanted = {sn for sn, *_rest in self.serial_rows if not sn.startswith("LTX")}
        self.serial_ids = dict(Serial.objects.filter(sn__in=wanted).values_list("sn", "pk"))

    # --- members and their products -----------------------------------------------------------

    def _members(self) -> None:
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        from membercenter.accounts.models import User

        now = timezone.now()
        password = make_password(PASSWORD)
        users = []
        for i in range(self.args.members):
            joined = now - dt.timedelta(days=self.rng.randrange(30, 400), minutes=self.rng.randrange(1440))
            users.append(
                User(
                    email=f"member{i:05d}@{EMAIL_DOMAIN}",
                    password=password,
                    first_name=self.rng.choice(FIRST),
                    last_name=self.rng.choice(LAST),
                    region=self.region,
                    phone=f"08{self.rng.randrange(10**9, 10**10)}",
                    language="en" if i % 4 == 0 else "id",
                    email_verified_at=joined + dt.timedelta(minutes=5),
                    privacy_accepted_at=joined,
                    reward_terms_accepted_at=joined,
                    date_joined=joined,
                )
            )
        User.objects.bulk_create(users, batch_size=2000)
        self.members = list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email"))
        self.password_hash = password

    def _scan(self, owner_id: int, kind: str, reading: object, file: str, boxes: list | None = None) -> object:
        from membercenter.evidence.images import phash_bands
        from membercenter.evidence.models import Scan

        # A picture of its own per purchase: its own perceptual hash and invoice number, so that the
        # fraud signals (same picture or number on another account) see what real data shows.
        phash = f"{self.rng.getrandbits(64):016x}"
        bands = phash_bands(phash)
        key = f"LT{self.rng.getrandbits(40):010X}" if kind == Scan.Kind.INVOICE else ""
        return Scan(
            owner_id=owner_id, kind=kind, file=file, width=reading.width, height=reading.height,  # type: ignore[attr-defined]
            phash=phash, **{f"phash_{i}": band for i, band in enumerate(bands)},
            state=Scan.State.DONE, boxes=boxes if boxes is not None else reading.boxes,  # type: ignore[attr-defined]
            invoice_number_key=key, seconds=1.2, read_at=self.now,
        )  # fmt: skip

    def _products(self) -> None:
        from django.utils import timezone

        from membercenter.evidence.models import Scan
        from membercenter.products.models import RegisteredProduct, RegistrationRecord

        self.now = timezone.now()
        wanted: list[tuple[int, str, int]] = []  # member index, sn, combo
        for i, owned in enumerate(self.products_of):
            wanted += [(i, sn, combo) for sn, combo in owned]
        for i, redeem in enumerate(self.redeemable_of):
            wanted += [(i, sn, combo) for sn, combo in redeem]
        scans = [
            self._scan(self.members[i].pk, Scan.Kind.INVOICE, self.invoice_readings[combo], self.invoice_names[combo])
            for i, _sn, combo in wanted
        ]
        Scan.objects.bulk_create(scans, batch_size=2000)
        products, records = [], []
        for (i, sn, combo), scan in zip(wanted, scans, strict=True):
            _model, store_name, bought = self.combos[combo]
            store = self.stores[store_name]
            registered = timezone.make_aware(dt.datetime.combine(bought, dt.time(12))) + dt.timedelta(
                days=self.rng.randrange(1, 20), minutes=self.rng.randrange(600)
            )
            registered = min(registered, self.now - dt.timedelta(days=1))
            member = self.members[i]
            products.append(
                RegisteredProduct(
                    member=member, serial_id=self.serial_ids[sn], region=self.region, store=store,
                    channel=store.channel, purchase_date=bought, invoice=self.invoice_names[combo],
                    invoice_scan=scan, registered_at=registered,
                )
            )  # fmt: skip
            records.append(RegistrationRecord(serial_id=self.serial_ids[sn], member=member, registered_at=registered))
        RegisteredProduct.objects.bulk_create(products, batch_size=2000)
        RegistrationRecord.objects.bulk_create(records, batch_size=2000)
        by_sn = {p.serial_id: p for p in products}
        self.product_of_sn = {sn: by_sn[self.serial_ids[sn]] for _i, sn, _combo in wanted}
        self.sn_of_product = {product.pk: sn for sn, product in self.product_of_sn.items()}

    # --- claims in every status, with what the services write alongside --------------------------

    def _claims(self) -> None:
        from django.utils import timezone

        from membercenter.claims.fraud import recipient_keys
        from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem
        from membercenter.claims.services import claim_due_on
        from membercenter.evidence.models import Scan
        from membercenter.notifications.models import InboxMessage, OutboxEmail
        from membercenter.rewards.models import RewardCode, RewardGrant

        statuses = [s for s, _w in STATUS_MIX]
        weights = [w for _s, w in STATUS_MIX]
        due_cache: dict[dt.date, dt.date] = {}
        claims, claim_products, claim_events = [], [], []
        for i, owned in enumerate(self.products_of):
            member = self.members[i]
            products = [self.product_of_sn[sn] for sn, _combo in owned]
            self.rng.shuffle(products)
            city, province, postal = CITIES[i % len(CITIES)]
            address = f"Jl. Merdeka No. {i + 1}, RT {i % 13 + 1:02d}/RW {i % 7 + 1:02d}"
            phone_key, address_key = recipient_keys(member.phone, address, postal)
            taken = products[: self.rng.choice((0, 1, 1, 2, 2, 3))]
            while taken:
                size = 2 if len(taken) > 1 and self.rng.random() < 0.2 else 1
                group, taken = taken[:size], taken[size:]
                status = self.rng.choices(statuses, weights)[0]
                earliest = max(p.registered_at for p in group)
                ago = (self.now - earliest).total_seconds()
                submitted = earliest + dt.timedelta(seconds=self.rng.uniform(0.05, 0.95) * ago)
                if status == "submitted":  # waiting claims are recent: the queue is weeks, not months
                    submitted = self.now - dt.timedelta(days=self.rng.uniform(0.1, 21))
                day = timezone.localdate(submitted)
                if day not in due_cache:
                    due_cache[day] = claim_due_on(claim_region_code="ID", start=day)
                decided = None if status == "submitted" else submitted + dt.timedelta(days=self.rng.uniform(1, 6))
                reason = ""
                if status in ("sent_back", "rejected"):
                    reason = "Please provide the invoice with your product name on it, thanks."
                claims.append(
                    Claim(
                        member=member, promotion=self.promotion, region=self.region, status=status,
                        submit_token=uuid.uuid4(), submitted_at=submitted, due_on=due_cache[day],
                        decided_at=decided, reason=reason, full_name=member.get_full_name(), email=member.email,
                        phone=member.phone, address=address, city=city, province=province, postal_code=postal,
                        contact_name=member.get_full_name(), contact_phone=member.phone,
                        phone_key=phone_key, address_key=address_key,
                    )
                )  # fmt: skip
                claim_products.append(group)
        Claim.objects.bulk_create(claims, batch_size=2000)

        items, docs, scans = [], [], []
        for claim, group in zip(claims, claim_products, strict=True):
            for product in group:
                item = ClaimItem(claim=claim, product=product, promotion=self.promotion)
                item.active = claim.status in Claim.HOLDS_PRODUCTS
                items.append(item)
                template_sn, reading, file = self.sticker_templates[product.pk % len(self.sticker_templates)]
                sn = self.sn_of_product[product.pk]
                boxes = [[text.replace(template_sn, sn), *rest] for text, *rest in reading.boxes]
                scans.append(self._scan(claim.member_id, Scan.Kind.SERIAL_PHOTO, reading, file, boxes))
        ClaimItem.objects.bulk_create(items, batch_size=2000)
        Scan.objects.bulk_create(scans, batch_size=2000)
        for item, scan in zip(items, scans, strict=True):
            docs.append(
                ClaimDocument(
                    item=item, kind=ClaimDocument.Kind.SERIAL_PHOTO, file=scan.file, scan=scan, round=1,
                    uploaded_at=item.claim.submitted_at,
                )
            )  # fmt: skip
        ClaimDocument.objects.bulk_create(docs, batch_size=2000)
        item_of = {(item.claim.pk, item.product.pk): item for item in items}

        reviewer_note = {"sent_back": "claim_sent_back", "rejected": "claim_rejected", "approved": "claim_approved"}
        messages, outbox = [], []
        codes = list(RewardCode.objects.filter(pool__reward=self.reward).order_by("pk").values_list("pk", flat=True))
        grants = []
        for claim, group in zip(claims, claim_products, strict=True):
            claim_events.append(
                ClaimEvent(claim=claim, to_status="submitted", actor_id=claim.member_id, created_at=claim.submitted_at)
            )
            self._message(messages, outbox, claim, "claim_received", claim.submitted_at)
            if claim.status == "submitted":
                continue
            first = "approved" if claim.status == "reward_sent" else claim.status
            actor = claim.member_id if claim.status == "withdrawn" else self.rng.choice(self.reviewer_ids)
            claim_events.append(
                ClaimEvent(
                    claim=claim, from_status="submitted", to_status=first, actor_id=actor, note=claim.reason,
                    created_at=claim.decided_at,
                )
            )  # fmt: skip
            self._message(messages, outbox, claim, reviewer_note.get(first, "claim_withdrawn"), claim.decided_at)
            if first == "approved":
                for product in group:
                    item = item_of[(claim.pk, product.pk)]
                    grant = RewardGrant(item=item, reward=self.reward, due_at=self.now + dt.timedelta(days=60))
                    if claim.status == "reward_sent":
                        grant.status, grant.code_id = RewardGrant.Status.DELIVERED, codes.pop()
                        grant.due_at = grant.allocated_at = grant.delivered_at = claim.decided_at
                    grants.append(grant)
            if claim.status == "reward_sent":
                claim_events.append(
                    ClaimEvent(
                        claim=claim, from_status="approved", to_status="reward_sent",
                        created_at=claim.decided_at + dt.timedelta(hours=1),
                    )
                )  # fmt: skip
                self._message(messages, outbox, claim, "reward_code", claim.decided_at + dt.timedelta(hours=1))
        for i, member in enumerate(self.members):
            self._welcome(messages, outbox, member, i)
        ClaimEvent.objects.bulk_create(claim_events, batch_size=5000)
        RewardGrant.objects.bulk_create(grants, batch_size=2000)
        InboxMessage.objects.bulk_create(messages, batch_size=5000)
        OutboxEmail.objects.bulk_create(outbox, batch_size=5000)
        self.claim_count = len(claims)
        self.message_count = len(messages)

    _SUBJECTS = {
        "claim_received": "We received your redemption #{id} for Work Smarter Rewards",
        "claim_approved": "Your redemption #{id} is approved",
        "claim_sent_back": "Your redemption #{id} needs other documents",
        "claim_rejected": "Your redemption #{id} was not approved",
        "claim_withdrawn": "Your redemption #{id} is withdrawn",
        "reward_code": "Your reward code for redemption #{id}",
    }

    def _message(self, messages: list, outbox: list, claim: object, template: str, when: dt.datetime) -> None:
        from membercenter.notifications.models import InboxMessage, OutboxEmail

        subject = self._SUBJECTS[template].format(id=claim.pk)  # type: ignore[attr-defined]
        body = (
            f"Dear {claim.full_name},\n\n{subject}.\n\nFollow your request in Redeem History:\n"  # type: ignore[attr-defined]
            "https://members.example.com/redeem-history/\n\nMember Center"
        )
        read = when + dt.timedelta(hours=3) if self.rng.random() < 0.7 else None
        member_id = claim.member_id  # type: ignore[attr-defined]
        messages.append(
            InboxMessage(
                user_id=member_id, subject=subject, body=body, link="/redeem-history/", created_at=when, read_at=read
            )
        )
        outbox.append(
            OutboxEmail(
                user_id=member_id, template=template, to=claim.email, subject=subject, body_text=body,  # type: ignore[attr-defined]
                body_html=f"<p>{body}</p>", status=OutboxEmail.Status.SENT, attempts=1, created_at=when, sent_at=when,
            )
        )  # fmt: skip

    def _welcome(self, messages: list, outbox: list, member: object, i: int) -> None:
        from membercenter.notifications.models import InboxMessage, OutboxEmail

        subject = "Please confirm your email address"
        when = member.date_joined  # type: ignore[attr-defined]
        body = f"Dear {member.first_name},\n\nThank you for joining Member Center.\n\nMember Center"  # type: ignore[attr-defined]
        messages.append(InboxMessage(user=member, subject=subject, body=body, created_at=when, read_at=when))
        outbox.append(
            OutboxEmail(
                user=member, template="verify_email", to=member.email, subject=subject, body_text=body,  # type: ignore[attr-defined]
                status=OutboxEmail.Status.SENT, attempts=1, created_at=when, sent_at=when,
            )
        )  # fmt: skip

    def _checks(self) -> None:
        """The waiting claims at the head of the queue, judged as after a real submit (the rest stay unjudged)."""
        import multiprocessing

        from django.db import connections

        from membercenter.claims.models import Claim

        waiting = Claim.objects.filter(status=Claim.Status.SUBMITTED).order_by("due_on", "submitted_at", "pk")
        pks = list(waiting.values_list("pk", flat=True)[: self.args.checks])
        self.waiting = waiting.count()
        connections.close_all()  # each forked process opens its own
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(_judge, [pks[0::2], pks[1::2]])

    def _reviewers(self) -> None:
        from django.contrib.auth.models import Group
        from django.utils import timezone

        from membercenter.accounts.models import User
        from membercenter.backoffice import roles

        group = Group.objects.get(name=roles.REVIEWER)
        self.reviewer_emails = []
        for i in range(self.args.reviewers):
            email = f"reviewer{i:02d}@{EMAIL_DOMAIN}"
            user = User.objects.create(
                email=email, password=self.password_hash, first_name="Reviewer", last_name=f"{i:02d}",
                is_staff=True, region=self.region, email_verified_at=timezone.now(), privacy_accepted_at=timezone.now(),
            )  # fmt: skip
            user.groups.add(group)
            user.review_regions.set([self.region])
            self.reviewer_emails.append(email)
        self.reviewer_ids = list(User.objects.filter(email__in=self.reviewer_emails).values_list("pk", flat=True))

    def _plan(self) -> dict:
        members = []
        for i in range(self.args.active):
            member = self.members[i]
            city, province, postal = CITIES[i % len(CITIES)]
            redeem = []
            for sn, _combo in self.redeemable_of[i]:
                product = self.product_of_sn[sn]
                redeem.append({"product": product.pk, "photo": str(self.assets.sticker_upload(sn))})
            register = []
            for sn, combo in self.register_of[i]:
                _model, store_name, bought = self.combos[combo]
                store = self.stores[store_name]
                register.append(
                    {
                        "sn": sn,
                        "chk": self.chk_of[sn][0],
                        "region": self.region.pk,
                        "store": store.pk,
                        "channel": store.channel,
                        "purchase_date": bought.isoformat(),
                        "invoice": str(self.assets.invoice_upload(combo)),
                    }
                )
            members.append(
                {
                    "email": member.email,
                    "name": member.get_full_name(),
                    "phone": member.phone,
                    "address": f"Jl. Merdeka No. {i + 1}, RT {i % 13 + 1:02d}/RW {i % 7 + 1:02d}",
                    "city": city,
                    "province": province,
                    "postal_code": postal,
                    "redeem": redeem,
                    "register": register,
                }
            )
        from membercenter.catalog.models import Serial
        from membercenter.notifications.models import InboxMessage
        from membercenter.products.models import RegisteredProduct

        return {
            "password": PASSWORD,
            "promotion": PROMOTION_SLUG,
            "members": members,
            "reviewers": self.reviewer_emails,
            "timings": self.timings,
            "counts": {
                "members": len(self.members),
                "active members": self.args.active,
                "reviewers": self.args.reviewers,
                "serials in the registry": Serial.objects.count(),
                "registered products": RegisteredProduct.objects.count(),
                "claims": self.claim_count,
                "claims waiting for review": self.waiting,
                "inbox messages": InboxMessage.objects.count(),
            },
        }


def _judge(pks: list[int]) -> None:
    from membercenter.claims.checks import claim_checks_refresh

    for pk in pks:
        claim_checks_refresh(pk, follow=False)


if __name__ == "__main__":
    main()
