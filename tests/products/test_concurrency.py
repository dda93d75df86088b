from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from membercenter.evidence.services import upload_store
from membercenter.products import services
from membercenter.products.models import RegisteredProduct
from tests.factories import SerialFactory, StoreFactory, UserFactory, image_bytes
from tests.threads import run_together


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_members_registering_one_serial_at_once_leave_one_owner():
    serial = SerialFactory()
    members = [UserFactory(), UserFactory()]
    store = StoreFactory(region=members[0].region)

    def register(member):
        return lambda: services.product_register(
            member=member,
            serial=serial,
            chk=serial.chk,
            region=store.region,
            store=store,
            channel="retail",
            purchase_date=serial.manufactured_on,
            invoice=upload_store(
                owner=member, kind="invoice", upload=SimpleUploadedFile("invoice.jpg", image_bytes("JPEG"))
            ),
        )

    results = run_together([register(m) for m in members])

    assert sorted(type(r).__name__ for r in results) == ["RegisteredProduct", "SerialTaken"]
    assert RegisteredProduct.objects.filter(serial=serial).count() == 1
