"""The claim pipeline and its limits, driven by hypothesis at random against the real services.

A `RuleBasedStateMachine` registers products, submits claims (as the confirm page calls
`claim_submit`), sends them back, takes them again (Redeem Again), approves, rejects,
withdraws, lets time pass so sent-back claims expire, imports codes, allocates and
delivers them, and ships gifts. It keeps its own small model of what should happen, so
every call is predicted to be accepted or refused: an accepted call must succeed and
do exactly what the model says; a refused one (approving a decided claim, a second
claim for a product, more claims than the stock or the per-member limit allows, ...)
must raise the service's own `ValidationError` and leave every table as it was.

After every step the database is checked against the invariants: each claim's status
is where its events lead by allowed moves, no product is held twice in a promotion,
stock and per-member limits hold, no code is given twice, each product has at most one
grant, and each transition wrote exactly one email of its kind.

Each example runs in a savepoint that is rolled back at its end; the clock
(`django.utils.timezone.now`) is the machine's own, so days can pass. The run is
time-boxed (examples in chunks until `BUDGET_SECONDS` or `MAX_EXAMPLES`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from membercenter.accounts.models import User
from membercenter.audit.models import AuditEntry
from membercenter.catalog.models import ProductModel, Region, Serial, Store
from membercenter.claims import services as claims
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem
from membercenter.evidence.models import Upload
from membercenter.lib.ratelimit import ATTEMPTS, limited
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.products.models import RegisteredProduct, RegistrationRecord
from membercenter.products.services import product_register
from membercenter.promotions.models import Promotion
from membercenter.rewards import pools, shipments
from membercenter.rewards.models import Reward, RewardCode, RewardGrant
from membercenter.rewards.services import rewards_allocate, rewards_deliver
from tests.claims.conftest import RECIPIENT, PromotionFactory, upload_for
from tests.factories import (
    CategoryFactory,
    ProductModelFactory,
    RegionFactory,
    SerialFactory,
    StoreFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Hypothesis keeps a cache (constants of the code under test) even without an example database:
# under var/, never a .hypothesis directory in the checkout.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / "var" / "hypothesis")

MAX_EXAMPLES = 40
STEPS = 40
CHUNK = 5
BUDGET_SECONDS = 30.0
RATE_MAX_EXAMPLES = 60
RATE_BUDGET_SECONDS = 8.0

S = Claim.Status
G = RewardGrant.Status
JAKARTA = ZoneInfo("Asia/Jakarta")
N_MEMBERS = 3
N_SERIALS = 8
REASON = "The serial number on the photo cannot be read."
# A small alphabet of codes, so imports repeat codes (refused as duplicates) as well as add new ones.
CODE_CHOICES = [f"CODE-{n:04d}" for n in range(12)] + ["bad code!", "x"]
VALID_CODES = {c for c in CODE_CHOICES if pools.CODE_PATTERN.match(c)}
RATE_ACTIONS = sorted(ATTEMPTS)
EMAIL_FORMS = {"signup", "login", "password_reset"}


@dataclass
class Stats:
    examples: int = 0
    steps: int = 0
    violations: int = 0
    accepted: int = 0
    refused: int = 0


T = TypeVar("T")
STATS = Stats()
RATE_STATS = Stats()


@dataclass
class MClaim:
    pk: int
    member: int
    promotion: int
    products: frozenset[int]
    status: str = S.SUBMITTED
    history: list[str] = field(default_factory=lambda: [S.SUBMITTED])
    token: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class MGrant:
    pk: int
    claim: int
    reward: int
    kind: str
    due_at: dt.datetime
    status: str


def made(model: type[T], obj: object) -> T:
    """A factory's product, as the model it is (factory_boy's types name the factory)."""
    assert isinstance(obj, model)
    return obj


def _db_state() -> dict[str, list[Any]]:
    """Every row the pipeline writes, for "a refused call leaves the database as it was"."""
    models = (
        Claim, ClaimItem, ClaimEvent, ClaimDocument, RewardGrant, RewardCode, OutboxEmail, InboxMessage,
        AuditEntry, RegisteredProduct, RegistrationRecord, Upload, Promotion, Reward,
    )  # fmt: skip
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


class ClaimPipeline(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        STATS.examples += 1
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = timezone.now()
        self._clock = mock.patch("django.utils.timezone.now", lambda: self.now)
        self._clock.start()
        self._setup()

    def _setup(self) -> None:
        today = timezone.localdate()
        self.region = made(Region, RegionFactory(code="ID", time_zone="Asia/Jakarta"))
        self.store = made(Store, StoreFactory(region=self.region))
        category = CategoryFactory()
        self.model_1 = made(ProductModel, ProductModelFactory(category=category))
        self.model_2 = made(ProductModel, ProductModelFactory(category=category))
        self.serials = [
            made(Serial, SerialFactory(product_model=self.model_1 if n % 2 else self.model_2)) for n in range(N_SERIALS)
        ]
        self.members = [made(User, UserFactory(region=self.region)) for _ in range(N_MEMBERS)]
        self.reviewer = made(User, UserFactory(is_staff=True, first_name="Rina"))
        self.manager = made(User, UserFactory(is_staff=True, first_name="Maya"))
        common = {"regions": [self.region], "categories": [category], "purchase_end": today}
        # A: codes as soon as a claim is approved; 3 rewards in all, 2 per member.
        self.promo_a = made(Promotion, PromotionFactory(
            **common, redeem_end=today + dt.timedelta(days=4), reward_delivery=Promotion.Delivery.ON_APPROVAL,
            max_redemptions=3, per_member_limit=2,
        ))  # fmt: skip
        # B: rewards at the end of the period; a gift (1 in stock) for model 1, a code for model 2.
        self.promo_b = made(Promotion, PromotionFactory(
            **common, redeem_end=today + dt.timedelta(days=2), reward_delivery=Promotion.Delivery.PERIOD_END,
            max_redemptions=4, per_member_limit=1,
        ))  # fmt: skip
        self.promotions = {p.pk: p for p in (self.promo_a, self.promo_b)}
        code = {"kind": Reward.Kind.DIGITAL_CODE, "value": 500000, "currency": "IDR"}
        self.code_a = Reward.objects.create(promotion=self.promo_a, name_en="Code A", name_id="Kode A", **code)
        self.gift_b = Reward.objects.create(
            promotion=self.promo_b, kind=Reward.Kind.GIFT, name_en="Mouse", name_id="Mouse", stock=1
        )
        self.code_b = Reward.objects.create(
            promotion=self.promo_b, name_en="Code B", name_id="Kode B", product_model=self.model_2, **code
        )
        self.pools = {r.pk: pools.pool_for(r) for r in (self.code_a, self.code_b)}
        pools.codes_import(pool=self.pools[self.code_a.pk], csv_text="code\nCODE-0000\nCODE-0001\n", actor=None)
        # The model.
        self.owner: dict[int, int] = {}  # serial pk → member pk
        self.product_of: dict[int, int] = {}  # serial pk → registered product pk
        self.claims: dict[int, MClaim] = {}
        self.grants: dict[int, MGrant] = {}
        self.codes: dict[int, set[str]] = {self.code_a.pk: {"CODE-0000", "CODE-0001"}, self.code_b.pk: set()}
        self.mail: Counter[str] = Counter()
        # Most serials start in My Products (two per member), so that claims are made early in an
        # example; the others are left for `register_product`.
        for n, serial in enumerate(self.serials[: 2 * N_MEMBERS]):
            member = self.members[n // 2]
            product = product_register(
                member=member, serial=serial, chk=serial.chk, region=self.region, store=self.store,
                channel=Store.Channel.RETAIL, purchase_date=self._purchase_date(),
                invoice=upload_for(member, kind=Upload.Kind.INVOICE),
            )  # fmt: skip
            self.owner[serial.pk], self.product_of[serial.pk] = member.pk, product.pk

    def teardown(self) -> None:
        self._clock.stop()
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers -----------------------------------------------------------------------

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            STATS.violations += 1
            raise AssertionError(message)

    def region_today(self) -> dt.date:
        return self.now.astimezone(JAKARTA).date()

    def is_open(self, promotion: Promotion) -> bool:
        return promotion.redeem_start <= self.region_today() <= promotion.redeem_end

    def _pick(self, index: int, candidates: list[MClaim]) -> MClaim:
        return candidates[index % len(candidates)]

    def _from_queue(self, index: int, queued: bool) -> MClaim:
        """A claim waiting for a decision, as the review queue lists them (`queued`), else any claim."""
        waiting = [c for c in self.claims.values() if c.status == S.SUBMITTED]
        return self._pick(index, waiting if queued and waiting else list(self.claims.values()))

    def _mail_since(self, last_pk: int) -> Counter[str]:
        return Counter(OutboxEmail.objects.filter(pk__gt=last_pk).values_list("template", flat=True))

    def _last_mail(self) -> int:
        return OutboxEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def accepted(self, call: Any, mail: dict[str, int], **kwargs: Any) -> Any:
        """The call is predicted to succeed: it must, and write exactly the emails `mail` names."""
        STATS.steps += 1
        last = self._last_mail()
        try:
            result = call(**kwargs)
        except ValidationError as err:
            self.check(False, f"{call.__name__} refused what the model allows: {err.messages}")
        written = self._mail_since(last)
        expected = Counter({k: v for k, v in mail.items() if v})
        self.check(written == expected, f"{call.__name__} wrote emails {dict(written)}, expected {dict(expected)}")
        self.mail += expected
        STATS.accepted += 1
        return result

    def refused(self, call: Any, code: str | None = None, **kwargs: Any) -> ValidationError:
        """The call is predicted to be refused: the service's own error, and nothing written."""
        STATS.steps += 1
        before = _db_state()
        try:
            call(**kwargs)
        except ValidationError as err:
            error = err
        else:
            self.check(False, f"{call.__name__} accepted what the model refuses ({kwargs})")
        if code is not None:
            codes = {getattr(e, "code", None) for e in error.error_list} if hasattr(error, "error_list") else set()
            self.check(code in codes or error.code == code, f"{call.__name__}: refused with {codes}, not {code}")
        self.check(_db_state() == before, f"{call.__name__} was refused but changed the database")
        STATS.refused += 1
        return error

    def _move(self, claim: MClaim, status: str) -> None:
        claim.status = status
        claim.history.append(status)

    def _complete(self, claim: MClaim) -> None:
        """The claim is "reward sent" once every grant has left (claim_mark_reward_sent_if_complete)."""
        grants = [g for g in self.grants.values() if g.claim == claim.pk]
        if claim.status == S.APPROVED and all(g.status in (G.DELIVERED, G.SHIPPED) for g in grants):
            self._move(claim, S.REWARD_SENT)

    # --- members -----------------------------------------------------------------------

    @rule(member=st.integers(0, N_MEMBERS - 1), serial=st.integers(0, N_SERIALS - 1), chk_ok=st.booleans())
    def register_product(self, member: int, serial: int, chk_ok: bool) -> None:
        user, sn = self.members[member], self.serials[serial]
        invoice = upload_for(user, kind=Upload.Kind.INVOICE)
        kwargs = {
            "member": user, "serial": sn, "chk": sn.chk if chk_ok else "999", "region": self.region,
            "store": self.store, "channel": Store.Channel.RETAIL,
            "purchase_date": self._purchase_date(), "invoice": invoice,
        }  # fmt: skip
        if chk_ok and sn.pk not in self.owner:
            product = self.accepted(product_register, {}, **kwargs)
            self.owner[sn.pk], self.product_of[sn.pk] = user.pk, product.pk
        else:
            self.refused(product_register, **kwargs)

    def _purchase_date(self) -> dt.date:
        # In both promotions' purchase windows (they end on the first day), never in the future.
        return self.promo_a.purchase_end - dt.timedelta(days=10)

    def _submit_verdict(self, member: int, promotion: Promotion, serials: list[int], photos: bool) -> str | None:
        """None when the model says the claim is accepted, else the error code expected."""
        if not serials:
            return "empty"
        if not photos:
            return "photo"
        if any(self.owner.get(s) != member for s in serials):
            return "not_owner"
        held = {
            p
            for c in self.claims.values()
            if c.promotion == promotion.pk and c.status in Claim.HOLDS_PRODUCTS
            for p in c.products
        }
        active = [c for c in self.claims.values() if c.promotion == promotion.pk and c.status in Claim.ACTIVE]
        mine = [c for c in active if c.member == member]
        if (
            not self.is_open(promotion)
            or any(self.product_of[s] in held for s in serials)
            or (promotion.max_redemptions is not None and len(active) >= promotion.max_redemptions)
            or (promotion.per_member_limit is not None and len(mine) >= promotion.per_member_limit)
        ):
            return "ineligible"
        return None

    @rule(
        member=st.integers(0, N_MEMBERS - 1),
        promo_b=st.booleans(),
        picks=st.lists(st.integers(0, N_SERIALS - 1), min_size=0, max_size=3, unique=True),
        own=st.booleans() | st.just(True),
        photos=st.booleans() | st.just(True),
    )
    def submit(self, member: int, promo_b: bool, picks: list[int], own: bool, photos: bool) -> None:
        """Mostly the member's own products (`own`), else any registered ones (someone else's are refused)."""
        user = self.members[member]
        promotion = self.promo_b if promo_b else self.promo_a
        choices = sorted(s for s in self.product_of if not own or self.owner[s] == user.pk)
        serials = sorted({choices[i % len(choices)] for i in picks}) if choices else []
        evidence = [
            claims.ItemEvidence(product_id=self.product_of[s], serial_photo=upload_for(user) if photos else None)
            for s in serials
        ]
        token = uuid.uuid4()
        kwargs = {"member": user, "promotion": promotion, "evidence": evidence, "recipient": RECIPIENT}
        verdict = self._submit_verdict(user.pk, promotion, serials, photos)
        if verdict is None:
            claim = self.accepted(claims.claim_submit, {"claim_received": 1}, submit_token=token, **kwargs)
            self.check(claim.pk not in self.claims, "a new submit returned an existing claim")
            products = frozenset(self.product_of[s] for s in serials)
            self.claims[claim.pk] = MClaim(claim.pk, user.pk, promotion.pk, products, token=token)
        else:
            self.refused(claims.claim_submit, verdict, submit_token=token, **kwargs)

    @rule(member=st.integers(0, N_MEMBERS - 1), promo_b=st.booleans(), pick=st.integers(0, N_SERIALS - 1))
    def submit_one_of_mine(self, member: int, promo_b: bool, pick: int) -> None:
        """The common case, made as likely as the rest: one of the member's products, with its photo."""
        self.submit(member=member, promo_b=promo_b, picks=[pick], own=True, photos=True)

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000))
    def submit_same_token_again(self, index: int) -> None:
        """A double click or the back button: the same token gives the claim already made, nothing new."""
        claim = self._pick(index, list(self.claims.values()))
        user = next(m for m in self.members if m.pk == claim.member)
        evidence = [claims.ItemEvidence(product_id=p, serial_photo=upload_for(user)) for p in claim.products]
        STATS.steps += 1
        before = _db_state()
        again = claims.claim_submit(
            member=user, promotion=self.promotions[claim.promotion], evidence=evidence, recipient=RECIPIENT,
            submit_token=claim.token,
        )  # fmt: skip
        self.check(again.pk == claim.pk, f"the same token made claim #{again.pk}, not #{claim.pk}")
        self.check(_db_state() == before, "submitting the same token again changed the database")

    # --- reviewers ---------------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000), queued=st.booleans() | st.just(True), blank=st.booleans())
    def send_back(self, index: int, queued: bool, blank: bool) -> None:
        claim = self._from_queue(index, queued)
        kwargs = {"claim": Claim(pk=claim.pk), "reviewer": self.reviewer, "reason": "   " if blank else REASON}
        if blank:
            self.refused(claims.claim_send_back, "reason", **kwargs)
        elif claim.status == S.SUBMITTED:
            self.accepted(claims.claim_send_back, {"claim_sent_back": 1}, **kwargs)
            self._move(claim, S.SENT_BACK)
        else:
            self.refused(claims.claim_send_back, "transition", **kwargs)

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000), queued=st.booleans() | st.just(True))
    def reject(self, index: int, queued: bool) -> None:
        claim = self._from_queue(index, queued)
        kwargs = {"claim": Claim(pk=claim.pk), "reviewer": self.reviewer, "reason": REASON}
        if claim.status == S.SUBMITTED:
            self.accepted(claims.claim_reject, {"claim_rejected": 1}, **kwargs)
            self._move(claim, S.REJECTED)
        else:
            self.refused(claims.claim_reject, "transition", **kwargs)

    def _rewards_for(self, claim: MClaim) -> list[Reward]:
        """The reward each product of the claim earns (the tier table: model first, then the default row)."""
        out = []
        for product in RegisteredProduct.objects.filter(pk__in=claim.products).select_related("serial").order_by("pk"):
            if claim.promotion == self.promo_a.pk:
                out.append(self.code_a)
            else:
                out.append(self.code_b if product.serial.product_model_id == self.model_2.pk else self.gift_b)
        return out

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000), queued=st.booleans() | st.just(True))
    def approve(self, index: int, queued: bool) -> None:
        claim = self._from_queue(index, queued)
        kwargs = {"claim": Claim(pk=claim.pk), "reviewer": self.reviewer}
        if claim.status != S.SUBMITTED:
            self.refused(claims.claim_approve, "transition", **kwargs)
            return
        promotion = self.promotions[claim.promotion]
        granted = [c for c in self.claims.values() if c.promotion == promotion.pk and c.status in Claim.GRANTED]
        rewards = self._rewards_for(claim)
        gifts_used = sum(1 for g in self.grants.values() if g.reward == self.gift_b.pk and g.status != G.RETURNED)
        gifts_needed = sum(1 for r in rewards if r.pk == self.gift_b.pk)
        if (promotion.max_redemptions is not None and len(granted) >= promotion.max_redemptions) or (
            gifts_needed and gifts_used + gifts_needed > (self.gift_b.stock or 0)
        ):
            self.refused(claims.claim_approve, "stock", **kwargs)
            return
        last_grant = RewardGrant.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.accepted(claims.claim_approve, {"claim_approved": 1}, **kwargs)
        self._move(claim, S.APPROVED)
        made = list(RewardGrant.objects.filter(pk__gt=last_grant).order_by("item__product_id"))
        self.check(
            [g.reward_id for g in made] == [r.pk for r in rewards],
            f"approval made grants of rewards {[g.reward_id for g in made]}, expected {[r.pk for r in rewards]}",
        )
        for grant, reward in zip(made, rewards, strict=False):
            due = (
                self.now if promotion.reward_delivery == Promotion.Delivery.ON_APPROVAL else self._period_end(promotion)
            )
            status = G.WAITING if reward.kind == Reward.Kind.DIGITAL_CODE else G.PREPARING
            self.check(grant.due_at == due, f"grant {grant.pk} is due {grant.due_at}, expected {due}")
            self.check(grant.status == status, f"grant {grant.pk} starts {grant.status}, expected {status}")
            self.grants[grant.pk] = MGrant(grant.pk, claim.pk, reward.pk, reward.kind, due, status)

    def _period_end(self, promotion: Promotion) -> dt.datetime:
        return dt.datetime.combine(promotion.redeem_end + dt.timedelta(days=1), dt.time.min, tzinfo=JAKARTA)

    # --- members again -----------------------------------------------------------------

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000), by_owner=st.booleans() | st.just(True))
    def withdraw(self, index: int, by_owner: bool) -> None:
        claim = self._pick(index, list(self.claims.values()))
        member = next(m for m in self.members if (m.pk == claim.member) == by_owner)
        kwargs = {"claim": Claim(pk=claim.pk), "member": member}
        if not by_owner:
            self.refused(claims.claim_withdraw, "owner", **kwargs)
        elif S.WITHDRAWN in Claim.ALLOWED[claim.status]:
            self.accepted(claims.claim_withdraw, {"claim_withdrawn": 1}, **kwargs)
            self._move(claim, S.WITHDRAWN)
        else:
            self.refused(claims.claim_withdraw, "transition", **kwargs)

    @precondition(lambda self: self.claims)
    @rule(index=st.integers(0, 1000), by_owner=st.booleans() | st.just(True), new_photo=st.booleans() | st.just(True))
    def resubmit(self, index: int, by_owner: bool, new_photo: bool) -> None:
        """Redeem Again with a new sticker photo of the first product."""
        claim = self._pick(index, list(self.claims.values()))
        member = next(m for m in self.members if (m.pk == claim.member) == by_owner)
        product = min(claim.products)
        photo = upload_for(member) if new_photo else None
        kwargs: dict[str, Any] = {
            "claim": Claim(pk=claim.pk), "member": member, "recipient": {**RECIPIENT, "city": "Bandung"},
            "evidence": [claims.ItemEvidence(product_id=product, serial_photo=photo)],
        }  # fmt: skip
        deadline_passed = self.region_today() > self.promotions[claim.promotion].redeem_end
        if by_owner and new_photo and claim.status == S.SENT_BACK and not deadline_passed:
            self.accepted(claims.claim_resubmit, {"claim_received": 1}, **kwargs)
            self._move(claim, S.SUBMITTED)
        else:
            # Someone else's upload is "expired", someone else's claim "not yours", then no documents,
            # then the deadline, then the status: whichever comes first, it is refused.
            self.refused(claims.claim_resubmit, **kwargs)

    # --- time and scheduled jobs -------------------------------------------------------

    @rule(hours=st.integers(1, 48))
    def time_passes(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)

    @rule()
    def expire_sent_back(self) -> None:
        due = [
            c
            for c in self.claims.values()
            if c.status == S.SENT_BACK and self.promotions[c.promotion].redeem_end < self.region_today()
        ]
        last = self._last_mail()
        n = self.accepted(claims.claims_expire_sent_back, {"claim_expired": len(due)})
        self.check(n == len(due), f"{n} claims expired, expected {len(due)}")
        emails = Counter(OutboxEmail.objects.filter(pk__gt=last).values_list("to", flat=True))
        owners = Counter(next(m.email for m in self.members if m.pk == c.member) for c in due)
        self.check(emails == owners, f"expiry emails went to {dict(emails)}, expected {dict(owners)}")
        for claim in due:
            self._move(claim, S.EXPIRED)

    @rule(picks=st.lists(st.sampled_from(CODE_CHOICES), min_size=1, max_size=4), promo_b=st.booleans())
    def import_codes(self, picks: list[str], promo_b: bool) -> None:
        reward = self.code_b if promo_b else self.code_a
        pool = self.pools[reward.pk]
        new = {c for c in picks if c in VALID_CODES} - self.codes[reward.pk]
        report = self.accepted(
            pools.codes_import_then_allocate, {}, pool=pool, csv_text="\n".join(picks), actor=self.manager
        )
        self.check(report.added == len(new), f"{report.added} codes added, expected {len(new)}")
        self.check(len(report.problems) == len(picks) - len(new), f"problems {report.problems} for {picks}")
        self.codes[reward.pk] |= new

    @rule()
    def allocate_and_deliver(self) -> None:
        given = 0
        for reward_pk, codes in self.codes.items():
            used = sum(1 for g in self.grants.values() if g.reward == reward_pk and g.status != G.WAITING)
            due = sorted(
                pk
                for pk, g in self.grants.items()
                if g.reward == reward_pk and g.status == G.WAITING and g.due_at <= self.now
            )
            for pk in due[: max(len(codes) - used, 0)]:
                self.grants[pk].status = G.ALLOCATED
                given += 1
        STATS.steps += 1
        self.check(rewards_allocate(now=self.now) == given, f"allocation gave a number of codes other than {given}")
        delivered = [g for g in self.grants.values() if g.status == G.ALLOCATED and g.due_at <= self.now]
        n = self.accepted(rewards_deliver, {"reward_code": len(delivered)}, now=self.now)
        self.check(n == len(delivered), f"{n} codes delivered, expected {len(delivered)}")
        for grant in delivered:
            grant.status = G.DELIVERED
        for claim in {g.claim for g in delivered}:
            self._complete(self.claims[claim])

    def _gifts(self) -> list[MGrant]:
        return sorted((g for g in self.grants.values() if g.kind == Reward.Kind.GIFT), key=lambda g: g.pk)

    @precondition(lambda self: any(g.kind == Reward.Kind.GIFT for g in self.grants.values()))
    @rule(index=st.integers(0, 1000))
    def ship_gift(self, index: int) -> None:
        grant = self._gifts()[index % len(self._gifts())]
        csv_text = f"grant_id,courier,tracking_number\n{grant.pk},JNE,JN{grant.pk:08d}\n"
        ships = grant.status == G.PREPARING
        report = self.accepted(
            shipments.tracking_import, {"reward_shipped": int(ships)}, csv_text=csv_text, actor=self.manager
        )
        self.check(report.shipped == ([grant.pk] if ships else []), f"shipped {report.shipped}, grant {grant}")
        if ships:
            grant.status = G.SHIPPED
            self._complete(self.claims[grant.claim])

    @precondition(lambda self: any(g.kind == Reward.Kind.GIFT for g in self.grants.values()))
    @rule(index=st.integers(0, 1000), returned=st.booleans())
    def gift_arrives(self, index: int, returned: bool) -> None:
        grant = self._gifts()[index % len(self._gifts())]
        status = G.RETURNED if returned else G.DELIVERED
        kwargs = {"grant": RewardGrant(pk=grant.pk), "status": status, "actor": self.manager}
        if grant.status == G.SHIPPED:
            self.accepted(shipments.shipment_set_status, {}, **kwargs)
            grant.status = status
            self._complete(self.claims[grant.claim])
        else:
            self.refused(shipments.shipment_set_status, "transition", **kwargs)

    # --- invariants, against the database after every step ----------------------------

    @invariant()
    def statuses_follow_allowed_moves_and_match_events(self) -> None:
        rows = dict(Claim.objects.values_list("pk", "status"))
        self.check(set(rows) == set(self.claims), f"claims {sorted(rows)} in the database, {sorted(self.claims)} made")
        events: dict[int, list[tuple[str, str]]] = {}
        for claim_id, src, dst in ClaimEvent.objects.order_by("pk").values_list("claim_id", "from_status", "to_status"):
            events.setdefault(claim_id, []).append((src, dst))
        for pk, status in rows.items():
            chain = events.get(pk, [])
            self.check(bool(chain) and chain[0] == ("", S.SUBMITTED), f"claim #{pk} does not start submitted: {chain}")
            for (_, before), (src, dst) in zip(chain, chain[1:], strict=False):
                self.check(src == before and dst in Claim.ALLOWED[src], f"claim #{pk}: {src}→{dst} after {before}")
            self.check(chain[-1][1] == status, f"claim #{pk} is {status}, its events end at {chain[-1][1]}")
            self.check(
                [dst for _, dst in chain] == self.claims[pk].history,
                f"claim #{pk} went {[d for _, d in chain]}, the model {self.claims[pk].history}",
            )

    @invariant()
    def no_product_is_held_twice_in_a_promotion(self) -> None:
        held = Counter(ClaimItem.objects.filter(active=True).values_list("product_id", "promotion_id"))
        self.check(all(n == 1 for n in held.values()), f"products held twice: {held}")
        for claim_id, active in ClaimItem.objects.values_list("claim_id", "active"):
            status = self.claims[claim_id].status
            self.check(active == (status in Claim.HOLDS_PRODUCTS), f"claim #{claim_id} ({status}) item active={active}")

    @invariant()
    def stock_and_per_member_limits_hold(self) -> None:
        for promotion in self.promotions.values():
            mine = Claim.objects.filter(promotion=promotion)
            active = mine.filter(status__in=Claim.ACTIVE)
            granted = mine.filter(status__in=Claim.GRANTED).count()
            self.check(active.count() <= (promotion.max_redemptions or 0), f"{promotion}: too many active claims")
            self.check(granted <= (promotion.max_redemptions or 0), f"{promotion}: {granted} claims granted")
            per_member = Counter(active.values_list("member_id", flat=True))
            self.check(
                all(n <= (promotion.per_member_limit or 0) for n in per_member.values()),
                f"{promotion}: per-member limit {promotion.per_member_limit} broken: {per_member}",
            )
        gifts = RewardGrant.objects.filter(reward=self.gift_b).exclude(status=G.RETURNED).count()
        self.check(gifts <= (self.gift_b.stock or 0), f"{gifts} gifts granted, {self.gift_b.stock} in stock")

    @invariant()
    def codes_are_given_once_and_grants_match(self) -> None:
        rows = list(
            RewardGrant.objects.values_list("pk", "item_id", "item__claim_id", "reward_id", "status", "code_id")
        )
        codes = [code for *_, code in rows if code is not None]
        self.check(len(codes) == len(set(codes)), f"a code was given twice: {Counter(codes).most_common(3)}")
        items = Counter(item for _, item, *_ in rows)
        self.check(all(n == 1 for n in items.values()), "a product has two grants")
        pool_of = dict(RewardCode.objects.values_list("pk", "pool__reward_id"))
        kinds = dict(Reward.objects.values_list("pk", "kind"))
        for pk, _item, claim_id, reward_id, status, code in rows:
            self.check(self.claims[claim_id].status in Claim.GRANTED, f"grant {pk} of an ungranted claim")
            self.check(pk in self.grants and self.grants[pk].status == status, f"grant {pk} is {status}, model says "
                       f"{self.grants.get(pk)}")  # fmt: skip
            # A code once allocated, for a code reward only (a delivered gift has none).
            wants_code = kinds[reward_id] == Reward.Kind.DIGITAL_CODE and status in (G.ALLOCATED, G.DELIVERED)
            self.check((code is not None) == wants_code, f"grant {pk} {status} ({kinds[reward_id]}) code {code}")
            self.check(code is None or pool_of[code] == reward_id, f"grant {pk} got a code of another reward's pool")
        for reward_pk, plain in self.codes.items():
            n = RewardCode.objects.filter(pool__reward_id=reward_pk).count()
            self.check(n == len(plain), f"pool of reward {reward_pk} holds {n} codes, {len(plain)} imported")

    @invariant()
    def each_transition_wrote_one_email_of_its_kind(self) -> None:
        written = Counter(OutboxEmail.objects.values_list("template", flat=True))
        self.check(written == self.mail, f"outbox {dict(written)}, expected {dict(self.mail)}")
        self.check(InboxMessage.objects.count() == sum(self.mail.values()), "inbox and outbox disagree")


