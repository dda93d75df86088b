from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from membercenter.audit.models import AuditEntry
from membercenter.claims.models import Claim, ClaimDocument
from tests.privacy.conftest import Person

EXPORT = "/accounts/privacy/download/"


@pytest.fixture
def two_members(rich_member) -> tuple[Person, Person]:
    siti = rich_member(first_name="Sitiwati", last_name="Rahmadani", phone="081299887766", address="Jl. Kenanga 42")
    agus = rich_member(first_name="Agustinus", last_name="Wibisono", phone="085711223344", address="Jl. Melati 7")
    return siti, agus


def download(person: Person) -> tuple[zipfile.ZipFile, dict, object]:
    response = person.client.post(EXPORT)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(body))
    return archive, json.loads(archive.read("data.json")), response


def test_the_page_explains_and_offers_a_post_button(two_members):
    siti, _ = two_members

    response = siti.client.get(reverse("privacy:export"))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<form method="post"[^>]*>.*?<button type="submit"', html, re.S)
    assert "data.json" in html and "documents/" in html


def test_the_download_is_a_private_attachment(two_members):
    siti, _ = two_members

    _, _, response = download(siti)

    today = timezone.localtime().strftime("%Y%m%d")
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="member-data-{today}.zip"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_archive_holds_the_members_own_data_and_documents(two_members):
    siti, agus = two_members

    archive, data, _ = download(siti)

    assert data["profile"]["email"] == siti.user.email
    assert data["profile"]["phone"] == "081299887766"
    assert [n["newsletter"] for n in data["newsletters"]] == ["news"]
    assert sorted(p["serial_number"] for p in data["products"]) == sorted(p.serial.sn for p in siti.products)
    assert {c["id"] for c in data["claims"]} == {c.pk for c in siti.claims.values()}
    assert data["inbox"] and data["support_requests"][0]["message"].startswith("Please call me")
    assert data["sessions"][0]["device"] == siti.needles["device"]
    assert len(data["pending_uploads"]) == 1
    # Every file the JSON names is in the archive, byte for byte the stored file; nothing else is.
    named = [p["invoice"] for p in data["products"]]
    named += [d["file"] for c in data["claims"] for i in c["items"] for d in i["documents"]]
    named += [u["file"] for u in data["pending_uploads"]]
    assert sorted(named) == sorted(n for n in archive.namelist() if n != "data.json")
    assert len(named) == len(siti.files)
    stored = {default_storage.open(name).read() for name in siti.files}
    assert {archive.read(name) for name in named} == stored
    assert "documents_missing" not in data


def test_the_archive_never_holds_another_members_data(two_members):
    siti, agus = two_members

    archive, data, _ = download(siti)

    everything = json.dumps(data) + "".join(archive.namelist())
    for needle in agus.needles.values():
        assert needle.lower() not in everything.lower()
    agus_claims = {c.pk for c in agus.claims.values()}
    assert not [n for n in archive.namelist() if any(n.startswith(f"documents/claims/{pk}/") for pk in agus_claims)]
    agus_products = {p.pk for p in agus.products}
    assert not {p["id"] for p in data["products"]} & agus_products
    assert not {c.pk for c in agus.claims.values()} & {c["id"] for c in data["claims"]}


def test_staff_only_fields_are_left_out(two_members, reviewer):
    siti, _ = two_members
    submitted = siti.claims["submitted"]
    Claim.objects.filter(pk=submitted.pk).update(held_by=reviewer, held_until=timezone.now())

    _, data, _ = download(siti)

    text = json.dumps(data)
    internals = ("checks", "checks_passed", "flags", "phone_key", "address_key", "held_by", "escalated_at", "actor")
    for internal in internals:
        assert f'"{internal}"' not in text
    assert "burst" not in text  # the fraud flag's code
    assert "ffff0000ffff0000" not in text  # the picture's perceptual hash
    assert reviewer.email not in text and reviewer.first_name not in text
    # The reason of a rejection is what the member was told: it is there.
    rejected = next(c for c in data["claims"] if c["id"] == siti.claims["rejected"].pk)
    assert rejected["reason"] == "Invoice unreadable"


def test_a_delivered_code_is_exported_as_the_member_sees_it(two_members):
    siti, _ = two_members

    _, data, _ = download(siti)

    rewarded = next(c for c in data["claims"] if c["id"] == siti.claims["rewarded"].pk)
    assert rewarded["items"][0]["reward"]["code"] == siti.code
    others = [i["reward"] for c in data["claims"] if c["id"] != rewarded["id"] for i in c["items"]]
    assert all(r is None for r in others)
    entry = AuditEntry.objects.get(action="privacy.export", target_id=str(siti.user.pk))
    assert "1 delivered reward codes" in entry.summary


def test_a_file_missing_from_storage_is_listed_not_an_error(two_members):
    siti, _ = two_members
    doc = ClaimDocument.objects.filter(item__claim=siti.claims["rejected"]).first()
    default_storage.delete(doc.file.name)

    archive, data, _ = download(siti)

    assert len(data["documents_missing"]) == 1
    assert data["documents_missing"][0] not in archive.namelist()


def test_the_export_needs_a_login_and_a_post(client, two_members):
    response = client.post(EXPORT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    siti, _ = two_members
    assert siti.client.get(EXPORT)["Content-Type"].startswith("text/html")


def test_exports_are_rate_limited(two_members):
    siti, _ = two_members

    statuses = [siti.client.post(EXPORT).status_code for _ in range(11)]

    assert statuses == [200] * 10 + [429]
