from __future__ import annotations

import html as htmllib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from membercenter.audit.models import AuditEntry
from membercenter.promotions.models import Promotion
from tests.backoffice.conftest import PromotionFactory
from tests.factories import CategoryFactory, ProductModelFactory, StoreFactory, image_bytes

pytestmark = pytest.mark.django_db


def form_data(indonesia, **overrides) -> dict:
    data = {
        "slug": "",
        "name_en": "Boost Your Success",
        "name_id": "Tingkatkan Suksesmu",
        "description_en": "Buy an AIO, get a voucher.",
        "description_id": "Beli AIO, dapat voucher.",
        "purchase_start": "2025-01-01",
        "purchase_end": "2025-03-31",
        "redeem_start": "2025-01-01",
        "redeem_end": "2025-04-30",
        "reward_en": "Digital Code IDR 500.000",
        "reward_id": "Kode Digital IDR 500.000",
        "max_redemptions": "100",
        "per_member_limit": "2",
        "regions": [indonesia.pk],
    }
    data.update(overrides)
    return data


def test_create_with_everything_then_edit_publish_close(client, manager, indonesia, tmp_path):
    category = CategoryFactory(slug="aio", name_en="AIO")
    model = ProductModelFactory()
    store = StoreFactory(region=indonesia)
    client.force_login(manager)
    banner = SimpleUploadedFile("banner.png", image_bytes("PNG", size=(2400, 800)), content_type="image/png")
    data = form_data(indonesia, eligible_categories=[category.pk], eligible_models=[model.pk],
                     eligible_stores=[store.pk], banner=banner)  # fmt: skip
    response = client.post(reverse("backoffice:promotion_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    promo = Promotion.objects.get()
    assert promo.status == Promotion.Status.DRAFT
    assert promo.slug == "boost-your-success"
    assert list(promo.regions.all()) == [indonesia]
    assert list(promo.eligible_categories.all()) == [category]
    assert list(promo.eligible_models.all()) == [model]
    assert list(promo.eligible_stores.all()) == [store]
    assert (promo.max_redemptions, promo.per_member_limit) == (100, 2)
    with Image.open(promo.banner.path) as img:  # re-encoded, resized
        assert img.format == "JPEG" and img.width == 1600
    assert AuditEntry.objects.get(action="promotion.create").actor == manager

    edit = reverse("backoffice:promotion_edit", args=[promo.pk])
    page = client.get(edit).content.decode()
    assert 'value="Boost Your Success"' in page and reverse("backoffice:promotion_banner", args=[promo.pk]) in page
    assert client.get(reverse("backoffice:promotion_banner", args=[promo.pk]))["Content-Type"] == "image/jpeg"
    response = client.post(edit, form_data(indonesia, slug=promo.slug, redeem_end="2025-05-31", banner_remove="on"))
    assert response.status_code == 302
    promo.refresh_from_db()
    assert str(promo.redeem_end) == "2025-05-31" and not promo.banner
    assert not promo.eligible_models.exists()
    update = AuditEntry.objects.get(action="promotion.update")
    assert "redeem_end" in update.summary and "eligible_models" in update.summary and "banner" in update.summary

    client.post(reverse("backoffice:promotion_publish", args=[promo.pk]))
    promo.refresh_from_db()
    assert promo.status == Promotion.Status.PUBLISHED
    client.post(reverse("backoffice:promotion_close", args=[promo.pk]))
    promo.refresh_from_db()
    assert promo.status == Promotion.Status.CLOSED
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["promotion.create", "promotion.update", "promotion.publish", "promotion.close"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purchase_end": "2024-12-31"}, "purchase_end", "The purchase window cannot end before it starts."),
        ({"redeem_end": "2024-12-01", "redeem_start": "2024-12-15"}, "redeem_end",
         "The redemption deadline cannot be before redemption opens."),
        ({"regions": []}, "regions", "This field is required."),
    ],
)  # fmt: skip
def test_incoherent_promotions_are_refused(client, manager, indonesia, overrides, field, message):
    client.force_login(manager)
    response = client.post(reverse("backoffice:promotion_create"), form_data(indonesia, **overrides))
    assert response.status_code == 200
    assert message in htmllib.unescape(response.content.decode())
    assert response.context["form"].errors[field]
    assert not Promotion.objects.exists() and not AuditEntry.objects.exists()


def test_stores_must_belong_to_the_promotions_regions(client, manager, indonesia, malaysia):
    foreign = StoreFactory(region=malaysia, name="KL Store")
    client.force_login(manager)
    response = client.post(reverse("backoffice:promotion_create"), form_data(indonesia, eligible_stores=[foreign.pk]))
    assert "not in the promotion's regions: KL Store" in htmllib.unescape(response.content.decode())
    assert not Promotion.objects.exists()


def test_a_banner_that_is_not_a_picture_is_refused(client, manager, indonesia):
    client.force_login(manager)
    fake = SimpleUploadedFile("banner.png", b"<html>not a picture</html>", content_type="image/png")
    response = client.post(reverse("backoffice:promotion_create"), form_data(indonesia, banner=fake))
    assert response.status_code == 200
    assert "not a picture (JPG, PNG, GIF" in htmllib.unescape(response.content.decode())


def test_publishing_twice_is_a_message(client, manager, indonesia):
    promo = PromotionFactory(regions=[indonesia], status=Promotion.Status.PUBLISHED)
    client.force_login(manager)
    response = client.post(reverse("backoffice:promotion_publish", args=[promo.pk]), follow=True)
    assert "cannot become Published" in htmllib.unescape(response.content.decode())
    assert not AuditEntry.objects.exists()


def test_promotion_without_region_cannot_be_published(client, manager):
    promo = PromotionFactory(regions=[], status=Promotion.Status.DRAFT)
    client.force_login(manager)
    response = client.post(reverse("backoffice:promotion_publish", args=[promo.pk]), follow=True)
    assert "Choose at least one region." in htmllib.unescape(response.content.decode())
    promo.refresh_from_db()
    assert promo.status == Promotion.Status.DRAFT


def test_list_shows_promotions_with_claim_counts(client, manager, indonesia, django_assert_max_num_queries):
    for _ in range(5):
        PromotionFactory(regions=[indonesia])
    client.force_login(manager)
    client.get(reverse("backoffice:promotions"))
    with django_assert_max_num_queries(9):
        html = client.get(reverse("backoffice:promotions")).content.decode()
    assert html.count("Boost Your Success") == 5
