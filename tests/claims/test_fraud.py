"""Fraud signals on a claim: each rule flags the other accounts' cases and leaves a member's own reuse alone."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from membercenter.claims.fraud import Flag, claim_flags, near_duplicates_q, recipient_keys
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.images import evidence_clean, phash_bands, phash_distance
from membercenter.evidence.models import Scan
from membercenter.products.models import RegistrationRecord
from tests.claims.conftest import eligible_product, make_claim
from tests.factories import SerialFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- helpers --------------------------------------------------------------------------------------


def invoice_picture(seed: int = 7, size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """An A4 shop invoice at 150 dpi: white page, a header, item lines, a total and a paid stamp."""
    rnd = random.Random(seed)
    width, height = size
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    big, small = ImageFont.load_default(size=56), ImageFont.load_default(size=28)
    draw.text((80, 80), "TOKO KOMPUTER MAJU JAYA", fill="black", font=big)
    draw.text((80, 170), f"Invoice INV2024{rnd.randint(10000, 99999)}", fill="black", font=small)
    draw.text((80, 210), "Jl. Sudirman No. 100, Jakarta 10220", fill="black", font=small)
    draw.line((80, 280, width - 80, 280), fill="black", width=3)
    y = 320
    for _ in range(8):
        line = f"{rnd.randint(1, 5)} x Laptop Aurora {rnd.randint(1, 900)} Pro SN K9X{rnd.randint(10**8, 10**9)}"
        draw.text((80, y), line, fill="black", font=small)
        draw.text((width - 330, y), f"Rp {rnd.randint(1, 30)}.{rnd.randint(100, 999)}.000", fill="black", font=small)
        y += 50
    draw.line((80, y + 20, width - 80, y + 20), fill="black", width=3)
    draw.text((width - 500, y + 50), f"TOTAL Rp {rnd.randint(10, 90)}.000.000", fill="black", font=big)
    draw.rectangle((width - 350, height - 350, width - 100, height - 150), outline="blue", width=6)
    draw.text((width - 320, height - 280), "LUNAS", fill="blue", font=big)
    return page


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def cropped(image: Image.Image, fraction: float) -> Image.Image:
    """`fraction` of the width and height cut away, half from each side (a re-framed scan)."""
    dx, dy = round(image.width * fraction), round(image.height * fraction)
    return image.crop((dx // 2, dy // 2, image.width - (dx - dx // 2), image.height - (dy - dy // 2)))


def stored_phash(data: bytes) -> str:
    """The hash the upload pipeline stores for these bytes."""
    return evidence_clean(SimpleUploadedFile("invoice.jpg", data, content_type="image/jpeg")).phash


def invoice_scan(owner, phash: str = "", number: str = "") -> Scan:
    bands = phash_bands(phash) if phash else (0, 0, 0, 0)
    return Scan.objects.create(
        owner=owner,
        kind=Scan.Kind.INVOICE,
        file="uploads/invoice.jpg",
        phash=phash,
        **{f"phash_{i}": band for i, band in enumerate(bands)},
        state=Scan.State.DONE,
        invoice_number_key=number,
    )


def claim_with_invoice(member, scan: Scan | None, *, round_: int = 1, submitted_at=None, **product) -> Claim:
    """A submitted claim of `member` whose product (made with `product` fields) has `scan` as invoice document."""
    when = {"submitted_at": submitted_at} if submitted_at is not None else {}
    claim = make_claim(product=eligible_product(member=member, **product), **when)
    if scan is not None:
        ClaimDocument.objects.create(
            item=claim.items.get(), kind=ClaimDocument.Kind.INVOICE, file="claims/invoice.jpg", scan=scan, round=round_
        )
    return claim


def with_recipient(claim: Claim, *, phone: str = "", address: str = "", postal_code: str = "") -> Claim:
    phone_key, address_key = recipient_keys(phone, address, postal_code)
    Claim.objects.filter(pk=claim.pk).update(
        phone=phone, address=address, postal_code=postal_code, phone_key=phone_key, address_key=address_key
    )
    claim.refresh_from_db()
    return claim


def flag(claim: Claim, code: str) -> Flag | None:
    found = [f for f in claim_flags(claim) if f.code == code]
    assert len(found) <= 1 or code in (Flag.SAME_INVOICE_NUMBER, Flag.SERIAL_MANY_ACCOUNTS)
    return found[0] if found else None


def hash_with_bits(base: str, bits: list[int]) -> str:
    """`base` with the given bit positions (0 = most significant) flipped."""
    value = int(base, 16)
    for bit in bits:
        value ^= 1 << (63 - bit)
    return f"{value:016x}"


BASE = "c3a55a3cf00f0ff0"


# --- same invoice picture -------------------------------------------------------------------------


def test_the_same_invoice_resaved_and_cropped_by_another_account_is_flagged_on_both_claims():
    page = invoice_picture()
    original = stored_phash(jpeg(page, 90))
    resaved = stored_phash(jpeg(cropped(page, 0.03), 60))
    # Measured: 4 bits apart with no 16-bit band in common, so an exact band lookup alone would miss it.
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, original))
    bob_claim = claim_with_invoice(bob, invoice_scan(bob, resaved))

    on_alice, on_bob = flag(alice_claim, Flag.SAME_INVOICE_IMAGE), flag(bob_claim, Flag.SAME_INVOICE_IMAGE)

    assert on_alice is not None and on_bob is not None
    assert on_alice.claims == [bob_claim.pk] and on_alice.members == [bob.pk]
    assert on_bob.claims == [alice_claim.pk] and on_bob.members == [alice.pk]
    assert on_bob.params["distance"] == phash_distance(original, resaved)
    assert on_bob.message == (
        f"The same invoice picture is used by another account (distance {phash_distance(original, resaved)})."
    )


def test_a_different_invoice_picture_is_not_flagged():
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE))
    claim_with_invoice(bob, invoice_scan(bob, hash_with_bits(BASE, list(range(0, 64, 5)))))  # 13 bits apart

    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE) is None


def test_a_member_using_their_own_invoice_twice_is_not_flagged():
    alice = UserFactory()
    first = claim_with_invoice(alice, invoice_scan(alice, BASE))
    claim_with_invoice(alice, invoice_scan(alice, BASE))

    assert claim_flags(first) == []


def test_the_image_distance_threshold_is_a_setting(settings):
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE))
    claim_with_invoice(bob, invoice_scan(bob, hash_with_bits(BASE, [1, 20, 40, 60, 62])))  # 5 bits apart

    settings.FRAUD_PHASH_DISTANCE = 5
    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE).params["distance"] == 5
    settings.FRAUD_PHASH_DISTANCE = 4
    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE) is None


def test_pictures_eight_bits_apart_with_no_band_in_common_are_found_through_the_band_indexes():
    # Two bits differ in every 16-bit band: an exact band lookup would find nothing.
    other = hash_with_bits(BASE, [0, 9, 16, 25, 32, 41, 48, 57])
    assert phash_distance(BASE, other) == 8
    assert not set(enumerate(phash_bands(BASE))) & set(enumerate(phash_bands(other)))
    scan = invoice_scan(UserFactory(), other)

    assert list(Scan.objects.filter(near_duplicates_q([BASE], 8)).values_list("pk", flat=True)) == [scan.pk]
    assert not Scan.objects.filter(near_duplicates_q([BASE], 7)).exists()


def test_the_product_invoice_given_at_registration_counts_and_links_the_claim_of_that_product():
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE))
    bob_product = eligible_product(member=bob, invoice_scan=invoice_scan(bob, hash_with_bits(BASE, [3])))
    bob_claim = make_claim(product=bob_product)

    found = flag(alice_claim, Flag.SAME_INVOICE_IMAGE)
    assert found.claims == [bob_claim.pk] and found.members == [bob.pk]
    assert flag(bob_claim, Flag.SAME_INVOICE_IMAGE).claims == [alice_claim.pk]


def test_an_invoice_sent_in_a_later_round_counts():
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE), round_=2)
    bob_claim = claim_with_invoice(bob, invoice_scan(bob, BASE))

    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE).claims == [bob_claim.pk]


def test_a_look_alike_picture_with_another_invoice_number_is_another_invoice():
    """One template (a marketplace's) hashes alike: two numbers read and different are two invoices."""
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE, number="INV202400001"))
    claim_with_invoice(bob, invoice_scan(bob, BASE, number="INV202400002"))

    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE) is None


