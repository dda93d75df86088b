"""Field-level protection: a form takes only its declared fields.

Each test posts a real form with extra fields an attacker would try (`is_staff`, `status`,
`member`, `region`, `promotion`, `managers` …) pointing at values that would matter, then
reads the rows back: what the member may set is set, nothing else moved.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from membercenter.accounts.models import User
from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, roles_ensure
from membercenter.claims.models import Claim, ClaimItem
from membercenter.products.models import RegisteredProduct
from membercenter.promotions.models import Promotion
from membercenter.rewards.models import Reward
from membercenter.support.models import SupportRequest
from tests.accounts.helpers import signup_data, signup_post
from tests.backoffice.conftest import PromotionFactory as StaffPromotionFactory
from tests.claims.conftest import PromotionFactory, eligible_product
from tests.claims.test_redeem_views import RECIPIENT, confirm_step, photo
from tests.factories import RegionFactory, SerialFactory, StoreFactory, UserFactory, staff
from tests.products.conftest import Wizard

pytestmark = pytest.mark.django_db


def malaysia():
    return RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR")


def privileges(user: User) -> dict:
    user.refresh_from_db()
    return {
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "is_active": user.is_active,
        "email": user.email,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": list(user.user_permissions.all()),
        "review_regions": list(user.review_regions.all()),
        "managed_promotions": list(user.managed_promotions.all()),
    }


def escalation(region_pk: int, promotion_pk: int) -> dict:
    """What an attacker adds to any form: staff flags, roles, someone else's objects."""
    admin_group = roles_ensure()[ADMINISTRATOR]
    return {
        "is_staff": "on",
        "is_superuser": "on",
        "is_active": "on",
        "groups": str(admin_group.pk),
        "user_permissions": "1",
        "review_regions": str(region_pk),
        "managed_promotions": str(promotion_pk),
        "email_verified_at": "2020-01-01",
        "approved": "on",
        "status": "approved",
    }


def test_profile_saves_its_fields_and_nothing_else(client):
    member = UserFactory()
    other_region, promotion = malaysia(), StaffPromotionFactory(managers=[])
    before = privileges(member)
    client.force_login(member)
    data = {
        "first_name": "Dewi", "last_name": "Lestari", "region": other_region.pk, "phone": "081234567890",
        "language": "id", "email": "attacker@example.com", "user": UserFactory().pk,
        **escalation(other_region.pk, promotion.pk),
    }  # fmt: skip
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 302
    assert privileges(member) == before
    assert (member.first_name, member.region, member.language) == ("Dewi", other_region, "id")
    assert not Group.objects.get(name=ADMINISTRATOR).user_set.filter(pk=member.pk).exists()


def test_sign_up_makes_a_plain_unverified_member_whatever_is_posted(client, indonesia):
    promotion = StaffPromotionFactory(managers=[])
    response = signup_post(client, signup_data(indonesia, **escalation(indonesia.pk, promotion.pk)))
    assert response.status_code == 302
    user = User.objects.get(email="new.member@example.com")
    assert privileges(user) | {"email": ""} == {
        "is_staff": False, "is_superuser": False, "is_active": True, "email": "", "groups": [], "permissions": [],
        "review_regions": [], "managed_promotions": [],
    }  # fmt: skip
    assert user.email_verified_at is None


def test_support_request_belongs_to_its_sender(client):
    member, victim = UserFactory(), UserFactory()
    client.force_login(member)
    data = {"topic": "other", "message": "Where is my reward?", "member": victim.pk, "user": victim.pk,
            "resolved_at": "2020-01-01", "created_at": "2020-01-01", "id": 999}  # fmt: skip
    response = client.post(reverse("support:new"), data)
    assert response.status_code == 302
    ticket = SupportRequest.objects.get()
    assert (ticket.member, ticket.resolved_at, ticket.message) == (member, None, "Where is my reward?")
    assert ticket.pk != 999 and ticket.created_at.year > 2020
    assert not victim.support_requests.exists()


def test_redeem_and_confirm_take_only_the_members_own_products_and_set_no_status(client):
    member, victim = UserFactory(), UserFactory()
    promotion = PromotionFactory()
    category = promotion.eligible_categories.get()
    other_promotion = PromotionFactory()
    mine = eligible_product(member=member, serial__product_model__category=category)
    theirs = eligible_product(member=victim, serial__product_model__category=category)
    other_region = malaysia()
    client.force_login(member)
    extra = {
        "status": Claim.Status.APPROVED, "region": other_region.pk, "member": victim.pk, "user": victim.pk,
        "promotion": other_promotion.pk, "reward": "999", "approved": "on", "is_staff": "on",
        f"photo_{theirs.pk}": "",
    }  # fmt: skip
    url = reverse("promotions:redeem", args=[promotion.slug])
    # The other member's product ticked by hand (its id added to the list) is not taken either.
    data = {**RECIPIENT, **extra, "products": [mine.pk, theirs.pk], f"photo_{mine.pk}": photo()}
    response = client.post(url, data)
    assert response.status_code == 302
    response, _data = confirm_step(client, promotion)
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.member, claim.promotion, claim.status) == (member, promotion, Claim.Status.SUBMITTED)
    assert claim.region == mine.region != other_region
    assert list(claim.items.values_list("product", flat=True)) == [mine.pk]
    assert not ClaimItem.objects.filter(product=theirs).exists()
    assert not User.objects.get(pk=member.pk).is_staff


