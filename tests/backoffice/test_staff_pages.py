"""Staff home, reason templates, the audit log and failed emails."""

from __future__ import annotations

import datetime as dt
import html as htmllib
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.audit.services import audit_record
from membercenter.claims.models import ReasonTemplate
from membercenter.notifications import services as notification_services
from membercenter.notifications.models import OutboxEmail
from tests.backoffice.conftest import ReasonTemplateFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


# --- home -------------------------------------------------------------------------------------


def test_home_links_what_each_role_may_use(client, reviewer, manager, administrator):
    links = {
        "queue": reverse("backoffice:queue"),
        "promotions": reverse("backoffice:promotions"),
        "audit": reverse("backoffice:audit"),
        "outbox": reverse("backoffice:outbox"),
    }
    client.force_login(reviewer)
    html = text(client.get(reverse("backoffice:home")))
    assert links["queue"] in html and links["promotions"] not in html and links["audit"] not in html
    assert "Indonesia" in html
    client.force_login(manager)
    html = text(client.get(reverse("backoffice:home")))
    assert links["promotions"] in html and links["queue"] not in html
    client.force_login(administrator)
    html = text(client.get(reverse("backoffice:home")))
    assert all(url in html for url in links.values())
    assert "every region" in html


# --- reason templates -------------------------------------------------------------------------


def test_reason_templates_crud_is_audited(client, administrator):
    client.force_login(administrator)
    data = {"kind": "send_back", "title": "Blurred SN", "text_en": "The serial photo is blurred.",
            "text_id": "Foto nomor seri buram.", "is_active": "on", "position": "1"}  # fmt: skip
    assert client.post(reverse("backoffice:reason_create"), data).status_code == 302
    template = ReasonTemplate.objects.get()
    assert "Blurred SN" in text(client.get(reverse("backoffice:reasons")))

    data.update(text_en="The serial number photo is blurred.", is_active="")
    assert client.post(reverse("backoffice:reason_edit", args=[template.pk]), data).status_code == 302
    template.refresh_from_db()
    assert template.text_en == "The serial number photo is blurred." and not template.is_active

    assert client.post(reverse("backoffice:reason_delete", args=[template.pk])).status_code == 302
    assert not ReasonTemplate.objects.exists()
    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "summary"))
    assert [a for a, _ in entries] == ["reason_template.create", "reason_template.update", "reason_template.delete"]
    assert "text_en" in entries[1][1] and "is_active" in entries[1][1]


def test_reason_template_needs_both_languages(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("backoffice:reason_create"), {"kind": "reject", "title": "X", "text_en": "Y",
                                                                "text_id": "", "position": "0"})  # fmt: skip
    assert response.status_code == 200 and "This field is required." in text(response)
    assert not ReasonTemplate.objects.exists()


def test_a_reviewer_given_the_permission_may_keep_templates(client, reviewer):
    assert client.get(reverse("backoffice:reasons")).status_code == 302
    client.force_login(reviewer)
    assert client.get(reverse("backoffice:reasons")).status_code == 404
    reviewer.user_permissions.add(Permission.objects.get(codename="change_reasontemplate"))
    assert client.get(reverse("backoffice:reasons")).status_code == 200


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_filters(client, administrator, manager, reviewer):
    template = ReasonTemplateFactory()
    old = audit_record(actor=manager, action="promotion.create", target=template, summary="made long ago")
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    audit_record(actor=reviewer, action="claim.approved", target=template, summary="approved today")
    client.force_login(administrator)
    url = reverse("backoffice:audit")
    html = text(client.get(url))
    assert "made long ago" in html and "approved today" in html
    assert html.index("approved today") < html.index("made long ago")  # newest first
    assert "made long ago" not in text(client.get(url, {"actor": reviewer.pk}))
    assert "approved today" not in text(client.get(url, {"action": "promotion.create"}))
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert "made long ago" not in text(client.get(url, {"date_from": since}))
    until = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    html = text(client.get(url, {"date_to": until}))
    assert "made long ago" in html and "approved today" not in html
    assert "made long ago" in text(client.get(url, {"date_to": "not a date"}))  # bad filter: ignored


def test_audit_log_queries_do_not_grow_with_entries(client, administrator, django_assert_num_queries):
    template = ReasonTemplateFactory()
    actors = [UserFactory() for _ in range(3)]
    audit_record(actor=actors[0], action="claim.approved", target=template, summary="one")
    client.force_login(administrator)
    url = reverse("backoffice:audit")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    for n in range(120):
        audit_record(actor=actors[n % 3], action=f"action.{n % 4}", target=template, summary=f"entry {n}")
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = client.get(url)
    assert "Page 1 of 3" in text(response)


# --- failed emails ----------------------------------------------------------------------------


def _failed_email(user) -> OutboxEmail:
    row = notification_services.email_enqueue(
        template="verify_email", to=user.email, user=user, language="en",
        context={"user": user, "link": "L", "hours": 1},
    )  # fmt: skip
    OutboxEmail.objects.filter(pk=row.pk).update(
        status=OutboxEmail.Status.FAILED, attempts=8, last_error="SMTPRecipientsRefused: mailbox full"
    )
    return row


def test_failed_emails_listed_and_sent_again(client, administrator, django_capture_on_commit_callbacks):
    row = _failed_email(UserFactory(email="full@example.com"))
    OutboxEmail.objects.create(template="x", to="fine@example.com", subject="sent", body_text="b",
                               status=OutboxEmail.Status.SENT)  # fmt: skip
    client.force_login(administrator)
    html = text(client.get(reverse("backoffice:outbox")))
    assert "full@example.com" in html and "mailbox full" in html and "fine@example.com" not in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:outbox_resend", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT
    assert [m.to for m in mail.outbox] == [["full@example.com"]]
    entry = AuditEntry.objects.get(action="outbox.resend")
    assert entry.actor == administrator and "mailbox full" in entry.summary


def test_send_again_only_for_failed_emails(client, administrator):
    row = _failed_email(UserFactory())
    OutboxEmail.objects.filter(pk=row.pk).update(status=OutboxEmail.Status.SENT)
    client.force_login(administrator)
    response = client.post(reverse("backoffice:outbox_resend", args=[row.pk]), follow=True)
    assert "not waiting to be sent again" in text(response)
    assert not AuditEntry.objects.exists()


def test_send_again_that_fails_again_stays_visible(client, administrator, django_capture_on_commit_callbacks):
    row = _failed_email(UserFactory())
    client.force_login(administrator)
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("backoffice:outbox_resend", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and row.attempts == 1 and "down" in row.last_error