def test_a_look_alike_picture_whose_number_could_not_be_read_is_flagged():
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE, number="INV202400001"))
    bob_claim = claim_with_invoice(bob, invoice_scan(bob, BASE, number=""))

    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE).claims == [bob_claim.pk]


def test_links_are_newest_first():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE))
    now = timezone.now()
    older = claim_with_invoice(bob, invoice_scan(bob, BASE), submitted_at=now - dt.timedelta(days=3))
    newer = claim_with_invoice(carol, invoice_scan(carol, BASE), submitted_at=now - dt.timedelta(days=1))

    found = flag(alice_claim, Flag.SAME_INVOICE_IMAGE)
    assert found.claims == [newer.pk, older.pk]
    assert set(found.members) == {bob.pk, carol.pk} and found.params["accounts"] == 2


# --- same invoice number --------------------------------------------------------------------------


def test_the_same_invoice_number_of_the_same_store_on_another_account_is_flagged_on_both():
    store = StoreFactory(name="Toko Maju Jaya")
    alice, bob = UserFactory(), UserFactory()
    far = hash_with_bits(BASE, list(range(0, 64, 2)))  # 32 bits apart: a different picture
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, BASE, number="INV2024001"), store=store)
    bob_claim = claim_with_invoice(bob, invoice_scan(bob, far, number="INV2024001"), store=store)

    on_alice, on_bob = flag(alice_claim, Flag.SAME_INVOICE_NUMBER), flag(bob_claim, Flag.SAME_INVOICE_NUMBER)
    assert on_alice.claims == [bob_claim.pk] and on_alice.members == [bob.pk]
    assert on_bob.claims == [alice_claim.pk] and on_bob.members == [alice.pk]
    assert on_alice.params == {"number": "INV2024001", "store": "Toko Maju Jaya", "accounts": 1}
    assert on_alice.message == "Invoice number INV2024001 of Toko Maju Jaya is also used by another account."
    assert flag(alice_claim, Flag.SAME_INVOICE_IMAGE) is None


