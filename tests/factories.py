from __future__ import annotations

import datetime as dt
import io

import factory
from django.utils import timezone
from PIL import Image

from membercenter.accounts.models import User
from membercenter.catalog.models import Category, ProductModel, Province, Region, Serial, Store
from membercenter.catalog.serials import sn_skeleton
from membercenter.products.models import RegisteredProduct

PASSWORD = "a-long-test-password-9"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "ID"
    name_en = "Indonesia"
    name_id = "Indonesia"
    currency = "IDR"
    time_zone = "Asia/Jakarta"


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"P{n}")
    name = factory.Sequence(lambda n: f"Province {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = "laptop"
    name_en = "Laptop"
    name_id = "Laptop"


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel

    category = factory.SubFactory(CategoryFactory)
    code = factory.Sequence(lambda n: f"MDL-{n:03d}")
    name = factory.Sequence(lambda n: f"Aurora {n} Pro")
    warranty_months = 24


class SerialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Serial

    sn = factory.Sequence(lambda n: f"K9X{n:09d}")
    skeleton = factory.LazyAttribute(lambda o: sn_skeleton(o.sn))
    chk = "123"
    product_model = factory.SubFactory(ProductModelFactory)
    manufactured_on = dt.date(2024, 1, 15)


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    region = factory.SubFactory(RegionFactory)
    province = factory.SubFactory(ProvinceFactory, region=factory.SelfAttribute("..region"))
    city = "Jakarta"
    name = factory.Sequence(lambda n: f"Toko Komputer {n}")
    channel = Store.Channel.RETAIL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = "Budi"
    last_name = "Member"
    region = factory.SubFactory(RegionFactory)
    language = "en"
    email_verified_at = factory.LazyFunction(timezone.now)
    privacy_accepted_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), color: str = "white", **save: object) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt != "GIF" else "P"
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


class RegisteredProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegisteredProduct

    member = factory.SubFactory(UserFactory)
    serial = factory.SubFactory(SerialFactory)
    region = factory.SubFactory(RegionFactory)
    store = factory.SubFactory(StoreFactory)
    channel = Store.Channel.RETAIL
    purchase_date = dt.date(2024, 6, 1)
    invoice = factory.django.FileField(filename="invoice.jpg", data=factory.LazyFunction(image_bytes))


def staff(role: str | None, *, regions: tuple = (), **extra) -> User:
    """A staff user in a back-office role (a Django group), reviewing `regions`."""
    from membercenter.backoffice.roles import roles_ensure

    user = UserFactory(is_staff=role is not None, first_name=extra.pop("first_name", "Sari"), **extra)
    if role is not None:
        user.groups.add(roles_ensure()[role])
    user.review_regions.set(regions)
    return user
