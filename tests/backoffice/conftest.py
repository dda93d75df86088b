from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.utils import timezone

from membercenter.backoffice.roles import REVIEWER
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem, ReasonTemplate
from membercenter.promotions.models import Promotion
from tests.factories import RegionFactory, RegisteredProductFactory, StoreFactory, UserFactory, image_bytes, staff


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"promo-{n}")
    name_en = factory.Sequence(lambda n: f"Boost Your Success {n}")
    name_id = factory.Sequence(lambda n: f"Tingkatkan Suksesmu {n}")
    purchase_start = dt.date(2024, 1, 1)
    purchase_end = dt.date(2024, 12, 31)
    redeem_start = dt.date(2024, 1, 1)
    redeem_end = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))
    reward_en = "Digital Code IDR 500.000"
    reward_id = "Kode Digital IDR 500.000"
    status = Promotion.Status.PUBLISHED

    @factory.post_generation
    def regions(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.regions.set(extracted if extracted is not None else [RegionFactory()])

    @factory.post_generation
    def managers(obj, create, extracted, **kwargs):  # noqa: N805
        """`managers=[...]` names them; by default the managers `tests.factories.staff` made for every promotion."""
        if create and extracted is not None:
            obj.managers.set(extracted)


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim made directly (no member journey), with one product and its sticker photo."""

    class Meta:
        model = Claim
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    promotion = factory.SubFactory(PromotionFactory)
    region = factory.SubFactory(RegionFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=10))
    full_name = "Budi Santoso"
    email = factory.LazyAttribute(lambda o: o.member.email)
    phone = "08123456789"
    address = "Jl. Sudirman 1"
    city = "Jakarta"
    contact_name = "Budi Santoso"

    @factory.post_generation
    def products(obj, create, extracted, **kwargs):  # noqa: N805
        if not create:
            return
        count = extracted if extracted is not None else 1
        for _ in range(count):
            store = StoreFactory(region=obj.region)
            product = RegisteredProductFactory(member=obj.member, region=obj.region, store=store)
            item = ClaimItem.objects.create(claim=obj, product=product, promotion=obj.promotion)
            ClaimDocumentFactory(item=item)
        ClaimEvent.objects.create(claim=obj, to_status=Claim.Status.SUBMITTED, actor=obj.member)


class ClaimDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimDocument

    kind = ClaimDocument.Kind.SERIAL_PHOTO
    file = factory.django.FileField(filename="sticker.jpg", data=factory.LazyFunction(image_bytes))


class ReasonTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReasonTemplate

    kind = ReasonTemplate.Kind.SEND_BACK
    title = "Invoice without product name"
    text_en = "Please provide the invoice with your product name on it, thanks."
    text_id = "Mohon kirimkan invoice yang mencantumkan nama produk Anda, terima kasih."


@pytest.fixture
def malaysia(db):
    return RegionFactory(
        code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR", time_zone="Asia/Kuala_Lumpur"
    )


@pytest.fixture
def other_reviewer(malaysia):
    return staff(REVIEWER, regions=(malaysia,), first_name="Mei")


@pytest.fixture
def member(db):
    return UserFactory()


@pytest.fixture
def promotion(indonesia):
    return PromotionFactory(regions=[indonesia])


@pytest.fixture
def claim(indonesia, promotion):
    return ClaimFactory(region=indonesia, promotion=promotion)
