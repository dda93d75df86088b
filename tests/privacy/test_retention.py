from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from membercenter.celery import app
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Scan
from membercenter.privacy.services import documents_retention_purge
from tests.claims.conftest import make_claim
from tests.factories import RegisteredProductFactory, UserFactory
from tests.privacy.conftest import close_long_ago, document

DAYS = 730


@pytest.fixture
def claims(db, indonesia, settings) -> dict[str, Claim]:  # noqa: ANN001
    settings.DOCUMENT_RETENTION_DAYS = DAYS
    member = UserFactory(region=indonesia)
    made = {}
    for name, status, closed_days_ago in [
        ("old_rejected", Claim.Status.REJECTED, DAYS + 5),
        ("old_rewarded", Claim.Status.REWARD_SENT, DAYS + 1),
        ("old_expired", Claim.Status.EXPIRED, DAYS + 400),
        ("old_withdrawn", Claim.Status.WITHDRAWN, DAYS + 30),
        ("recent_rejected", Claim.Status.REJECTED, DAYS - 1),
        ("old_but_submitted", Claim.Status.SUBMITTED, DAYS + 100),
        ("old_but_approved", Claim.Status.APPROVED, DAYS + 100),
        ("old_but_sent_back", Claim.Status.SENT_BACK, DAYS + 100),
    ]:
        product = RegisteredProductFactory(member=member, region=indonesia)
        claim = make_claim(product=product, status=status)
        document(claim, owner=member, ocr="Sitiwati Rahmadani")
        document(claim, ClaimDocument.Kind.INVOICE, owner=member)
        close_long_ago(claim, days=closed_days_ago)
        made[name] = claim
    return made


def docs_of(claim: Claim) -> list[ClaimDocument]:
    return list(ClaimDocument.objects.filter(item__claim=claim).select_related("scan"))


def test_only_the_documents_of_claims_closed_long_ago_are_removed(claims, django_capture_on_commit_callbacks):
    files = {name: [d.file.name for d in docs_of(c)] for name, c in claims.items()}

    with django_capture_on_commit_callbacks(execute=True):
        removed = documents_retention_purge()

    gone = {"old_rejected", "old_rewarded", "old_expired", "old_withdrawn"}
    assert removed == 2 * len(gone)
    for name, claim in claims.items():
        docs = docs_of(claim)
        assert len(docs) == 2  # the rows stay: kind, round, date
        if name in gone:
            assert all(d.file.name == "" for d in docs), name
            assert not any(default_storage.exists(f) for f in files[name]), name
            # The reading keeps its fingerprint for the fraud signals, not the text it read.
            assert all(d.scan.boxes == [] and d.scan.phash == "ffff0000ffff0000" for d in docs)
        else:
            assert [d.file.name for d in docs] == files[name], name
            assert all(default_storage.exists(f) for f in files[name]), name
        assert Claim.objects.get(pk=claim.pk).status == claim.status  # the claim itself is untouched


def test_a_product_invoice_is_not_a_claim_document(claims, django_capture_on_commit_callbacks):
    product = claims["old_rejected"].items.get().product

    with django_capture_on_commit_callbacks(execute=True):
        documents_retention_purge()

    product.refresh_from_db()
    assert product.invoice.name and default_storage.exists(product.invoice.name)


def test_the_job_is_idempotent(claims, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = documents_retention_purge()
    with django_capture_on_commit_callbacks(execute=True):
        second = documents_retention_purge()

    assert (first, second) == (8, 0)


def test_a_shorter_setting_reaches_more_claims(claims, settings, django_capture_on_commit_callbacks):
    settings.DOCUMENT_RETENTION_DAYS = 30

    with django_capture_on_commit_callbacks(execute=True):
        removed = documents_retention_purge()

    assert removed == 10  # the recent rejection too; never the claims still open
    assert all(d.file for d in docs_of(claims["old_but_submitted"]))


def test_the_command_runs_it_now(claims, django_capture_on_commit_callbacks):
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("documents_retention", stdout=out)

    assert out.getvalue().startswith("8 documents removed")
    assert not Scan.objects.filter(file__in=[""]).exclude(boxes=[]).exists()


def test_beat_runs_the_job_and_the_task_exists():
    entry = settings.CELERY_BEAT_SCHEDULE["documents-retention"]

    assert entry["task"] == "membercenter.privacy.tasks.documents_retention"
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_the_reviewer_sees_that_a_document_was_removed(claims, reviewer, django_capture_on_commit_callbacks):
    claim = claims["old_rejected"]
    with django_capture_on_commit_callbacks(execute=True):
        documents_retention_purge()
    client = Client()
    client.force_login(reviewer)

    response = client.get(reverse("backoffice:claim", args=[claim.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Document removed under the retention policy.") == 2
    for doc in docs_of(claim):  # no picture or link to a file that is gone
        assert reverse("backoffice:claim_document", args=[claim.pk, doc.pk]) not in html
