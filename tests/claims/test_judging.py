"""A claim's evidence is judged by a background job after Submit, and a lost job is made up by the sweep."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from membercenter.claims import services, tasks
from membercenter.claims.checks import UNJUDGED_AFTER, UNJUDGED_WITHIN, claims_judge_unjudged
from membercenter.claims.models import Claim
from tests.claims.conftest import RECIPIENT, PromotionFactory, eligible_product, make_claim, submit, upload_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_submit_queues_the_judging_after_commit_instead_of_judging_in_the_request(django_capture_on_commit_callbacks):
    member = UserFactory()
    with mock.patch.object(tasks.judge, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        claim = submit(member, PromotionFactory(), [eligible_product(member)])

    delay.assert_called_once_with(claim.pk)
    claim.refresh_from_db()
    assert claim.checks == {} and claim.checks_passed is None  # the member did not wait for it


def test_the_job_judges_the_claim_and_stores_the_result():
    member = UserFactory()
    with mock.patch.object(tasks.judge, "delay"):
        claim = submit(member, PromotionFactory(), [eligible_product(member)])

    tasks.judge(claim.pk)
    tasks.judge(claim.pk)  # delivered twice: judged twice, the same judgement stored

    claim.refresh_from_db()
    [row] = claim.checks["items"]
    # The factory's product and photo have no reading: one "not known" verdict each, for a reviewer to look.
    assert [(v["check"], v["ok"]) for v in row["verdicts"]] == [("readable", None), ("readable", None)]
    assert claim.checks_passed is None


def test_the_sweep_judges_only_rounds_whose_job_was_lost():
    now = timezone.now()
    lost = make_claim(submitted_at=now - UNJUDGED_AFTER - dt.timedelta(seconds=5))
    recent = make_claim(submitted_at=now - dt.timedelta(seconds=20))  # its job is still on its way
    judged = make_claim(submitted_at=now - dt.timedelta(hours=1), checks={"items": [], "at": now.isoformat()})
    decided = make_claim(status=Claim.Status.APPROVED, submitted_at=now - dt.timedelta(hours=1))
    again_lost = make_claim(
        status=Claim.Status.SUBMITTED,
        submitted_at=now - dt.timedelta(days=3),
        resubmitted_at=now - UNJUDGED_AFTER - dt.timedelta(seconds=5),
    )
    again_recent = make_claim(submitted_at=now - dt.timedelta(days=3), resubmitted_at=now - dt.timedelta(seconds=20))
    too_old = make_claim(submitted_at=now - UNJUDGED_WITHIN - dt.timedelta(minutes=1))  # left to a reviewer

    assert claims_judge_unjudged(now=now) == 2

    def checks(claim):
        claim.refresh_from_db()
        return claim.checks

    assert checks(lost)["items"] and checks(again_lost)["items"]
    assert checks(recent) == {} and checks(again_recent) == {} and checks(decided) == {} and checks(too_old) == {}
    assert checks(judged) == {"items": [], "at": judged.checks["at"]}
    assert claims_judge_unjudged(now=now) == 0  # nothing left: a second run changes nothing


def test_sending_again_drops_the_earlier_rounds_checks_until_the_new_round_is_judged(
    django_capture_on_commit_callbacks,
):
    claim = make_claim(status=Claim.Status.SENT_BACK, checks={"items": [], "at": "2026-01-01"}, checks_passed=True)
    item = claim.items.get()
    evidence = [services.ItemEvidence(product_id=item.product_id, serial_photo=upload_for(claim.member))]

    with mock.patch.object(tasks.judge, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        services.claim_resubmit(claim=claim, member=claim.member, recipient=RECIPIENT, evidence=evidence)

    delay.assert_called_once_with(claim.pk)
    claim.refresh_from_db()
    assert claim.round == 2 and claim.checks == {} and claim.checks_passed is None


def test_one_claim_that_cannot_be_judged_does_not_keep_the_others_waiting(monkeypatch, caplog):
    from membercenter.claims import checks

    now = timezone.now()
    broken, fine = (make_claim(submitted_at=now - UNJUDGED_AFTER - dt.timedelta(seconds=5)) for _ in range(2))
    judge = checks.claim_checks_refresh

    def refresh(pk, **kwargs):
        if pk == broken.pk:
            raise ValueError("a reading that cannot be parsed")
        return judge(pk, **kwargs)

    monkeypatch.setattr(checks, "claim_checks_refresh", refresh)

    assert claims_judge_unjudged(now=now) == 1
    fine.refresh_from_db()
    assert fine.checks["items"]
    assert f"claim {broken.pk}: the checks could not be judged" in caplog.text


def test_a_cache_that_does_not_answer_does_not_fail_a_decision(monkeypatch, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    claim = make_claim()
    monkeypatch.setattr(cache, "delete", down)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_withdraw(claim=claim, member=claim.member)  # leaves the active statuses: stock forgotten

    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN
