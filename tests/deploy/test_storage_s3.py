"""Files on an S3-compatible bucket: private objects, shown only through the authorising views.

A real S3 HTTP API (moto's standalone server, started here as a subprocess) stands in for
the bucket; the app talks to it through django-storages exactly as to AWS S3 or MinIO.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid

import boto3
import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from membercenter.evidence import services as evidence
from membercenter.evidence.models import Scan, Upload
from membercenter.lib.storage import s3_storage
from membercenter.products.models import RegisteredProduct
from tests.deploy.conftest import PYTHON, ROOT, free_port, stop, wait_for_port
from tests.factories import UserFactory, image_bytes

pytestmark = pytest.mark.django_db

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on a free port, for this test process."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 — our interpreter, moto's module
        [PYTHON, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A new bucket, and the app's default storage on it (as STORAGE_BACKEND=s3 configures it)."""
    name = f"mc-e-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=name,
            endpoint_url=s3_endpoint,
            region="us-east-1",
            access_key="test",
            secret_key="test",
            prefix="media",
        ),
    }
    return name


def s3(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS)


def keys(endpoint: str, bucket: str) -> list[str]:
    return [item["Key"] for item in s3(endpoint).list_objects_v2(Bucket=bucket).get("Contents", [])]


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


# --- the member's invoice, through the registration wizard ------------------------------------


def test_an_invoice_uploaded_by_a_member_is_private_in_the_bucket_and_shown_only_to_them(
    wizard, serial, store, member, s3_endpoint, bucket, client
):
    wizard.through_chk(serial)

    response = wizard.purchase_step(store=store)

    assert response.status_code == 302
    product = RegisteredProduct.objects.get()
    key = f"media/{product.invoice.name}"
    assert product.invoice.name.startswith("uploads/") and product.invoice.name.endswith(".jpg")
    assert keys(s3_endpoint, bucket) == [key]
    stored = s3(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored[:3] == b"\xff\xd8\xff"  # the re-encoded JPEG, not the upload

    # Nobody reaches the object without credentials.
    assert requests.get(f"{s3_endpoint}/{bucket}/{key}", timeout=10).status_code == 403

    # The member sees it through the app, byte for byte.
    shown = client.get(reverse("products:invoice", args=[product.pk]))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/jpeg" and shown["Cache-Control"] == "private, no-store"
    assert streamed(shown) == stored

    # Another member does not.
    client.force_login(UserFactory())
    assert client.get(reverse("products:invoice", args=[product.pk])).status_code == 404


def test_the_only_urls_the_storage_makes_are_signed_and_expire_within_a_minute(s3_endpoint, bucket):
    name = default_storage.save("uploads/2026/01/signed.jpg", ContentFile(image_bytes("JPEG")))

    url = default_storage.url(name)

    assert "X-Amz-Signature=" in url and "X-Amz-Expires=60" in url
    assert requests.get(url, timeout=10).status_code == 200
    assert requests.get(url.split("?", 1)[0], timeout=10).status_code == 403


def test_a_name_already_taken_is_never_overwritten(s3_endpoint, bucket):
    first = default_storage.save("uploads/2026/01/same.jpg", ContentFile(b"first"))
    second = default_storage.save("uploads/2026/01/same.jpg", ContentFile(b"second"))

    assert first != second
    assert default_storage.open(first).read() == b"first"


# --- the other authorising views ----------------------------------------------------------------


def test_pending_uploads_are_stored_read_shown_and_purged_on_s3(s3_endpoint, bucket, client, monkeypatch):
    owner = UserFactory()
    monkeypatch.setattr("membercenter.evidence.ocr.ocr_image", lambda image: [])  # reading is not the point here
    picture = SimpleUploadedFile("sticker.jpg", image_bytes("JPEG", size=(900, 700)), content_type="image/jpeg")

    upload = evidence.upload_store(owner=owner, kind=Upload.Kind.SERIAL_PHOTO, upload=picture)
    key = f"media/{upload.file.name}"
    assert key in keys(s3_endpoint, bucket)

    # The reading job opens the picture from the bucket (default_storage.open).
    assert evidence.scan_read(upload.scan_id).state == Scan.State.DONE

    url = reverse("evidence:upload", args=[upload.pk])
    client.force_login(owner)
    assert streamed(client.get(url))[:3] == b"\xff\xd8\xff"
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404

    # An upload no claim took is removed with its file.
    assert evidence.uploads_purge_stale(now=upload.created_at + dt.timedelta(days=2)) == 1
    assert key not in keys(s3_endpoint, bucket)


def test_claim_documents_for_the_member_and_the_reviewer_on_s3(s3_endpoint, bucket, client, reviewer, indonesia):
    from tests.backoffice.conftest import ClaimFactory

    claim = ClaimFactory(region=indonesia)
    document = claim.items.get().documents.get()
    assert f"media/{document.file.name}" in keys(s3_endpoint, bucket)

    client.force_login(claim.member)
    mine = client.get(reverse("claims:document", args=[claim.pk, document.pk]))
    assert mine.status_code == 200 and streamed(mine)[:3] == b"\xff\xd8\xff"

    client.force_login(reviewer)
    staff = client.get(reverse("backoffice:claim_document", args=[claim.pk, document.pk]))
    assert staff.status_code == 200 and streamed(staff)[:3] == b"\xff\xd8\xff"

    client.force_login(UserFactory())
    assert client.get(reverse("claims:document", args=[claim.pk, document.pk])).status_code == 404


def test_an_object_missing_from_the_bucket_is_a_404_not_an_error(s3_endpoint, bucket, client):
    from tests.factories import RegisteredProductFactory

    product = RegisteredProductFactory()
    s3(s3_endpoint).delete_object(Bucket=bucket, Key=f"media/{product.invoice.name}")

    client.force_login(product.member)
    assert client.get(reverse("products:invoice", args=[product.pk])).status_code == 404


# --- /health/ on S3 -------------------------------------------------------------------------------


def test_health_reports_the_bucket(s3_endpoint, bucket, client, settings):
    body = client.get("/health/").json()
    assert body["checks"]["storage"]["status"] == "ok" and body["checks"]["storage"]["backend"] == "s3"

    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(bucket="mc-e-no-such-bucket", endpoint_url=s3_endpoint, access_key="t", secret_key="t"),
    }
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["error"] == "ClientError"
    assert b"mc-e-no-such-bucket" not in response.content and s3_endpoint.encode() not in response.content
