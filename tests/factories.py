from __future__ import annotations

import datetime as dt
import io

import factory
from django.contrib.auth.signals import user_logged_in
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
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

    @factory.post_generation
    def authenticator(obj, create, extracted, **kwargs):  # noqa: N805
        """Superusers get an authenticator app by default (administrators must have one); `authenticator=False` not."""
        if create and (extracted if extracted is not None else obj.is_superuser):
            with_authenticator(obj)


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


def with_authenticator(user: User) -> User:
    """Give `user` a confirmed TOTP authenticator (two-factor), as if they had set it up.

    `client.force_login(user)` then stands for the whole log-in, the code included: the session
    is verified (see _force_login_gave_the_code). Tests of the code step itself log in through
    the forms, and compute codes from the device's key (tests/twofactor).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.otp_device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)  # type: ignore[attr-defined]
    return user


def _force_login_gave_the_code(sender: object, request: object, user: User, **kwargs: object) -> None:
    # Only the test client's force_login builds a request without a user; a real log-in has one,
    # and its user object (fresh from authenticate()) carries no device.
    device = getattr(user, "otp_device", None)
    if device is not None and not hasattr(request, "user"):
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # type: ignore[attr-defined]


user_logged_in.connect(_force_login_gave_the_code, dispatch_uid="tests.factories.force_login_gave_the_code")


def staff(role: str | None, *, regions: tuple = (), promotions: object = None, **extra) -> User:
    """A staff user in a back-office role (a Django group), reviewing `regions`.

    A promotion manager manages `promotions`; by default every promotion, made before or after
    them (see _MANAGERS_OF_EVERY_PROMOTION): tests about scoping pass `promotions=`.
    """
    from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, roles_ensure
    from membercenter.promotions.models import Promotion

    authenticator = extra.pop("authenticator", role == ADMINISTRATOR or bool(extra.get("is_superuser")))
    user = UserFactory(
        is_staff=role is not None, first_name=extra.pop("first_name", "Sari"), authenticator=False, **extra
    )
    if role is not None:
        user.groups.add(roles_ensure()[role])
    if authenticator:  # administrators must use two-factor authentication: they have set it up
        with_authenticator(user)
    user.review_regions.set(regions)
    if role == PROMOTION_MANAGER:
        if promotions is None:
            promotions = Promotion.objects.all()
            _MANAGERS_OF_EVERY_PROMOTION.add((user.pk, user.email))
        user.managed_promotions.set(promotions)
    return user


# Managers made by `staff` without `promotions=`: they also manage every promotion made after them
# (any factory, any test module), so tests about what a manager does need no set-up. The email
# (unique in a test run) tells a user of an earlier, rolled-back test from a new one with its id.
_MANAGERS_OF_EVERY_PROMOTION: set[tuple[int, str]] = set()


def _new_promotion_gets_default_managers(sender: type, instance: object, created: bool, raw: bool = False,
                                         **kwargs: object) -> None:  # fmt: skip
    if not created or raw or not _MANAGERS_OF_EVERY_PROMOTION:
        return
    pks = {pk for pk, _email in _MANAGERS_OF_EVERY_PROMOTION}
    users = [u for u in User.objects.filter(pk__in=pks) if (u.pk, u.email) in _MANAGERS_OF_EVERY_PROMOTION]
    if users:
        instance.managers.add(*users)  # type: ignore[attr-defined]


def _connect_default_managers() -> None:
    from django.db.models.signals import post_save

    from membercenter.promotions.models import Promotion

    post_save.connect(_new_promotion_gets_default_managers, sender=Promotion, dispatch_uid="tests.default_managers")


_connect_default_managers()
