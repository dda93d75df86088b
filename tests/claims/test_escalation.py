"""Due-date escalation: a claim still waiting past its decision date is escalated once, to the right staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, REVIEWER
from membercenter.claims import tasks
from membercenter.claims.models import Claim, ClaimEvent
from membercenter.claims.services import ESCALATION_LIST_MAX, claims_escalate_overdue
from membercenter.notifications.jobs import run_due
from membercenter.notifications.models import OutboxEmail
from membercenter.products.services import region_today
from tests.claims.conftest import eligible_product, make_claim
from tests.factories import RegionFactory, UserFactory, staff
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def indonesia(db):
    return RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia", time_zone="Asia/Jakarta")


@pytest.fixture
def malaysia(db):
    return RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", time_zone="Asia/Kuala_Lumpur")


def claim_due(region, days_from_today: int, status: str = Claim.Status.SUBMITTED) -> Claim:
    claim = make_claim(product=eligible_product(region=region), status=status)
    due_on = region_today(region) + dt.timedelta(days=days_from_today)
    Claim.objects.filter(pk=claim.pk).update(due_on=due_on)
    claim.refresh_from_db()
    return claim


def sent_to(user) -> list[OutboxEmail]:
    """The emails written to `user` (they leave after commit; the outbox tests cover that)."""
    return list(OutboxEmail.objects.filter(to=user.email).order_by("pk"))


@pytest.fixture
def overdue(indonesia):
    return claim_due(indonesia, -1)


def test_an_overdue_claim_is_escalated_once(overdue, indonesia):
    reviewer = staff(REVIEWER, regions=(indonesia,), first_name="Rina")

    assert claims_escalate_overdue() == 1
    assert claims_escalate_overdue() == 0  # the next hourly run

    overdue.refresh_from_db()
    assert overdue.escalated_at is not None and overdue.status == Claim.Status.SUBMITTED
    [event] = ClaimEvent.objects.filter(claim=overdue, actor=None, note__startswith="Decision overdue")
    assert event.to_status == Claim.Status.SUBMITTED and event.round == overdue.round
    [email] = sent_to(reviewer)
    assert email.subject == "1 claim is past its decision date" and email.template == "claims_overdue"
    assert f"#{overdue.pk}" in email.body_text and f"/staff/claims/{overdue.pk}/" in email.body_text
    assert "/staff/claims/?due=overdue" in email.body_text and f"/staff/claims/{overdue.pk}/" in email.body_html
    assert OutboxEmail.objects.count() == 1


def test_a_claim_due_today_or_later_is_not_escalated(indonesia):
    staff(REVIEWER, regions=(indonesia,))
    due_today, due_tomorrow = claim_due(indonesia, 0), claim_due(indonesia, 1)

    assert claims_escalate_overdue() == 0
    assert claims_escalate_overdue(today=due_today.due_on) == 0
    assert claims_escalate_overdue(today=due_today.due_on + dt.timedelta(days=1)) == 1  # the next day

    due_today.refresh_from_db(), due_tomorrow.refresh_from_db()
    assert due_today.escalated_at is not None and due_tomorrow.escalated_at is None


@pytest.mark.parametrize("status", sorted(set(Claim.Status) - {Claim.Status.SUBMITTED}))
def test_a_claim_no_longer_waiting_for_a_decision_is_not_escalated(indonesia, status):
    staff(ADMINISTRATOR)
    claim = claim_due(indonesia, -5, status=status)

    assert claims_escalate_overdue() == 0

    claim.refresh_from_db()
    assert claim.escalated_at is None and not OutboxEmail.objects.exists()


def test_the_reviewers_of_the_region_and_the_administrators_are_told_no_one_else(indonesia, malaysia):
    id_claim, my_claim = claim_due(indonesia, -2), claim_due(malaysia, -2)
    id_reviewer = staff(REVIEWER, regions=(indonesia,), first_name="Rina")
    my_reviewer = staff(REVIEWER, regions=(malaysia,), first_name="Aisyah")
    both = staff(REVIEWER, regions=(indonesia, malaysia), first_name="Dewi")
    admin = staff(ADMINISTRATOR, first_name="Adi")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    left = staff(REVIEWER, regions=(indonesia,), is_active=False)
    manager = staff(PROMOTION_MANAGER, regions=(indonesia,))
    no_role = staff(None, regions=(indonesia,))  # "reviews claims of" set, but not a reviewer
    member = id_claim.member

    assert claims_escalate_overdue() == 2

    def numbers(user) -> list[str]:
        [email] = sent_to(user)
        return [n for n in (f"#{id_claim.pk}", f"#{my_claim.pk}") if n in email.body_text]

    assert numbers(id_reviewer) == [f"#{id_claim.pk}"]
    assert numbers(my_reviewer) == [f"#{my_claim.pk}"]
    assert numbers(both) == numbers(admin) == numbers(superuser) == [f"#{id_claim.pk}", f"#{my_claim.pk}"]
    for user in (left, manager, no_role, member):
        assert sent_to(user) == []
    assert OutboxEmail.objects.count() == 5 and OutboxEmail.objects.filter(user=admin).count() == 1


def test_staff_are_written_to_in_their_language(indonesia):
    claim = claim_due(indonesia, -1)
    Claim.objects.filter(pk=claim.pk).update(due_on=dt.date(2026, 3, 2))
    english = staff(REVIEWER, regions=(indonesia,), first_name="Rina", language="en")
    indonesian = staff(REVIEWER, regions=(indonesia,), first_name="Dewi", language="id")

    claims_escalate_overdue()

    [en], [id_] = sent_to(english), sent_to(indonesian)
    assert en.body_text.startswith("Dear Rina,") and "2 March 2026" in en.body_text
    assert id_.body_text.startswith("Yth. Dewi,") and "2 Maret 2026" in id_.body_text


def test_a_long_list_is_cut_and_points_to_the_queue(indonesia):
    admin = staff(ADMINISTRATOR)
    for _ in range(ESCALATION_LIST_MAX + 2):
        claim_due(indonesia, -3)

    assert claims_escalate_overdue() == ESCALATION_LIST_MAX + 2

    [email] = sent_to(admin)
    assert email.subject == f"{ESCALATION_LIST_MAX + 2} claims are past their decision date"
    assert email.body_text.count("/staff/claims/") == ESCALATION_LIST_MAX + 1  # the listed claims and the queue
    assert "…and 2 more." in email.body_text


def test_a_resubmitted_claim_gets_a_new_deadline_and_may_be_escalated_again(overdue, indonesia):
    admin = staff(ADMINISTRATOR)
    claims_escalate_overdue()
    # Sent back, then sent again: a new round with a new due date, which passes too.
    Claim.objects.filter(pk=overdue.pk).update(
        resubmitted_at=timezone.now() + dt.timedelta(seconds=1), round=2, due_on=region_today(indonesia)
    )
    assert claims_escalate_overdue() == 0

    assert claims_escalate_overdue(today=region_today(indonesia) + dt.timedelta(days=1)) == 1

    assert len(sent_to(admin)) == 2
    assert ClaimEvent.objects.filter(claim=overdue, note__startswith="Decision overdue").count() == 2


def test_the_hourly_job_is_scheduled_and_runs_in_process(overdue, settings):
    staff(ADMINISTRATOR)
    entry = settings.CELERY_BEAT_SCHEDULE["claims-escalate"]
    assert entry == {"task": "membercenter.claims.tasks.escalate_overdue", "schedule": 3600.0}

    assert "claims-escalate" in run_due({}, 10_000.0)

    overdue.refresh_from_db()
    assert overdue.escalated_at is not None and tasks.escalate_overdue() == 0


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_escalate_each_claim_once(indonesia):
    reviewer = staff(REVIEWER, regions=(indonesia,))
    admin = staff(ADMINISTRATOR)
    claims = [claim_due(indonesia, -1) for _ in range(6)]

    results = run_together([claims_escalate_overdue, claims_escalate_overdue, claims_escalate_overdue])

    assert sum(results) == 6, results
    for claim in claims:
        assert ClaimEvent.objects.filter(claim=claim, note__startswith="Decision overdue").count() == 1
    listed = [m.body_text.count("/staff/claims/") - 1 for m in sent_to(admin)]
    assert sum(listed) == 6  # every claim in exactly one email, however the runs shared them
    assert len(sent_to(reviewer)) == len(listed)
    assert len(mail.outbox) == 2 * len(listed)  # and each of those emails left once
