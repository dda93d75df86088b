"""Demo promotions, reviewers, reason templates, FAQ and claims in every status (idempotent).

Claims are made through the same services members and reviewers use, so the demo
shows real outboxes, inbox messages, events and audit entries.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from membercenter.accounts.demo import DEMO_MANAGER, DEMO_PASSWORD
from membercenter.accounts.models import User
from membercenter.catalog.models import Category, Region, Serial, Store
from membercenter.claims import services
from membercenter.claims.models import Claim, ReasonTemplate
from membercenter.evidence import samples
from membercenter.evidence.models import Upload
from membercenter.evidence.services import upload_store
from membercenter.products.models import RegisteredProduct
from membercenter.products.services import product_register
from membercenter.promotions.models import Promotion
from membercenter.support.models import FaqEntry

FAQ = [
    (
        "Why is there no promotion for my product in my Member Center account?",
        "Mengapa tidak ada promosi untuk produk saya di akun Member Center saya?",
        "1. Check that your product is one of the promotion's models.\n2. Check that your invoice date is inside the "
        "promotion's purchase period.\n3. Make sure the region where you live is a region of the promotion.\n"
        "4. Make sure you bought the product from a partner store in your region.",
        "1. Periksa apakah produk Anda termasuk model yang memenuhi syarat.\n2. Periksa apakah tanggal invoice Anda "
        "berada dalam periode yang memenuhi syarat.\n3. Pastikan wilayah tempat tinggal Anda termasuk wilayah "
        "promosi.\n4. Pastikan Anda membeli produk dari toko mitra resmi di wilayah domisili Anda.",
    ),
    (
        "What should I do if I receive an email saying my claim is incomplete?",
        "Apa yang harus saya lakukan jika menerima email bahwa klaim saya tidak lengkap?",
        "Please make sure you have provided:\n1. The invoice / proof of purchase showing the purchase date, the store "
        "and the model you bought.\n2. A photo of the serial number on the product itself, not on the packaging.\n"
        "Then open Redeem History and press Redeem Again.",
        "Pastikan Anda telah memberikan:\n1. Invoice/bukti pembelian yang memuat tanggal pembelian, toko pembelian, "
        "dan model yang dibeli.\n2. Foto nomor SN pada fisik produk itu sendiri, bukan pada kemasan.\n"
        "Lalu buka Riwayat Penukaran dan tekan Redeem Again.",
    ),
    (
        "How long does it take to process my claim, and when will I receive my reward?",
        "Berapa lama klaim saya diproses dan kapan saya menerima hadiah?",
        "Digital codes: 7–14 business days to verify. Physical gifts: shipped 8–12 weeks after your claim is approved.",
        "Kode digital: 7–14 hari kerja untuk diverifikasi. Hadiah fisik: dikirim 8–12 minggu setelah klaim disetujui.",
    ),
    (
        "Why have I not received any email after taking part?",
        "Mengapa saya tidak menerima email apa pun setelah berpartisipasi?",
        "If no email arrived, look in your spam folder and check your email filters. Every message is also in "
        "Messages in your account.",
        "Jika belum menerima email, periksa folder spam dan filter email Anda. Setiap pesan juga ada di menu Pesan "
        "pada akun Anda.",
    ),
]

REASONS = [
    (ReasonTemplate.Kind.SEND_BACK, "Invoice without model",
     "Please provide the invoice with your product name on it, thanks.",
     "Mohon unggah invoice yang mencantumkan nama produk Anda, terima kasih."),
    (ReasonTemplate.Kind.SEND_BACK, "SN photo of the box",
     "Please upload a photo of the serial number sticker on the product itself, not on the box.",
     "Mohon unggah foto stiker nomor seri pada produk itu sendiri, bukan pada kemasan."),
    (ReasonTemplate.Kind.SEND_BACK, "Invoice date unreadable",
     "We cannot read the date on your invoice. Please upload a sharper photo of the whole invoice.",
     "Tanggal pada invoice Anda tidak terbaca. Mohon unggah foto invoice yang lebih jelas dan utuh."),
    (ReasonTemplate.Kind.SEND_BACK, "Store name missing",
     "Your invoice does not show the store name. Please upload the full invoice.",
     "Invoice Anda tidak mencantumkan nama toko. Mohon unggah invoice lengkap."),
    (ReasonTemplate.Kind.REJECT, "Outside purchase period",
     "The invoice date is outside the promotion's purchase period.",
     "Tanggal invoice berada di luar periode pembelian promosi."),
    (ReasonTemplate.Kind.REJECT, "Not a partner store",
     "The product was not bought from a partner store of the promotion.",
     "Produk tidak dibeli dari toko mitra promosi."),
    (ReasonTemplate.Kind.REJECT, "Already redeemed",
     "This product was already redeemed in this promotion.",
     "Produk ini sudah pernah di-redeem dalam promosi ini."),
]  # fmt: skip


def _jpeg(image: Image.Image) -> SimpleUploadedFile:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=88)
    return SimpleUploadedFile(f"{uuid.uuid4().hex}.jpg", out.getvalue(), content_type="image/jpeg")


def demo_invoice(store: Store, day: dt.date, model_name: str | None, *, seed: int = 0) -> SimpleUploadedFile:
    """An invoice made by the project's generator (the same one the checks are measured on)."""
    rng = random.Random(f"{store.pk}-{day}-{model_name}-{seed}")  # one invoice per product: seed differs
    lines = [("Mouse Wireless M110", 1, 150_000)]
    if model_name:
        lines.insert(0, (model_name, 1, rng.randrange(80, 250) * 100_000))
    number = f"INV/{day:%Y}/{day:%m}/{rng.randrange(1, 999_999):06d}"
    image = samples.invoice_image(
        rng, store=store.name, number=number, date=day, lines=lines, city=store.city or "Jakarta",
        layout=rng.choice(("table", "receipt")), date_style="dmy_dash", distort=False,
    )  # fmt: skip
    return _jpeg(image)