def test_the_same_invoice_number_of_another_store_is_not_flagged():
    alice, bob = UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, number="INV2024001"), store=StoreFactory())
    claim_with_invoice(bob, invoice_scan(bob, number="INV2024001"), store=StoreFactory())

    assert flag(alice_claim, Flag.SAME_INVOICE_NUMBER) is None


def test_a_member_using_their_own_invoice_number_twice_is_not_flagged():
    store, alice = StoreFactory(), UserFactory()
    first = claim_with_invoice(alice, invoice_scan(alice, number="INV2024001"), store=store)
    claim_with_invoice(alice, invoice_scan(alice, number="INV2024001"), store=store)

    assert flag(first, Flag.SAME_INVOICE_NUMBER) is None


def test_an_unclaimed_product_of_another_account_with_the_same_invoice_number_is_flagged_without_a_claim_link():
    store, alice, bob = StoreFactory(), UserFactory(), UserFactory()
    alice_claim = claim_with_invoice(alice, invoice_scan(alice, number="INV2024001"), store=store)
    eligible_product(member=bob, store=store, invoice_scan=invoice_scan(bob, number="INV2024001"))

    found = flag(alice_claim, Flag.SAME_INVOICE_NUMBER)
    assert found.claims == [] and found.members == [bob.pk]


# --- serial on many accounts ----------------------------------------------------------------------


