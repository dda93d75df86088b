"""Must show: codes never appear in logs, in the audit log's text, or unmasked on staff pages.

Codes with known values go the whole way — imported on the staff page, claims submitted and
approved, the period ends, allocated and delivered by the jobs, revealed by the member, the
email resent by staff — with every log record (DEBUG, SQL included) captured. Then the test
searches for the codes everywhere a person other than the member could read them. The sent
emails are the positive control: the codes are there, so the search can find them.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.claims.models import Claim, ClaimEvent
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.promotions.models import Promotion
from membercenter.rewards.crypto import code_decrypt, code_mask
from membercenter.rewards.models import RewardCode, RewardGrant
from membercenter.rewards.services import code_reveal, rewards_allocate, rewards_deliver
from tests.claims.conftest import eligible_product, submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CODES = ["SECRET-ALPHA-9K2Q", "SECRET-BRAVO-7M4Z", "SECRET-CHARLIE-3P8W"]
AFTER_THE_PERIOD = dt.timedelta(days=400)


def leaks(text: str) -> list[str]:
    return [code for code in CODES if code in text]


@pytest.fixture
def period_end_promotion(reward_code_promotion, code_reward):
    Promotion.objects.filter(pk=reward_code_promotion.pk).update(reward_delivery=Promotion.Delivery.PERIOD_END)
    reward_code_promotion.refresh_from_db()
    return reward_code_promotion


def test_codes_never_appear_in_logs_audit_outbox_inbox_staff_pages_or_the_database(
    client, caplog, manager, administrator, code_reward, period_end_promotion, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    for name in ("celery", "django", "django.db.backends", "membercenter"):
        caplog.set_level(logging.DEBUG, logger=name)
    members = [UserFactory(email="siti@example.com"), UserFactory(email="budi@example.com")]
    staff_pages: dict[str, str] = {}

    with CaptureQueriesContext(connection) as sql:  # also makes Django log every query at DEBUG
        # 1. A promotion manager imports the codes on the staff page (the third stays free).
        client.force_login(manager)
        upload = SimpleUploadedFile("codes.csv", ("code\n" + "\n".join(CODES) + "\n").encode(), "text/csv")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("backoffice:codes_import", args=[code_reward.pk]), {"file": upload})
        staff_pages["import report"] = response.content.decode()
        assert "3 codes added." in staff_pages["import report"]

        # 2. Members submit, a reviewer approves on the claim page.
        claims = [submit(m, period_end_promotion, [eligible_product(m)]) for m in members]
        client.force_login(administrator)
        for claim in claims:
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("backoffice:claim_approve", args=[claim.pk]))
        assert set(RewardGrant.objects.values_list("status", flat=True)) == {RewardGrant.Status.WAITING}

        # 3. The period is over: the jobs allocate and deliver (the outbox sends after commit).
        later = timezone.now() + AFTER_THE_PERIOD
        with django_capture_on_commit_callbacks(execute=True):
            assert rewards_allocate(now=later) == 2
            assert rewards_deliver(now=later) == 2
        grants = list(RewardGrant.objects.select_related("code", "item__claim__member").order_by("pk"))
        given = {g.item.claim.member.email: code_decrypt(g.code.ciphertext) for g in grants}
        assert sorted(given.values()) == sorted(CODES[:2])

        # 4. The member shows the code on screen; staff resend the email.
        for grant in grants:
            assert code_reveal(grant=grant, member=grant.item.claim.member) == given[grant.item.claim.member.email]
        client.force_login(manager)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("backoffice:grant_resend", args=[grants[0].pk]))

        # 5. Every staff page that shows these rewards, claims or logs.
        staff_pages["pool page"] = client.get(reverse("backoffice:reward", args=[code_reward.pk])).content.decode()
        staff_pages["tier table"] = client.get(
            reverse("backoffice:rewards", args=[period_end_promotion.pk])
        ).content.decode()
        export = client.get(reverse("backoffice:export_claims"))
        staff_pages["finance export"] = b"".join(export.streaming_content).decode()
        client.force_login(administrator)
        for claim in claims:
            staff_pages[f"claim page #{claim.pk}"] = client.get(
                reverse("backoffice:claim", args=[claim.pk])
            ).content.decode()
        staff_pages["audit log"] = client.get(reverse("backoffice:audit")).content.decode()
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        staff_pages["admin codes"] = client.get("/admin/rewards/rewardcode/").content.decode()
        staff_pages["admin grant"] = client.get(f"/admin/rewards/rewardgrant/{grants[0].pk}/change/").content.decode()

    # The positive control: the emails that left do carry the codes, each to its own member.
    code_mails = [m for m in mail.outbox if any(code in m.body for code in CODES)]
    resent_to = grants[0].item.claim.member.email
    assert sorted((m.to[0], leaks(m.body)[0]) for m in code_mails) == sorted(
        [*given.items(), (resent_to, given[resent_to])]  # two deliveries and the resend
    )
    assert all(leaks(m.alternatives[0][0]) == leaks(m.body) for m in code_mails)
    assert len(caplog.records) > 50 and any(r.name == "django.db.backends" for r in caplog.records)

    # Nowhere else.
    for name, html in staff_pages.items():
        assert html and not leaks(html), f"a code is on the {name}"
    pool_page = staff_pages["pool page"]
    assert all(code_mask(code) in pool_page for code in CODES)  # what staff see instead
    assert not leaks(caplog.text), "a code is in the logs"
    assert not [q["sql"] for q in sql.captured_queries if leaks(q["sql"])], "a code is in an SQL statement"
    entries = list(AuditEntry.objects.values_list("action", "summary"))
    assert {"codes.import", "claim.approved", "reward.reveal", "reward.resend", "export.claims"} <= {
        a for a, _ in entries
    }
    assert not [e for e in entries if leaks(e[1])], "a code is in the audit log"
    outbox = list(OutboxEmail.objects.values_list("subject", "body_text", "body_html"))
    assert len([row for row in outbox if "[[reward-code:" in row[1]]) == 3  # two deliveries and the resend
    assert not [row for row in outbox if leaks(" ".join(row))], "a code is stored in the outbox"
    inbox = list(InboxMessage.objects.values_list("subject", "body"))
    assert inbox and not [row for row in inbox if leaks(" ".join(row))], "a code is in the in-site inbox"
    assert not [n for n in ClaimEvent.objects.values_list("note", flat=True) if leaks(n)]
    assert not [c for c in Claim.objects.values_list("reason", flat=True) if leaks(c)]
    stored = list(RewardCode.objects.values_list("ciphertext", "fingerprint"))
    assert len(stored) == 3 and not [row for row in stored if leaks(" ".join(row))], "a code is stored in clear"