def test_product_registration_registers_to_the_member_and_the_checked_serial(client):
    member, victim = UserFactory(), UserFactory()
    serial, other_serial = SerialFactory(), SerialFactory()
    store = StoreFactory(region=member.region)
    client.force_login(member)
    wizard = Wizard(client)
    wizard.through_chk(serial)
    response = wizard.purchase_step(
        store=store, member=victim.pk, user=victim.pk, serial=other_serial.pk, serial_id=other_serial.pk,
        chk="000", status="approved", is_staff="on",
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    product = RegisteredProduct.objects.get()
    assert (product.member, product.serial) == (member, serial)
    assert not RegisteredProduct.objects.filter(serial=other_serial).exists()
    assert not victim.products.exists()


def test_a_manager_cannot_change_a_promotions_managers_or_status_through_its_form(client):
    manager, rival = staff(PROMOTION_MANAGER, promotions=[]), staff(PROMOTION_MANAGER, promotions=[])
    promotion = StaffPromotionFactory(managers=[manager], status=Promotion.Status.DRAFT)
    client.force_login(manager)
    edit = reverse("backoffice:promotion_edit", args=[promotion.pk])
    page = client.get(edit).content.decode()
    assert 'name="managers"' not in page
    data = {
        "name_en": "Renamed", "name_id": "Diganti", "slug": promotion.slug, "purchase_start": "2024-01-01",
        "purchase_end": "2024-12-31", "redeem_start": "2024-01-01", "redeem_end": "2030-01-31",
        "reward_en": "Code", "reward_id": "Kode", "regions": [r.pk for r in promotion.regions.all()],
        "managers": [rival.pk], "status": Promotion.Status.PUBLISHED, "created_at": "2020-01-01",
    }  # fmt: skip
    response = client.post(edit, data)
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.name_en == "Renamed"
    assert promotion.status == Promotion.Status.DRAFT
    assert list(promotion.managers.all()) == [manager]


def test_an_administrator_assigns_managers_and_a_manager_who_creates_a_promotion_manages_it(
    client, administrator, indonesia
):
    manager, rival = staff(PROMOTION_MANAGER, promotions=[]), staff(PROMOTION_MANAGER, promotions=[])
    data = {
        "name_en": "Gift Fest", "name_id": "Pesta Hadiah", "purchase_start": "2024-01-01",
        "purchase_end": "2024-12-31", "redeem_start": "2024-01-01", "redeem_end": "2030-01-31",
        "reward_en": "Code", "reward_id": "Kode", "regions": [indonesia.pk], "managers": [rival.pk],
    }  # fmt: skip
    client.force_login(manager)
    assert client.post(reverse("backoffice:promotion_create"), data).status_code == 302
    created = Promotion.objects.get(name_en="Gift Fest")
    assert list(created.managers.all()) == [manager]  # the posted rival is ignored

    client.force_login(administrator)
    page = client.get(reverse("backoffice:promotion_edit", args=[created.pk])).content.decode()
    assert 'name="managers"' in page
    response = client.post(
        reverse("backoffice:promotion_edit", args=[created.pk]), {**data, "slug": created.slug, "managers": [rival.pk]}
    )
    assert response.status_code == 302
    assert list(created.managers.all()) == [rival]
    # The manager no longer manages it: the very next request says so.
    client.force_login(manager)
    assert client.get(reverse("backoffice:promotion_edit", args=[created.pk])).status_code == 404
    assert created.name_en not in client.get(reverse("backoffice:promotions")).content.decode()


def test_a_reward_cannot_be_moved_to_another_promotion(client):
    manager = staff(PROMOTION_MANAGER, promotions=[])
    mine, theirs = StaffPromotionFactory(managers=[manager]), StaffPromotionFactory(managers=[])
    reward = Reward.objects.create(promotion=mine, kind=Reward.Kind.GIFT, name_en="Bag", name_id="Tas", stock=3)
    client.force_login(manager)
    data = {"kind": Reward.Kind.GIFT, "name_en": "Big bag", "name_id": "Tas besar", "stock": "4",
            "promotion": theirs.pk, "promotion_id": theirs.pk}  # fmt: skip
    response = client.post(reverse("backoffice:reward_edit", args=[reward.pk]), data)
    assert response.status_code == 302
    reward.refresh_from_db()
    assert (reward.promotion, reward.name_en, reward.stock) == (mine, "Big bag", 4)
    assert not theirs.rewards.exists()