def _sticker(serial: Serial) -> SimpleUploadedFile:
    rng = random.Random(serial.sn)
    return _jpeg(
        samples.sticker_image(rng, sn=serial.sn, chk=serial.chk, model_code=serial.product_model.code, distort=False)
    )


def demo_support_load() -> None:
    for i, (q_en, q_id, a_en, a_id) in enumerate(FAQ):
        FaqEntry.objects.update_or_create(
            position=i, defaults={"question_en": q_en, "question_id": q_id, "answer_en": a_en, "answer_id": a_id}
        )
    for i, (kind, title, en, id_) in enumerate(REASONS):
        ReasonTemplate.objects.update_or_create(
            title=title, defaults={"kind": kind, "text_en": en, "text_id": id_, "position": i}
        )


def _promotion(slug: str, **fields: Any) -> Promotion:
    categories = fields.pop("categories")
    regions = fields.pop("regions")
    promo, _created = Promotion.objects.update_or_create(slug=slug, defaults=fields)
    promo.eligible_categories.set(Category.objects.filter(slug__in=categories))
    promo.regions.set(Region.objects.filter(code__in=regions))
    # The demo promotion manager runs every demo promotion (managers see only their own).
    promo.managers.add(*User.objects.filter(email=DEMO_MANAGER))
    return promo


def demo_promotions_load() -> dict[str, Promotion]:
    today = timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    common = {"status": Promotion.Status.PUBLISHED, "regions": ["ID", "MY"]}
    return {
        "running": _promotion(
            "boost-your-success",
            name_en="Boost Your Success", name_id="Boost Your Success",
            description_en="The perfect device for work and learning: a digital voucher for every AIO, desktop "
            "or laptop.",
            description_id="Perangkat sempurna untuk bekerja dan belajar: voucher digital untuk setiap AIO, "
            "desktop, atau laptop.",
            purchase_start=today - dt.timedelta(days=90), purchase_end=today + dt.timedelta(days=30),
            redeem_start=today - dt.timedelta(days=90), redeem_end=today + dt.timedelta(days=60),
            reward_en="Digital Code IDR 500.000", reward_id="Kode Digital IDR 500.000",
            max_redemptions=500, per_member_limit=3,
            categories=["aio", "all-in-one", "desktop", "laptop"], **common,
        ),
        "ended": _promotion(
            "christmas-secret-sale",
            name_en="Christmas Secret Sale", name_id="Christmas Secret Sale",
            description_en="A gift for every monitor, graphics card or motherboard bought in December.",
            description_id="Hadiah untuk setiap monitor, kartu grafis, atau motherboard yang dibeli pada bulan "
            "Desember.",
            purchase_start=year_ago, purchase_end=year_ago + dt.timedelta(days=30),
            redeem_start=year_ago, redeem_end=year_ago + dt.timedelta(days=75),
            reward_en="Gaming mouse pad", reward_id="Mouse pad gaming",
            categories=["monitor", "motherboard", "graphics-card", "gaming-gear"], **common,
        ),
        "upcoming": _promotion(
            "back-to-school",
            name_en="Back to School", name_id="Kembali ke Sekolah",
            description_en="A backpack for every laptop bought in the school season.",
            description_id="Tas ransel untuk setiap laptop yang dibeli di musim sekolah.",
            purchase_start=today + dt.timedelta(days=20), purchase_end=today + dt.timedelta(days=80),
            redeem_start=today + dt.timedelta(days=20), redeem_end=today + dt.timedelta(days=110),
            reward_en="Laptop backpack", reward_id="Tas ransel laptop",
            categories=["laptop"], **common,
        ),
    }  # fmt: skip


def _member(email: str, first: str, last: str, region: Region, phone: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        now = timezone.now()
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, first_name=first, last_name=last, region=region, phone=phone,
            email_verified_at=now, privacy_accepted_at=now, reward_terms_accepted_at=now,
        )  # fmt: skip
    return user


def _register(
    member: User, serial: Serial, store: Store, day: dt.date, *, shows_model: bool = True
) -> RegisteredProduct:
    existing = RegisteredProduct.objects.filter(serial=serial).first()
    if existing is not None:
        return existing
    bought = max(day, serial.manufactured_on)
    invoice = demo_invoice(store, bought, serial.product_model.name if shows_model else None, seed=serial.pk)
    return product_register(
        member=member, serial=serial, chk=serial.chk, region=store.region, store=store, channel=store.channel,
        purchase_date=bought, invoice=upload_store(owner=member, kind=Upload.Kind.INVOICE, upload=invoice),
    )  # fmt: skip


