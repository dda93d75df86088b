from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection

from membercenter.products import services
from membercenter.products.models import RegisteredProduct
from tests.factories import SerialFactory, StoreFactory, UserFactory, image_bytes


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_members_registering_one_serial_at_once_leave_one_owner():
    serial = SerialFactory()
    members = [UserFactory(), UserFactory()]
    store = StoreFactory(region=members[0].region)
    barrier = threading.Barrier(len(members))
    outcomes: list[str] = []

    def register(member):
        try:
            barrier.wait(timeout=10)
            services.product_register(
                member=member,
                serial=serial,
                chk=serial.chk,
                region=store.region,
                store=store,
                channel="retail",
                purchase_date=serial.manufactured_on,
                invoice=ContentFile(image_bytes("JPEG"), name="invoice.jpg"),
            )
            outcomes.append("registered")
        except services.SerialTaken:
            outcomes.append("taken")
        except (IntegrityError, ValidationError) as err:
            outcomes.append(f"error: {err}")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["registered", "taken"]
    assert RegisteredProduct.objects.filter(serial=serial).count() == 1
