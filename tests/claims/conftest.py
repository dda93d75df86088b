from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.utils import timezone

from membercenter.claims.models import Claim, ClaimEvent, ClaimItem
from membercenter.promotions.models import Promotion
from tests.factories import CategoryFactory, RegionFactory, RegisteredProductFactory, UserFactory


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"promo-{n}")
    name_en = factory.Sequence(lambda n: f"Boost Your Success {n}")
    name_id = factory.LazyAttribute(lambda o: o.name_en)
    purchase_start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    purchase_end = factory.LazyFunction(lambda: timezone.localdate())
    redeem_start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=60))
    redeem_end = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    reward_en = "Digital Code IDR 500.000"
    reward_id = "Kode Digital IDR 500.000"
    status = Promotion.Status.PUBLISHED

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.regions.set(extracted or [RegionFactory()])

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.eligible_categories.set(extracted or [CategoryFactory()])


def eligible_product(member=None, **kwargs):
    return RegisteredProductFactory(
        member=member or UserFactory(), purchase_date=timezone.localdate() - dt.timedelta(days=10), **kwargs
    )


def make_claim(*, product=None, promotion=None, status=Claim.Status.SUBMITTED, **kwargs) -> Claim:
    product = product or eligible_product()
    promotion = promotion or PromotionFactory()
    claim = Claim.objects.create(
        member=product.member,
        promotion=promotion,
        region=product.region,
        status=status,
        due_on=timezone.localdate() + dt.timedelta(days=14),
        full_name="Joko",
        email=product.member.email,
        phone="08123456789",
        address="Jl. Sudirman No. 100",
        contact_name="Joko",
        **kwargs,
    )
    ClaimItem.objects.create(claim=claim, product=product, promotion=promotion, active=status in Claim.HOLDS_PRODUCTS)
    ClaimEvent.objects.create(claim=claim, to_status=status)
    return claim


@pytest.fixture
def promotion(db):
    return PromotionFactory()


@pytest.fixture
def member(db):
    return UserFactory()


def upload_for(member, kind="serial_photo"):
    """A pending upload of `member`, as the redeem and Redeem Again pages leave it."""
    from django.core.files.base import ContentFile

    from membercenter.evidence.models import Upload
    from tests.factories import image_bytes

    row = Upload(owner=member, kind=kind)
    row.file.save(f"{kind}.jpg", ContentFile(image_bytes("JPEG", size=(64, 48))), save=False)
    row.save()
    return row


RECIPIENT = {
    "full_name": "Joko Santoso",
    "email": "joko@example.com",
    "phone": "08123456789",
    "address": "Jl. Sudirman No. 100",
    "city": "Jakarta",
    "contact_name": "Joko",
}


def submit(member, promotion, products, *, token=None, photos=True):
    """claim_submit as the confirm page calls it (one sticker photo per product)."""
    import uuid

    from membercenter.claims.services import ItemEvidence, claim_submit

    evidence = [ItemEvidence(product_id=p.pk, serial_photo=upload_for(member) if photos else None) for p in products]
    return claim_submit(
        member=member, promotion=promotion, evidence=evidence, recipient=RECIPIENT, submit_token=token or uuid.uuid4()
    )


@pytest.fixture
def reviewer(db):
    return UserFactory(is_staff=True, first_name="Rina")