def test_a_serial_registered_on_another_account_before_is_flagged():
    serial = SerialFactory(sn="K9X000000777")
    alice, bob = UserFactory(), UserFactory()
    RegistrationRecord.objects.create(serial=serial, member=alice)  # alice's product was removed since
    RegistrationRecord.objects.create(serial=serial, member=bob)
    bob_claim = make_claim(product=eligible_product(member=bob, serial=serial))

    found = flag(bob_claim, Flag.SERIAL_MANY_ACCOUNTS)
    assert found.params == {"serial": "K9X000000777", "accounts": 2}
    assert found.members == [alice.pk]
    assert found.message == "Serial number K9X000000777 has been registered on 2 accounts."


def test_a_serial_registered_twice_by_the_same_account_is_not_flagged():
    serial, bob = SerialFactory(), UserFactory()
    RegistrationRecord.objects.create(serial=serial, member=bob)
    RegistrationRecord.objects.create(serial=serial, member=bob)
    bob_claim = make_claim(product=eligible_product(member=bob, serial=serial))

    assert flag(bob_claim, Flag.SERIAL_MANY_ACCOUNTS) is None


# --- shared recipient -----------------------------------------------------------------------------


def test_one_phone_written_three_ways_on_three_accounts_is_flagged(settings):
    settings.FRAUD_SHARED_RECIPIENT_ACCOUNTS = 3
    first = with_recipient(make_claim(), phone="0812-3456-789")
    second = with_recipient(make_claim(), phone="+62 812 3456 789")
    third = with_recipient(make_claim(), phone="628123456789")

    found = flag(third, Flag.SHARED_PHONE)
    assert found.params == {"accounts": 3}
    assert found.claims == [second.pk, first.pk]
    assert set(found.members) == {first.member_id, second.member_id}
    assert found.message == "The recipient phone number is on claims of 3 accounts."
    assert flag(first, Flag.SHARED_PHONE).claims == [third.pk, second.pk]


def test_a_phone_on_fewer_accounts_than_the_setting_is_not_flagged(settings):
    settings.FRAUD_SHARED_RECIPIENT_ACCOUNTS = 4
    claims = [with_recipient(make_claim(), phone="08123456789") for _ in range(3)]

    assert flag(claims[-1], Flag.SHARED_PHONE) is None


def test_one_account_using_its_phone_and_address_on_many_claims_is_not_flagged(settings):
    settings.FRAUD_SHARED_RECIPIENT_ACCOUNTS = 2
    member = UserFactory()
    claims = [
        with_recipient(make_claim(product=eligible_product(member=member)), phone="08123456789", address="Jl. Mawar 5")
        for _ in range(4)
    ]

    assert {f.code for f in claim_flags(claims[-1])} & {Flag.SHARED_PHONE, Flag.SHARED_ADDRESS} == set()


def test_one_address_written_differently_on_three_accounts_is_flagged(settings):
    settings.FRAUD_SHARED_RECIPIENT_ACCOUNTS = 3
    with_recipient(make_claim(), address="Jl. Sudirman No.100", postal_code="10220")
    with_recipient(make_claim(), address="JALAN SUDIRMAN NO 100", postal_code="10220")
    third = with_recipient(make_claim(), address="jl sudirman, no. 100", postal_code="10220")
    elsewhere = with_recipient(make_claim(), address="Jl. Sudirman No. 100", postal_code="40115")

    assert flag(third, Flag.SHARED_ADDRESS).params == {"accounts": 3}
    assert flag(elsewhere, Flag.SHARED_ADDRESS) is None


def test_recipient_keys_fold_the_ways_a_phone_and_an_address_are_written():
    assert recipient_keys("0812-3456-789", "Jl. Sudirman No.100", "10220") == ("8123456789", "jl sudirman no 100 10220")
    assert recipient_keys("+62 812 3456 789", "jalan SUDIRMAN nomor 100", "10220")[0] == "8123456789"
    assert recipient_keys("0062 8123456789", "Jalan Sudirman Nomor 100", "10220")[1] == "jl sudirman no 100 10220"
    # Nothing to compare on: an empty key never matches anything.
    assert recipient_keys("-", "-", "") == ("", "")


# --- bursts ---------------------------------------------------------------------------------------


