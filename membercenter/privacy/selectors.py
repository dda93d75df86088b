"""What "Download my data" contains: the member's own data, as the member sees it on the site.

Member-visible, and so exported: the profile, consents and newsletters, registered products
(serial, model, purchase facts, the invoice), claims (status, dates, the recipient details the
member entered, the reason the member was told, the status history without who moved it,
the documents sent), rewards (reward, delivery dates, courier and tracking number; a code
only once it has been delivered, when the member can show it on the site), pending uploads,
inbox messages, support requests and the Login Management sessions.

Staff-internal, and never exported: the automatic checks and their OCR text, fraud flags
and the keys they match on (`checks`, `checks_passed`, `flags`, `phone_key`, `address_key`),
the reviewer holding a claim and who made each decision, escalations, the reasons of a
decision the member was not shown, the outbox's delivery internals and the audit log.
Another member's data never appears: every query starts from the member.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.db.models import Prefetch

from membercenter.accounts.models import MemberSession, NewsletterSubscription, User
from membercenter.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimItem
from membercenter.evidence.models import Upload
from membercenter.notifications.models import InboxMessage
from membercenter.products.models import RegisteredProduct
from membercenter.rewards.crypto import code_decrypt
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.support.models import SupportRequest

EXPORT_FORMAT = 1
# A reason is what the member was told only when the claim was sent back or rejected.
REASON_SHOWN = frozenset({Claim.Status.SENT_BACK, Claim.Status.REJECTED})
CLAIM_RECIPIENT_FIELDS = (
    "full_name", "email", "phone", "address", "unit", "city", "province", "postal_code", "contact_name",
    "contact_phone",
)  # fmt: skip


@dataclass
class MemberExport:
    """The JSON document and the stored files that go with it (archive name → storage name)."""

    data: dict[str, Any]
    documents: dict[str, str] = field(default_factory=dict)
    codes_included: int = 0


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _document(export: MemberExport, archive_name: str, storage_name: str | None) -> str | None:
    """Register a stored file for the archive; its name in the archive, or None when there is none."""
    if not storage_name:
        return None
    suffix = PurePosixPath(storage_name).suffix.lower() or ".jpg"
    name = f"documents/{archive_name}{suffix}"
    export.documents[name] = storage_name
    return name


def _profile(member: User) -> dict[str, Any]:
    return {
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "phone": member.phone,
        "region": member.region.code if member.region_id else None,  # type: ignore[union-attr]
        "language": member.language,
        "date_joined": _when(member.date_joined),
        "last_login": _when(member.last_login),
        "email_verified_at": _when(member.email_verified_at),
        "privacy_accepted_at": _when(member.privacy_accepted_at),
        "reward_terms_accepted_at": _when(member.reward_terms_accepted_at),
    }


def _newsletters(member: User) -> list[dict[str, Any]]:
    rows = NewsletterSubscription.objects.filter(user=member).select_related("newsletter").order_by("pk")
    return [
        {"newsletter": row.newsletter.slug, "name": str(row.newsletter), "subscribed_at": _when(row.subscribed_at)}
        for row in rows
    ]


def _products(member: User, export: MemberExport) -> list[dict[str, Any]]:
    rows = (
        RegisteredProduct.objects.filter(member=member)
        .select_related("serial__product_model__category", "region", "store")
        .order_by("registered_at", "pk")
    )
    return [
        {
            "id": p.pk,
            "serial_number": p.serial.sn,
            "product_model": p.serial.product_model.name,
            "model_code": p.serial.product_model.code,
            "category": str(p.serial.product_model.category),
            "region": p.region.code,
            "store": str(p.store),
            "where_purchased": p.channel,
            "purchase_date": _when(p.purchase_date),
            "warranty_ends_on": _when(p.warranty_ends_on),
            "registered_at": _when(p.registered_at),
            "invoice": _document(export, f"products/{p.pk}-invoice", p.invoice.name),
        }
        for p in rows
    ]


def _grant(grant: RewardGrant | None, export: MemberExport) -> dict[str, Any] | None:
    if grant is None:
        return None
    out: dict[str, Any] = {
        "reward": grant.reward.name,
        "kind": grant.reward.kind,
        "status": grant.status,
        "delivered_at": _when(grant.delivered_at),
        "shipped_at": _when(grant.shipped_at),
        "courier": grant.courier,
        "tracking_number": grant.tracking_number,
        "code": None,
    }
    # The site shows a code (Show code) only once it is delivered: so does the export.
    if grant.status == RewardGrant.Status.DELIVERED and grant.code is not None:
        out["code"] = code_decrypt(grant.code.ciphertext)
        export.codes_included += 1
    return out


def _event(event: ClaimEvent, member_id: int) -> dict[str, Any]:
    # Who moved the claim (a reviewer) is staff-internal; the note only when the member was told it.
    return {
        "at": _when(event.created_at),
        "from": event.from_status or None,
        "to": event.to_status,
        "round": event.round,
        "note": event.note if event.to_status in REASON_SHOWN or event.actor_id == member_id else "",
    }


def _claims(member: User, export: MemberExport) -> list[dict[str, Any]]:
    items = ClaimItem.objects.select_related(
        "product__serial__product_model", "grant__reward", "grant__code"
    ).prefetch_related(Prefetch("documents", queryset=ClaimDocument.objects.order_by("round", "uploaded_at", "pk")))
    rows = (
        Claim.objects.filter(member=member)
        .defer("checks", "flags", "phone_key", "address_key")
        .select_related("promotion", "region")
        .prefetch_related(Prefetch("items", queryset=items.order_by("pk")), "events")
        .order_by("submitted_at", "pk")
    )
    claims = []
    for claim in rows:
        claim_items = []
        for item in claim.items.all():
            documents = [
                {
                    "kind": doc.kind,
                    "round": doc.round,
                    "uploaded_at": _when(doc.uploaded_at),
                    "file": _document(export, f"claims/{claim.pk}/{doc.pk}-{doc.kind}-round{doc.round}", doc.file.name),
                }
                for doc in item.documents.all()
            ]
            claim_items.append(
                {
                    "product_id": item.product_id,
                    "serial_number": item.product.serial.sn,
                    "product_model": item.product.serial.product_model.name,
                    "documents": documents,
                    "reward": _grant(getattr(item, "grant", None), export),
                }
            )
        claims.append(
            {
                "id": claim.pk,
                "promotion": claim.promotion.name,
                "region": claim.region.code,
                "status": claim.status,
                "status_label": str(claim.get_status_display()),
                "round": claim.round,
                "submitted_at": _when(claim.submitted_at),
                "resubmitted_at": _when(claim.resubmitted_at),
                "decision_due": _when(claim.due_on),
                "decided_at": _when(claim.decided_at),
                "reason": claim.reason if claim.status in REASON_SHOWN else "",
                "recipient": {f: getattr(claim, f) for f in CLAIM_RECIPIENT_FIELDS},
                "items": claim_items,
                "history": [_event(e, member.pk) for e in claim.events.all()],  # ordered by ClaimEvent.Meta
            }
        )
    return claims


def _uploads(member: User, export: MemberExport) -> list[dict[str, Any]]:
    rows = Upload.objects.filter(owner=member).order_by("created_at")
    return [
        {
            "kind": u.kind,
            "uploaded_at": _when(u.created_at),
            "file": _document(export, f"uploads/{u.pk}-{u.kind}", u.file.name),
        }
        for u in rows
    ]


def _inbox(member: User) -> list[dict[str, Any]]:
    rows = InboxMessage.objects.filter(user=member).order_by("created_at", "pk")
    return [
        {
            "subject": m.subject,
            "body": m.body,
            "link": m.link,
            "created_at": _when(m.created_at),
            "read_at": _when(m.read_at),
        }
        for m in rows
    ]


def _support(member: User) -> list[dict[str, Any]]:
    rows = SupportRequest.objects.filter(member=member).order_by("created_at", "pk")
    return [
        {
            "id": r.pk,
            "topic": r.topic,
            "serial_number": r.serial_number,
            "message": r.message,
            "created_at": _when(r.created_at),
            "resolved_at": _when(r.resolved_at),
        }
        for r in rows
    ]


def _sessions(member: User) -> list[dict[str, Any]]:
    # The Login Management rows; never the session keys (they would log in as the member).
    rows = MemberSession.objects.filter(user=member).order_by("-last_activity")
    return [
        {
            "ip_address": s.ip_address,
            "device": s.user_agent,
            "created_at": _when(s.created_at),
            "last_activity": _when(s.last_activity),
        }
        for s in rows
    ]


def member_export(*, member: User, now: dt.datetime) -> MemberExport:
    """Everything of `member` the export holds; the files are listed, not read."""
    export = MemberExport(data={})
    export.data.update(
        {
            "format": EXPORT_FORMAT,
            "generated_at": _when(now),
            "profile": _profile(member),
            "newsletters": _newsletters(member),
            "products": _products(member, export),
            "claims": _claims(member, export),
            "pending_uploads": _uploads(member, export),
            "inbox": _inbox(member),
            "support_requests": _support(member),
            "sessions": _sessions(member),
        }
    )
    return export


def account_deletion_blockers(*, member: User) -> list[int]:
    """Claims whose reward is still on its way (or came back): the account stays until it has arrived.

    An approved claim's rewards are not all sent yet. A gift is done only once DELIVERED: the
    claim turns REWARD_SENT as soon as its gifts are SHIPPED, so the gift grants themselves
    are checked (PREPARING, SHIPPED and RETURNED all still need the address). A code is done
    once delivered, which is when its claim leaves APPROVED.
    """
    approved = Claim.objects.filter(member=member, status=Claim.Status.APPROVED).values_list("pk", flat=True)
    gifts_open = (
        RewardGrant.objects.filter(item__claim__member=member, reward__kind=Reward.Kind.GIFT)
        .exclude(status=RewardGrant.Status.DELIVERED)
        .values_list("item__claim_id", flat=True)
    )
    return sorted(set(approved) | set(gifts_open))