# --- the rate limits (membercenter.lib.ratelimit) ------------------------------------------

# Addresses: two IPv4 visitors, and IPv6 ones of which the first two share a /64 (one subscriber).
IPS = ["10.0.0.1", "10.0.0.2", "2001:db8::1", "2001:db8::2:1", "2001:db8:0:1::1"]
EMAILS = ["budi@example.com", "BUDI@Example.com", "sari@example.com", ""]
RATE = st.one_of(st.none(), st.integers(1, 4).map(lambda n: f"{n}/h"))


class RateLimits(RuleBasedStateMachine):
    """Attempts at random actions from random addresses and accounts against `limited(action)`.

    The model counts every attempt per (action, scope, key) since the window began; an attempt
    is refused (429) exactly when, counted, it is over the IP's or the account's limit. Refused
    attempts count too. The clock is the machine's own: within a window it stands still, and a
    `window_passes` step moves it a day on, so every count starts again.
    """

    def __init__(self) -> None:
        super().__init__()
        RATE_STATS.examples += 1
        # A fresh stretch of time for each example, past where the one before could get to (a day a step):
        # counts of earlier examples are in other windows.
        self.ts = 1_900_000_000 + RATE_STATS.examples * (STEPS + 10) * 86_400
        self._clock = mock.patch("django_ratelimit.core.time", mock.Mock(time=lambda: self.ts))
        self._clock.start()
        self._settings: Any = None
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def teardown(self) -> None:
        self._clock.stop()
        if self._settings is not None:
            self._settings.disable()

    @initialize(
        limits=st.fixed_dictionaries(
            {action: st.fixed_dictionaries({"ip": RATE, "account": RATE}) for action in RATE_ACTIONS}
        )
    )
    def set_limits(self, limits: dict[str, dict[str, str | None]]) -> None:
        from django.test import override_settings

        self.limits = {a: {scope: r for scope, r in scopes.items() if r} for a, scopes in limits.items()}
        self._settings = override_settings(RATE_LIMITS=self.limits)
        self._settings.enable()
        self.members = list(UserFactory.build_batch(2))
        for n, member in enumerate(self.members, start=1):
            member.pk = 10_000 + n  # only the key is used: "member:<pk>"

    def _ip_key(self, ip: str) -> str:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) if ":" in ip else ip

    def _account_key(self, action: str, member: Any, email: str) -> str:
        if action not in EMAIL_FORMS and member is not None:
            return f"member:{member.pk}"
        return f"email:{email.lower()}" if email and action in EMAIL_FORMS | {"captcha_refresh"} else ""

    def _request(self, action: str, counted: bool, ip: str, member: Any, email: str) -> Any:
        from django.contrib.auth.models import AnonymousUser
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.test import RequestFactory

        rf = RequestFactory()
        data: dict[str, Any] = {"email": email}
        if action == "upload":
            if counted:
                data["invoice"] = SimpleUploadedFile("invoice.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
        elif action == "captcha_refresh":
            if counted:
                data["new_captcha"] = "1"
        elif not counted:
            data["check"] = "invoice"  # a button that only shows the form again
        request = rf.post("/", data, REMOTE_ADDR=ip) if counted or action != "login" else rf.get("/", REMOTE_ADDR=ip)
        request.user = member if member is not None else AnonymousUser()
        return request

    @rule(
        action=st.sampled_from(RATE_ACTIONS),
        counted=st.booleans() | st.just(True),
        ip=st.sampled_from(IPS),
        who=st.integers(-1, 1),
        email=st.sampled_from(EMAILS),
    )
    def attempt(self, action: str, counted: bool, ip: str, who: int, email: str) -> None:
        member = self.members[who] if who >= 0 else None
        request = self._request(action, counted, ip, member, email)
        view = limited(action, unless=("check",))(lambda request: HttpResponse("done"))
        refused = False
        if counted:
            keys = {"ip": self._ip_key(ip), "account": self._account_key(action, member, email)}
            for scope, rate in self.limits[action].items():
                if scope == "account" and not keys["account"]:
                    continue
                self.counts[(action, scope, keys[scope])] += 1
                refused |= self.counts[(action, scope, keys[scope])] > int(rate.split("/")[0])
        response = view(request)
        RATE_STATS.steps += 1
        if response.status_code != (429 if refused else 200):
            RATE_STATS.violations += 1
            raise AssertionError(
                f"{action} attempt #{RATE_STATS.steps} from {ip} by {getattr(member, 'pk', None)}/{email!r} "
                f"(counted={counted}): {response.status_code}, the model says {'refused' if refused else 'allowed'}; "
                f"counts {dict(self.counts)}, limits {self.limits[action]}"
            )
        if refused:
            wait = int(response["Retry-After"])
            if not 1 <= wait <= 3600:
                RATE_STATS.violations += 1
                raise AssertionError(f"Retry-After {wait} is not within the hour's window")

    @rule()
    def window_passes(self) -> None:
        self.ts += 86_400
        self.counts.clear()


# --- the test ------------------------------------------------------------------------------


def _run(
    machine: type[RuleBasedStateMachine], stats: Stats, *, budget: float, max_examples: int
) -> BaseException | None:
    """Examples in chunks until the budget or `max_examples`; the failure (hypothesis shrunk it), if any."""
    started, first = time.monotonic(), stats.examples
    try:
        while stats.examples - first < max_examples and time.monotonic() - started < budget:
            run_state_machine_as_test(
                machine,
                settings=hsettings(
                    max_examples=CHUNK,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                ),
            )
    except BaseException as err:  # noqa: BLE001 — counted by the caller, then raised again as it was
        return err
    return None


def test_claim_pipeline_and_rate_limit_state_machines(scorecard):
    before, rate_before = Stats(**vars(STATS)), Stats(**vars(RATE_STATS))
    failures = [
        _run(ClaimPipeline, STATS, budget=BUDGET_SECONDS, max_examples=MAX_EXAMPLES),
        _run(RateLimits, RATE_STATS, budget=RATE_BUDGET_SECONDS, max_examples=RATE_MAX_EXAMPLES),
    ]
    pipeline = Stats(*(a - b for a, b in zip(vars(STATS).values(), vars(before).values(), strict=True)))
    rates = Stats(*(a - b for a, b in zip(vars(RATE_STATS).values(), vars(rate_before).values(), strict=True)))
    # An unexpected error in a service or a view is a violation too.
    pipeline.violations = max(pipeline.violations, int(failures[0] is not None))
    rates.violations = max(rates.violations, int(failures[1] is not None))
    scorecard.record("statemachine.examples", pipeline.examples + rates.examples)
    scorecard.record("statemachine.steps", pipeline.steps + rates.steps)
    scorecard.record("statemachine.violations", pipeline.violations + rates.violations)
    scorecard.record("statemachine.pipeline.examples", pipeline.examples)
    scorecard.record("statemachine.pipeline.steps", pipeline.steps)
    scorecard.record("statemachine.ratelimit.examples", rates.examples)
    scorecard.record("statemachine.ratelimit.attempts", rates.steps)
    for failure in failures:
        if failure is not None:
            raise failure
    assert pipeline.violations + rates.violations == 0
    assert pipeline.examples >= CHUNK and pipeline.steps >= pipeline.examples, vars(pipeline)
    assert rates.examples >= CHUNK and rates.steps >= rates.examples, vars(rates)
    # The pipeline machine reached both sides: calls accepted and calls refused.
    assert pipeline.accepted and pipeline.refused, vars(pipeline)
