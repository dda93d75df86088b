from __future__ import annotations

import datetime as dt
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import captcha_answer
from tests.factories import SerialFactory, StoreFactory, UserFactory, image_bytes


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def serial(db):
    return SerialFactory(sn="K9X000000001", chk="417", manufactured_on=dt.date(2024, 1, 15))


@pytest.fixture
def store(db, member):
    return StoreFactory(region=member.region)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width×height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def jpeg_upload(name: str = "invoice.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG", **kwargs), content_type="image/jpeg")


class Wizard:
    """Drives the registration wizard through the test client, as a member would."""

    def __init__(self, client):
        self.client = client

    def serial_step(self, sn: str):
        return self.client.post(reverse("products:register"), {"serial_number": sn})

    def chk_step(self, chk: str):
        return self.client.post(reverse("products:register_chk"), {"chk": chk})

    def purchase_step(self, *, store, upload=None, purchase_date="2024-06-01", channel="retail", captcha=None, **extra):
        page = self.client.get(reverse("products:register_purchase")).content.decode()
        import re

        captcha_id = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', page).group(1)
        data = {
            "region": store.region_id,
            "store": store.pk,
            "purchase_date": purchase_date,
            "channel": channel,
            "invoice": upload if upload is not None else jpeg_upload(),
            "captcha_id": captcha_id,
            "captcha_answer": captcha if captcha is not None else captcha_answer(page),
            **extra,
        }
        return self.client.post(reverse("products:register_purchase"), data)

    def through_chk(self, serial):
        assert self.serial_step(serial.sn).status_code == 302
        assert self.chk_step(serial.chk).status_code == 302


@pytest.fixture
def wizard(client, member):
    client.force_login(member)
    return Wizard(client)


def big_bytes(size: int) -> bytes:
    buf = io.BytesIO(image_bytes("JPEG", size=(50, 50)))
    data = buf.getvalue()
    return data + b"\0" * (size - len(data))