def _submit(member: User, promotion: Promotion, products: list[RegisteredProduct]) -> Claim:
    evidence = [
        services.ItemEvidence(
            product_id=p.pk,
            serial_photo=upload_store(owner=member, kind=Upload.Kind.SERIAL_PHOTO, upload=_sticker(p.serial)),
        )
        for p in products
    ]
    recipient = {
        "full_name": member.get_full_name(), "email": member.email, "phone": member.phone,
        # Each demo member has an address of their own (a shared one is a fraud signal).
        "address": f"Jl. Sudirman No. {100 + member.pk}", "city": "Jakarta", "province": "DKI Jakarta",
        "postal_code": "10110",
        "contact_name": member.get_full_name(), "contact_phone": member.phone,
    }  # fmt: skip
    return services.claim_submit(
        member=member, promotion=promotion, evidence=evidence, recipient=recipient, submit_token=uuid.uuid4()
    )


def _serials_for(categories: list[str], count: int, skip: int = 0) -> list[Serial]:
    taken = RegisteredProduct.objects.values("serial_id")
    qs = Serial.objects.filter(product_model__category__slug__in=categories).exclude(pk__in=taken).order_by("sn")
    return list(qs[skip : skip + count])


def demo_claims_load(*, reviewer: User, promos: dict[str, Promotion]) -> None:
    """Claims in every status, once: skipped when the demo members already have claims."""
    indonesia = Region.objects.get(code="ID")
    if Claim.objects.filter(member__email__endswith="@example.com").exists():
        return
    store = Store.objects.filter(region=indonesia, is_active=True).order_by("pk").first()
    if store is None:
        raise RuntimeError("the demo catalog has no active store in Indonesia: load it first")
    joko = User.objects.get(email="member@example.com")
    siti = _member("siti@example.com", "Siti", "Rahayu", indonesia, "081311112222")
    budi = _member("budi@example.com", "Budi", "Hartono", indonesia, "085733334444")
    running, ended = promos["running"], promos["ended"]
    pc = ["aio", "all-in-one", "desktop", "laptop"]
    in_window = timezone.localdate() - dt.timedelta(days=20)

    joko_products = [_register(joko, s, store, in_window) for s in _serials_for(pc, 4)]
    # Two products left unclaimed so the demo member can redeem them in the running promotion.
    approved = _submit(joko, running, [joko_products[0]])
    services.claim_approve(claim=approved, reviewer=reviewer)
    sent_back = _submit(joko, running, [joko_products[1]])
    services.claim_send_back(claim=sent_back, reviewer=reviewer, reason=REASONS[0][2])

    siti_products = [_register(siti, s, store, in_window) for s in _serials_for(pc, 4)]
    _submit(siti, running, [siti_products[0]])  # waiting for review
    rejected = _submit(siti, running, [siti_products[1]])
    services.claim_reject(claim=rejected, reviewer=reviewer, reason=REASONS[4][2])
    withdrawn = _submit(siti, running, [siti_products[2]])
    services.claim_withdraw(claim=withdrawn, member=siti)
    done = _submit(siti, running, [siti_products[3]])
    services.claim_approve(claim=done, reviewer=reviewer)
    _deliver_now(done)

    # Two more waiting for review: one whose invoice does not show the model (its check fails).
    budi_pcs = [_register(budi, s, store, in_window, shows_model=i == 0) for i, s in enumerate(_serials_for(pc, 2))]
    _submit(budi, running, [budi_pcs[0]])
    _submit(budi, running, [budi_pcs[1]])

    # An ended promotion's sent-back claim expires: made while it was open, then its deadline passes.
    extras = ["monitor", "motherboard", "graphics-card", "gaming-gear"]
    budi_products = [_register(budi, s, store, in_window) for s in _serials_for(extras, 1)]
    real = {f: getattr(ended, f) for f in ("purchase_start", "purchase_end", "redeem_start", "redeem_end")}
    window = {"purchase_start": in_window, "purchase_end": in_window, "redeem_start": in_window}
    Promotion.objects.filter(pk=ended.pk).update(**window, redeem_end=timezone.localdate())
    ended.refresh_from_db()
    late = _submit(budi, ended, budi_products)
    services.claim_send_back(claim=late, reviewer=reviewer, reason=REASONS[1][2])
    Promotion.objects.filter(pk=ended.pk).update(**real)
    services.claims_expire_sent_back()


def _deliver_now(claim: Claim) -> None:
    """As if the promotion period had ended: the claim's codes are allocated and emailed."""
    from membercenter.rewards.models import RewardGrant
    from membercenter.rewards.services import grant_allocate, grant_deliver

    grants = RewardGrant.objects.filter(item__claim=claim)
    grants.update(due_at=timezone.now())
    for pk in grants.values_list("pk", flat=True):
        grant_allocate(grant_id=pk)
        grant_deliver(grant_id=pk)