def test_more_claims_from_one_account_than_the_setting_within_the_window_is_flagged(settings):
    settings.FRAUD_BURST_CLAIMS, settings.FRAUD_BURST_HOURS = 2, 24
    member, now = UserFactory(), timezone.now()
    make_claim(product=eligible_product(member=member), submitted_at=now - dt.timedelta(hours=30))  # outside
    earlier = [
        make_claim(product=eligible_product(member=member), submitted_at=now - dt.timedelta(hours=h)) for h in (20, 2)
    ]
    latest = make_claim(product=eligible_product(member=member), submitted_at=now)

    found = flag(latest, Flag.BURST_ACCOUNT)
    assert found.params == {"claims": 3, "hours": 24}
    assert found.claims == [earlier[1].pk, earlier[0].pk] and found.members == []
    assert found.message == "This account sent 3 claims within 24 hours."
    assert flag(earlier[1], Flag.BURST_ACCOUNT) is None  # only 2 by then


def test_claims_up_to_the_setting_are_not_a_burst(settings):
    settings.FRAUD_BURST_CLAIMS = 5
    member = UserFactory()
    claims = [make_claim(product=eligible_product(member=member)) for _ in range(5)]

    assert flag(claims[-1], Flag.BURST_ACCOUNT) is None


def test_many_claims_to_one_address_from_several_accounts_is_flagged(settings):
    settings.FRAUD_BURST_CLAIMS, settings.FRAUD_BURST_HOURS = 2, 24
    now = timezone.now()
    old = with_recipient(make_claim(submitted_at=now - dt.timedelta(hours=25)), address="Jl. Mawar 5")
    others = [
        with_recipient(make_claim(submitted_at=now - dt.timedelta(hours=h)), address="Jl. Mawar 5") for h in (5, 1)
    ]
    latest = with_recipient(make_claim(submitted_at=now), address="jl mawar 5")

    found = flag(latest, Flag.BURST_ADDRESS)
    assert found.params == {"claims": 3, "hours": 24}
    assert found.claims == [others[1].pk, others[0].pk]
    assert old.pk not in found.claims
    assert set(found.members) == {c.member_id for c in others}


# --- storage and cost -----------------------------------------------------------------------------


def test_a_flag_survives_its_json_form():
    original = Flag(Flag.SHARED_PHONE, {"accounts": 4}, [3, 2], [7, 8])

    assert Flag.from_json(original.as_json()) == original
    assert Flag.from_json({"code": "retired_rule"}).message == "retired_rule"


def _suspicious_claim() -> Claim:
    """A claim on which most rules have something to look up and some fire."""
    store, serial = StoreFactory(), SerialFactory()
    alice, bob = UserFactory(), UserFactory()
    RegistrationRecord.objects.create(serial=serial, member=bob)
    claim_with_invoice(bob, invoice_scan(bob, BASE, number="INV1"), store=store)
    claim = claim_with_invoice(alice, invoice_scan(alice, BASE, number="INV1"), store=store, serial=serial)
    return with_recipient(claim, phone="08123456789", address="Jl. Mawar 5", postal_code="10220")


def _unrelated_claims(count: int) -> None:
    for i in range(count):
        other = UserFactory()
        claim = claim_with_invoice(other, invoice_scan(other, hash_with_bits(BASE, list(range(i % 2, 64, 2))), f"X{i}"))
        with_recipient(claim, phone=f"0813{i:07d}", address=f"Jl. Melati {i}")


def test_the_number_of_queries_does_not_grow_with_unrelated_claims():
    claim = _suspicious_claim()
    with CaptureQueriesContext(connection) as few:
        flags = claim_flags(claim)
    _unrelated_claims(12)
    with CaptureQueriesContext(connection) as many:
        assert claim_flags(claim) == flags

    assert {f.code for f in flags} >= {Flag.SAME_INVOICE_IMAGE, Flag.SAME_INVOICE_NUMBER, Flag.SERIAL_MANY_ACCOUNTS}
    assert len(many) == len(few) <= 18
