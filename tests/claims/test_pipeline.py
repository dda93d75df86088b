"""The claim pipeline (SPEC §4): every move of `Claim.move_to`, and each service that makes one."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.claims import services
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem
from membercenter.evidence.models import Upload
from membercenter.notifications import tasks
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.promotions.selectors import ALREADY_CLAIMED
from tests.claims.conftest import PromotionFactory, eligible_product, make_claim, submit, upload_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = Claim.Status
REASON = "Please provide the invoice with your product name on it, thanks."
ALL_PAIRS = list(itertools.product(S.values, S.values))


def test_every_status_has_its_moves_listed():
    assert set(Claim.ALLOWED) == set(S.values)
    assert len(ALL_PAIRS) == 49


# --- move_to: all 49 (from, to) pairs ------------------------------------------------


def _snapshot(claim: Claim) -> tuple:
    return (
        Claim.objects.get(pk=claim.pk).status,
        list(ClaimEvent.objects.filter(claim=claim).values_list("pk", flat=True)),
        list(ClaimItem.objects.filter(claim=claim).values_list("active", flat=True)),
    )


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_move_to_succeeds_exactly_for_allowed_moves(source, target):
    claim = make_claim(status=source, round=3)
    actor = UserFactory(is_staff=True)
    before = _snapshot(claim)

    if target in Claim.ALLOWED[source]:
        event = claim.move_to(target, by=actor, note="why")
        claim.refresh_from_db()
        assert claim.status == target
        event = ClaimEvent.objects.get(pk=event.pk)
        assert (event.from_status, event.to_status, event.actor, event.note, event.round) == (
            source, target, actor, "why", 3,
        )  # fmt: skip
        assert ClaimEvent.objects.filter(claim=claim).count() == len(before[1]) + 1
        active = set(claim.items.values_list("active", flat=True))
        # Leaving HOLDS_PRODUCTS frees the products; a rejection is final and keeps them.
        assert active == ({True} if target in Claim.HOLDS_PRODUCTS else {False})
    else:
        with pytest.raises(ValidationError) as err:
            claim.move_to(target, by=actor, note="why")
        assert err.value.code == "transition"
        assert claim.status == source
        assert _snapshot(claim) == before


# --- services ----------------------------------------------------------------------


def test_submit_records_the_first_event_and_tells_the_member():
    member = UserFactory()
    product = eligible_product(member)
    claim = submit(member, PromotionFactory(), [product])
    assert claim.status == S.SUBMITTED and claim.round == 1
    event = claim.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("", S.SUBMITTED, member)
    assert claim.items.get().documents.get().kind == ClaimDocument.Kind.SERIAL_PHOTO
    _notified(member, "claim_received")
    assert not AuditEntry.objects.exists()  # a member's own step is not a staff action


def test_submit_the_same_token_twice_gives_the_same_claim():
    member = UserFactory()
    product, promotion = eligible_product(member), PromotionFactory()
    token = uuid.uuid4()
    first = submit(member, promotion, [product], token=token)
    assert submit(member, promotion, [product], token=token).pk == first.pk
    assert Claim.objects.count() == 1 and OutboxEmail.objects.count() == 1


def test_submit_needs_a_sticker_photo_per_product():
    member = UserFactory()
    with pytest.raises(ValidationError) as err:
        submit(member, PromotionFactory(), [eligible_product(member)], photos=False)
    assert err.value.code == "photo"
    assert not Claim.objects.exists() and not OutboxEmail.objects.exists()


def test_submit_refuses_an_ineligible_product_with_the_reason():
    member = UserFactory()
    promotion = PromotionFactory()
    product = eligible_product(member)
    make_claim(product=product, promotion=promotion)
    with pytest.raises(ValidationError) as err:
        submit(member, promotion, [product])
    assert [e.code for e in err.value.error_list] == ["ineligible"]
    assert err.value.messages == [f"{product.serial.sn}: {ALREADY_CLAIMED}"]
    assert Claim.objects.count() == 1


def test_submit_refuses_another_members_product_and_upload():
    member, other = UserFactory(), UserFactory()
    with pytest.raises(ValidationError):
        submit(member, PromotionFactory(), [eligible_product(other)])
    own = eligible_product(member)
    with pytest.raises(ValidationError) as err:
        services.claim_submit(
            member=member,
            promotion=PromotionFactory(),
            evidence=[services.ItemEvidence(product_id=own.pk, serial_photo=upload_for(other))],
            recipient={},
            submit_token=uuid.uuid4(),
        )
    assert err.value.code == "upload"
    assert not Claim.objects.exists()


def _notified(member, template: str) -> OutboxEmail:
    row = OutboxEmail.objects.get(template=template)
    assert row.user == member and row.to == member.email
    inbox = InboxMessage.objects.get(user=member)
    assert inbox.subject == row.subject and inbox.body == row.body_text
    return row


def _audited(reviewer, claim: Claim, action: str) -> AuditEntry:
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        reviewer, action, "claims.claim", str(claim.pk),
    )  # fmt: skip
    return entry


def _nothing_written(claim: Claim, status: str, events: int) -> None:
    claim.refresh_from_db()
    assert claim.status == status
    assert claim.events.count() == events
    assert not OutboxEmail.objects.exists() and not InboxMessage.objects.exists()
    assert not AuditEntry.objects.exists()


def test_approve_records_the_decision_and_tells_the_member(reviewer, django_capture_on_commit_callbacks):
    claim = make_claim()
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_approve(claim=claim, reviewer=reviewer)
    claim.refresh_from_db()
    assert claim.status == S.APPROVED and claim.decided_at is not None
    assert claim.items.get().active  # an approved claim still holds its product and the stock
    event = claim.events.last()
    assert (event.from_status, event.to_status, event.actor) == (S.SUBMITTED, S.APPROVED, reviewer)
    row = _notified(claim.member, "claim_approved")
    assert row.status == OutboxEmail.Status.SENT
    _audited(reviewer, claim, "claim.approved")
    [email] = mail.outbox
    assert email.to == [claim.member.email]
    assert f"Redeem promotion {claim.promotion.name_en} has been approved" in email.subject
    assert "Reward: Digital Code IDR 500.000." in email.body
    assert "sent at the end of the promotion period" in email.body


def test_approve_clears_the_reviewers_hold(reviewer):
    claim = make_claim()
    assert services.claim_hold(claim=claim, reviewer=reviewer)
    services.claim_approve(claim=claim, reviewer=reviewer)
    claim.refresh_from_db()
    assert claim.held_by is None and claim.held_until is None


def test_send_back_gives_the_reason_and_a_link_to_redeem_again(reviewer, django_capture_on_commit_callbacks):
    claim = make_claim()
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_send_back(claim=claim, reviewer=reviewer, reason=f"  {REASON}  ")
    claim.refresh_from_db()
    assert claim.status == S.SENT_BACK and claim.reason == REASON
    assert claim.items.get().active  # still waiting for the member: the product stays held
    assert claim.events.last().note == REASON
    _notified(claim.member, "claim_sent_back")
    assert InboxMessage.objects.get().link.endswith(reverse("claims:again", args=[claim.pk]))
    assert REASON in _audited(reviewer, claim, "claim.sent_back").summary
    [email] = mail.outbox
    assert REASON in email.body and reverse("claims:again", args=[claim.pk]) in email.body


def test_reject_is_final_gives_the_reason_and_keeps_the_product_out_of_the_promotion(reviewer):
    claim = make_claim()
    services.claim_reject(claim=claim, reviewer=reviewer, reason="The invoice is not from a partner store.")
    claim.refresh_from_db()
    assert claim.status == S.REJECTED and claim.reason == "The invoice is not from a partner store."
    assert claim.items.get().active
    row = _notified(claim.member, "claim_rejected")
    assert "not eligible" in row.subject and "The invoice is not from a partner store." in row.body_text
    _audited(reviewer, claim, "claim.rejected")
    with pytest.raises(ValidationError):
        services.claim_approve(claim=claim, reviewer=reviewer)
    with pytest.raises(ValidationError):
        claim.move_to(S.SUBMITTED, by=reviewer)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
@pytest.mark.parametrize("decide", [services.claim_send_back, services.claim_reject], ids=["send_back", "reject"])
def test_a_decision_against_the_member_needs_a_reason(reviewer, decide, reason):
    claim = make_claim()
    with pytest.raises(ValidationError) as err:
        decide(claim=claim, reviewer=reviewer, reason=reason)
    assert err.value.code == "reason"
    _nothing_written(claim, S.SUBMITTED, events=1)


@pytest.mark.parametrize(
    "decide",
    [
        lambda claim, reviewer: services.claim_approve(claim=claim, reviewer=reviewer),
        lambda claim, reviewer: services.claim_send_back(claim=claim, reviewer=reviewer, reason=REASON),
        lambda claim, reviewer: services.claim_reject(claim=claim, reviewer=reviewer, reason=REASON),
    ],
    ids=["approve", "send_back", "reject"],
)
@pytest.mark.parametrize("status", [S.SENT_BACK, S.APPROVED, S.REJECTED, S.WITHDRAWN, S.EXPIRED, S.REWARD_SENT])
def test_a_reviewer_decides_only_claims_under_review(reviewer, decide, status):
    claim = make_claim(status=status)
    with pytest.raises(ValidationError):
        decide(claim, reviewer)
    _nothing_written(claim, status, events=1)


@pytest.mark.parametrize("status", [S.SUBMITTED, S.SENT_BACK])
def test_the_owner_withdraws_a_claim_under_review(status):
    claim = make_claim(status=status)
    services.claim_withdraw(claim=claim, member=claim.member)
    claim.refresh_from_db()
    assert claim.status == S.WITHDRAWN and not claim.items.get().active
    event = claim.events.last()
    assert (event.from_status, event.to_status, event.actor) == (status, S.WITHDRAWN, claim.member)
    assert "withdrawn" in _notified(claim.member, "claim_withdrawn").subject


def test_another_member_cannot_withdraw():
    claim = make_claim()
    with pytest.raises(ValidationError) as err:
        services.claim_withdraw(claim=claim, member=UserFactory())
    assert err.value.code == "owner"
    _nothing_written(claim, S.SUBMITTED, events=1)
    assert claim.items.get().active


@pytest.mark.parametrize("status", [S.APPROVED, S.REWARD_SENT, S.REJECTED, S.WITHDRAWN, S.EXPIRED])
def test_a_decided_claim_cannot_be_withdrawn(status):
    claim = make_claim(status=status)
    with pytest.raises(ValidationError):
        services.claim_withdraw(claim=claim, member=claim.member)
    _nothing_written(claim, status, events=1)


def _sent_back_with_documents(reviewer):
    claim = make_claim()
    item = claim.items.get()
    ClaimDocument.objects.create(item=item, kind="serial_photo", file="claims/old-sticker.jpg", round=1)
    services.claim_send_back(claim=claim, reviewer=reviewer, reason=REASON)
    OutboxEmail.objects.all().delete()
    InboxMessage.objects.all().delete()
    return Claim.objects.get(pk=claim.pk), item


def test_resubmit_starts_a_new_round_keeps_old_documents_and_recomputes_the_due_date(reviewer):
    claim, item = _sent_back_with_documents(reviewer)
    member = claim.member
    invoice = upload_for(member, "invoice")
    # Mon 16 Mar 2026 + 14 Indonesian business days skips Nyepi (Thu 19 Mar) and Good Friday (3 Apr).
    with mock.patch("membercenter.claims.services.region_today", return_value=dt.date(2026, 3, 16)):
        services.claim_resubmit(
            claim=claim,
            member=member,
            recipient={"address": "Jl. Baru 1"},
            evidence=[services.ItemEvidence(product_id=item.product_id, invoice=invoice)],
        )
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.round == 2
    assert claim.due_on == dt.date(2026, 4, 7)
    assert claim.resubmitted_at is not None and claim.address == "Jl. Baru 1" and claim.full_name == "Joko"
    docs = list(item.documents.values_list("kind", "round"))
    assert docs == [("serial_photo", 1), ("invoice", 2)]
    assert not Upload.objects.filter(pk=invoice.pk).exists()  # the claim now owns the file
    event = claim.events.last()
    assert (event.from_status, event.to_status, event.actor, event.round) == (S.SENT_BACK, S.SUBMITTED, member, 2)
    assert claim.events.filter(to_status=S.SENT_BACK, note=REASON, round=1).exists()  # the old reason is kept
    _notified(member, "claim_received")


def test_resubmit_needs_a_new_document_and_the_owner(reviewer):
    claim, item = _sent_back_with_documents(reviewer)
    with pytest.raises(ValidationError):
        services.claim_resubmit(claim=claim, member=claim.member, recipient={}, evidence=[])
    stranger = UserFactory()
    with pytest.raises(ValidationError):
        services.claim_resubmit(
            claim=claim,
            member=stranger,
            recipient={},
            evidence=[services.ItemEvidence(product_id=item.product_id, invoice=upload_for(stranger, "invoice"))],
        )
    claim.refresh_from_db()
    assert claim.status == S.SENT_BACK and claim.round == 1 and item.documents.count() == 1


def test_resubmit_refuses_a_claim_that_was_not_sent_back():
    claim = make_claim()
    item = claim.items.get()
    with pytest.raises(ValidationError):
        services.claim_resubmit(
            claim=claim,
            member=claim.member,
            recipient={},
            evidence=[services.ItemEvidence(product_id=item.product_id, invoice=upload_for(claim.member, "invoice"))],
        )
    claim.refresh_from_db()
    assert claim.round == 1 and not item.documents.exists() and not OutboxEmail.objects.exists()


def test_resubmit_after_the_promotions_deadline_is_refused(reviewer):
    """The sent-back email says "please do it before <deadline>; after that the request expires"."""
    claim, item = _sent_back_with_documents(reviewer)
    claim.promotion.redeem_end = timezone.localdate() - dt.timedelta(days=1)
    claim.promotion.save()
    with pytest.raises(ValidationError) as err:
        services.claim_resubmit(
            claim=claim,
            member=claim.member,
            recipient={},
            evidence=[services.ItemEvidence(product_id=item.product_id, invoice=upload_for(claim.member, "invoice"))],
        )
    assert err.value.code == "deadline"
    claim.refresh_from_db()
    assert claim.status == S.SENT_BACK and claim.round == 1 and not OutboxEmail.objects.exists()


def test_sent_back_claims_expire_after_the_promotions_deadline_once():
    today = timezone.localdate()
    ended = PromotionFactory(redeem_end=today - dt.timedelta(days=1))
    last_day = PromotionFactory(redeem_end=today)
    late = make_claim(promotion=ended, status=S.SENT_BACK)
    in_time = make_claim(promotion=last_day, status=S.SENT_BACK)
    under_review = make_claim(promotion=ended, status=S.SUBMITTED)

    assert services.claims_expire_sent_back(today=today) == 1
    assert services.claims_expire_sent_back(today=today) == 0

    for claim, status in ((late, S.EXPIRED), (in_time, S.SENT_BACK), (under_review, S.SUBMITTED)):
        claim.refresh_from_db()
        assert claim.status == status
    assert not late.items.get().active
    event = late.events.last()
    assert (event.from_status, event.to_status, event.actor) == (S.SENT_BACK, S.EXPIRED, None)
    row = _notified(late.member, "claim_expired")
    assert "has expired" in row.subject
    assert OutboxEmail.objects.count() == 1 and InboxMessage.objects.count() == 1


def test_the_expiry_job_judges_the_deadline_on_the_claims_regional_date():
    region_date = timezone.localdate() - dt.timedelta(days=5)
    on_deadline = make_claim(promotion=PromotionFactory(redeem_end=region_date), status=S.SENT_BACK)
    past = make_claim(promotion=PromotionFactory(redeem_end=region_date - dt.timedelta(days=1)), status=S.SENT_BACK)
    with mock.patch("membercenter.claims.services.region_today", return_value=region_date):
        assert services.claims_expire_sent_back() == 1
    on_deadline.refresh_from_db()
    past.refresh_from_db()
    assert on_deadline.status == S.SENT_BACK and past.status == S.EXPIRED


# --- notifications leave only after commit, and land in the end --------------------


def _member_action(name):
    def run(claim, reviewer):
        if name == "withdraw":
            return services.claim_withdraw(claim=claim, member=claim.member)
        if name == "expire":
            Claim.objects.filter(pk=claim.pk).update(status=S.SENT_BACK)
            claim.promotion.redeem_end = timezone.localdate() - dt.timedelta(days=1)
            claim.promotion.save()
            return services.claims_expire_sent_back()
        if name == "approve":
            return services.claim_approve(claim=claim, reviewer=reviewer)
        if name == "send_back":
            return services.claim_send_back(claim=claim, reviewer=reviewer, reason=REASON)
        return services.claim_reject(claim=claim, reviewer=reviewer, reason=REASON)

    return run


@pytest.mark.parametrize("action", ["approve", "send_back", "reject", "withdraw", "expire"])
def test_a_transition_rolled_back_sends_nothing(reviewer, action, django_capture_on_commit_callbacks):
    claim = make_claim()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                _member_action(action)(claim, reviewer)
                assert OutboxEmail.objects.exists()  # written, inside the transaction
                raise RuntimeError("a later step of the same change failed")
    assert callbacks == [] and mail.outbox == []
    assert not OutboxEmail.objects.exists() and not InboxMessage.objects.exists()
    assert not AuditEntry.objects.exists()
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.events.count() == 1


def test_resubmit_rolled_back_sends_nothing(reviewer, django_capture_on_commit_callbacks):
    claim, item = _sent_back_with_documents(reviewer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.claim_resubmit(
                    claim=claim,
                    member=claim.member,
                    recipient={},
                    evidence=[
                        services.ItemEvidence(product_id=item.product_id, invoice=upload_for(claim.member, "invoice"))
                    ],
                )
                raise RuntimeError("boom")
    assert callbacks == [] and mail.outbox == []
    assert not OutboxEmail.objects.exists() and not InboxMessage.objects.exists()
    claim.refresh_from_db()
    assert claim.status == S.SENT_BACK and claim.round == 1


def test_a_decision_email_that_fails_is_retried_and_lands(reviewer, django_capture_on_commit_callbacks):
    claim = make_claim()
    real_send = EmailMultiAlternatives.send
    calls: list[str] = []

    def flaky_send(self, *args, **kwargs):
        calls.append(self.subject)
        if len(calls) == 1:
            raise ConnectionRefusedError("mail server down")
        return real_send(self, *args, **kwargs)

    with mock.patch.object(EmailMultiAlternatives, "send", flaky_send):
        with django_capture_on_commit_callbacks(execute=True):
            services.claim_send_back(claim=claim, reviewer=reviewer, reason=REASON)
        row = OutboxEmail.objects.get(template="claim_sent_back")
        assert mail.outbox == [] and row.status == OutboxEmail.Status.PENDING and row.attempts == 1
        assert "mail server down" in row.last_error and row.next_attempt_at > timezone.now()
        assert tasks.outbox_sweep() == 0  # backing off: not due yet
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        assert tasks.outbox_sweep() == 1
        assert tasks.outbox_sweep() == 0  # and never twice
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2 and len(calls) == 2
    [email] = mail.outbox
    assert REASON in email.body and email.to == [claim.member.email]
