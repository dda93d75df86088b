from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from membercenter.audit.models import AuditEntry
from membercenter.support.models import FaqEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_faq_page_shows_published_entries_in_the_visitors_language(client):
    FaqEntry.objects.create(question_en="Why?", question_id="Mengapa?", answer_en="Because.", answer_id="Karena.")
    FaqEntry.objects.create(
        question_en="Hidden", question_id="Tersembunyi", answer_en="x", answer_id="x", is_published=False
    )
    page = client.get(reverse("support:faq"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Why?" in page and "Because." in page and "Hidden" not in page
    with translation.override("id"):
        client.cookies["django_language"] = "id"
        page = client.get(reverse("support:faq")).content.decode()
    assert "Mengapa?" in page and "Karena." in page


def test_staff_edit_of_the_faq_is_audited(client):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    data = {
        "question_en": "Q",
        "question_id": "T",
        "answer_en": "A",
        "answer_id": "J",
        "position": 0,
        "is_published": "on",
    }
    response = client.post(reverse("admin:support_faqentry_add"), data)
    assert response.status_code == 302
    entry = FaqEntry.objects.get()
    audit = AuditEntry.objects.get(action="faq.create")
    assert audit.actor == admin_user and audit.target_id == str(entry.pk)
