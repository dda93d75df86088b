"""Fraud signals: facts about a claim that link it to other accounts' claims, for the reviewer to weigh.

A flag is not a verdict. It says what was found ("the same invoice picture is used by
another account") and links the other cases, so the reviewer can compare them side by
side. Every rule is one or two indexed queries, so a claim is judged in the same
number of queries however large the tables grow; each rule's docstring says what it
can and cannot see. Thresholds are settings (FRAUD_*).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from membercenter.claims.models import Claim, ClaimDocument, ClaimItem
from membercenter.evidence.images import phash_bands, phash_distance
from membercenter.evidence.models import Scan
from membercenter.products.models import RegisteredProduct, RegistrationRecord

# Links shown to the reviewer per flag: enough to compare, few enough to read.
MAX_LINKS = 20
# Near-duplicate pictures fetched per claim before the exact distance is computed. Invoices
# of one shop's template look alike to a 64-bit hash, so a popular template can match
# many scans; the newest are kept, which are the ones a reviewer can still act on.
MAX_IMAGE_CANDIDATES = 2000
# Bits a band may differ by in the lookup (see _band_values): 2 finds every pair up to
# distance 11 with 4 × 137 indexed values; 3 would need 4 × 697 for little gain.
MAX_BAND_RADIUS = 2
# Serials with more registrations than this are not realistic; the cap keeps the query bounded.
MAX_REGISTRATIONS = 500

PHONE_KEY_LENGTH = 20
ADDRESS_KEY_LENGTH = 120
# A phone or address shorter than this ("-", "0", "x") says nothing about who receives the parcel.
MIN_PHONE_DIGITS = 6
MIN_ADDRESS_CHARS = 6

# Indonesian address words and their usual abbreviations, folded to one spelling.
_ADDRESS_WORDS = {"jalan": "jl", "jln": "jl", "nomor": "no", "nomer": "no", "nmr": "no", "gang": "gg", "blok": "blk"}
_ADDRESS_TOKEN = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True)
class Flag:
    """One fraud signal on a claim, with the other claims and accounts it links to.

    Stored on Claim.flags as JSON (as_json/from_json) so the queue and the claim page
    show it without recomputing; the message is rendered in the reader's language.
    """

    code: str
    params: dict = field(default_factory=dict)
    claims: list[int] = field(default_factory=list)  # other claims, newest first, at most MAX_LINKS
    members: list[int] = field(default_factory=list)  # other accounts, at most MAX_LINKS

    SAME_INVOICE_IMAGE = "same_invoice_image"
    SAME_INVOICE_NUMBER = "same_invoice_number"
    SERIAL_MANY_ACCOUNTS = "serial_many_accounts"
    SHARED_PHONE = "shared_phone"
    SHARED_ADDRESS = "shared_address"
    BURST_ACCOUNT = "burst_account"
    BURST_ADDRESS = "burst_address"

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "params": dict(self.params),
            "claims": list(self.claims),
            "members": list(self.members),
        }

    @classmethod
    def from_json(cls, data: dict) -> Flag:
        return cls(
            code=data["code"],
            params=dict(data.get("params") or {}),
            claims=[int(pk) for pk in data.get("claims") or []],
            members=[int(pk) for pk in data.get("members") or []],
        )

    @property
    def message(self) -> str:
        """The sentence the reviewer reads, in the active language."""
        render = _MESSAGES.get(self.code)
        if render is None:
            return self.code
        try:
            return render(self.params)
        except (KeyError, TypeError, ValueError):
            # A flag stored by an older version with other params: still say what it is.
            return self.code


def _image_message(p: dict) -> str:
    accounts = int(p.get("accounts", 1))
    return ngettext(
        "The same invoice picture is used by another account (distance %(distance)d).",
        "The same invoice picture is used by %(accounts)d other accounts (distance %(distance)d).",
        accounts,
    ) % {"distance": p["distance"], "accounts": accounts}


def _number_message(p: dict) -> str:
    accounts = int(p.get("accounts", 1))
    return ngettext(
        "Invoice number %(number)s of %(store)s is also used by another account.",
        "Invoice number %(number)s of %(store)s is also used by %(accounts)d other accounts.",
        accounts,
    ) % {"number": p["number"], "store": p["store"], "accounts": accounts}


_MESSAGES: dict[str, Callable[[dict], str]] = {
    Flag.SAME_INVOICE_IMAGE: _image_message,
    Flag.SAME_INVOICE_NUMBER: _number_message,
    Flag.SERIAL_MANY_ACCOUNTS: lambda p: (
        _("Serial number %(serial)s has been registered on %(accounts)d accounts.")
        % {"serial": p["serial"], "accounts": p["accounts"]}
    ),
    Flag.SHARED_PHONE: lambda p: (
        _("The recipient phone number is on claims of %(accounts)d accounts.") % {"accounts": p["accounts"]}
    ),
    Flag.SHARED_ADDRESS: lambda p: (
        _("The recipient address is on claims of %(accounts)d accounts.") % {"accounts": p["accounts"]}
    ),
    Flag.BURST_ACCOUNT: lambda p: (
        _("This account sent %(claims)d claims within %(hours)d hours.") % {"claims": p["claims"], "hours": p["hours"]}
    ),
    Flag.BURST_ADDRESS: lambda p: (
        _("%(claims)d claims were sent to this address within %(hours)d hours.")
        % {"claims": p["claims"], "hours": p["hours"]}
    ),
}


# --- recipient keys -----------------------------------------------------------------------------


def phone_key(phone: str) -> str:
    """The national number, digits only: "0812-345 678", "+62 812345678" and "62812345678" are one phone.

    Indonesian numbers are written with the trunk 0, the country code 62 or the
    international 0062; all three are dropped. Other countries' numbers keep their
    digits as written (less a leading 0), which is still stable for one member's habits.
    """
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0062", "62", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return digits[:PHONE_KEY_LENGTH] if len(digits) >= MIN_PHONE_DIGITS else ""


def address_key(address: str, postal_code: str = "") -> str:
    """The address as words and numbers only, common abbreviations folded, with the postal code.

    "Jl. Sudirman No.100" and "jalan sudirman no 100" are one address; the postal code
    keeps the same street name in two cities apart.
    """
    tokens = [_ADDRESS_WORDS.get(t, t) for t in _ADDRESS_TOKEN.findall((address or "").casefold())]
    text = " ".join(tokens)
    if len(text.replace(" ", "")) < MIN_ADDRESS_CHARS:
        return ""
    postal = re.sub(r"\W", "", (postal_code or "").casefold())
    if postal:
        return f"{text[: ADDRESS_KEY_LENGTH - len(postal) - 1].rstrip()} {postal}"[:ADDRESS_KEY_LENGTH]
    return text[:ADDRESS_KEY_LENGTH].rstrip()


def recipient_keys(phone: str, address: str, postal_code: str) -> tuple[str, str]:
    """(phone_key, address_key) for Claim's indexed columns; "" where the value says nothing."""
    return phone_key(phone), address_key(address, postal_code)


# --- the claim's own evidence -------------------------------------------------------------------


@dataclass(frozen=True)
class _OwnScan:
    pk: int
    phash: str
    number_key: str
    store_id: int
    store_name: str


@dataclass(frozen=True)
class _OwnSerial:
    pk: int
    sn: str


def _own_evidence(claim: Claim) -> tuple[list[_OwnScan], list[_OwnSerial]]:
    """The invoice scans (every round's documents and the products' own invoices) and serials of the claim."""
    scans: dict[int, _OwnScan] = {}
    serials: dict[int, _OwnSerial] = {}
    items = ClaimItem.objects.filter(claim_id=claim.pk).values(
        "product__serial_id",
        "product__serial__sn",
        "product__store_id",
        "product__store__name",
        "product__invoice_scan_id",
        "product__invoice_scan__phash",
        "product__invoice_scan__invoice_number_key",
    )
    for row in items:
        serials[row["product__serial_id"]] = _OwnSerial(row["product__serial_id"], row["product__serial__sn"])
        if row["product__invoice_scan_id"] is not None:
            scans[row["product__invoice_scan_id"]] = _OwnScan(
                row["product__invoice_scan_id"],
                row["product__invoice_scan__phash"],
                row["product__invoice_scan__invoice_number_key"],
                row["product__store_id"],
                row["product__store__name"],
            )
    documents = ClaimDocument.objects.filter(
        item__claim_id=claim.pk, kind=ClaimDocument.Kind.INVOICE, scan__isnull=False
    ).values(
        "scan_id", "scan__phash", "scan__invoice_number_key", "item__product__store_id", "item__product__store__name"
    )
    for doc in documents:
        scans[doc["scan_id"]] = _OwnScan(
            doc["scan_id"],
            doc["scan__phash"],
            doc["scan__invoice_number_key"],
            doc["item__product__store_id"],
            doc["item__product__store__name"],
        )
    return list(scans.values()), list(serials.values())


# --- invoices: the same picture, the same number ------------------------------------------------


@cache
def _band_masks(radius: int) -> tuple[int, ...]:
    """Every 16-bit XOR mask with at most `radius` bits set (1 + 16 + 120 for radius 2)."""
    masks = [0]
    for bits in range(1, radius + 1):
        masks += [sum(1 << b for b in chosen) for chosen in itertools.combinations(range(16), bits)]
    return tuple(masks)


def band_radius(distance: int) -> int:
    """How far each band is searched so that every pair within `distance` is found.

    Two 64-bit hashes `distance` apart differ in at most distance // 4 bits in one of
    their four 16-bit bands (pigeonhole), so looking up each band's neighbours within
    that many bits finds them all. Capped at MAX_BAND_RADIUS: recall is complete up to
    distance 4 * MAX_BAND_RADIUS + 3 = 11.
    """
    return min(max(distance, 0) // 4, MAX_BAND_RADIUS)


def _band_values(phashes: Iterable[str], radius: int) -> list[set[int]]:
    """For each band position, the band values within `radius` bits of one of the hashes."""
    values: list[set[int]] = [set(), set(), set(), set()]
    masks = _band_masks(radius)
    for phash in phashes:
        for i, band in enumerate(phash_bands(phash)):
            values[i].update(band ^ m for m in masks)
    return values


def near_duplicates_q(phashes: Iterable[str], distance: int) -> Q:
    """Scans whose hash may be within `distance` of one of `phashes`: an indexed superset, checked exactly after.

    Stored bands are exact 16-bit slices (Scan.phash_0..3); the equality lookup alone
    finds pairs only up to distance 3, and a re-saved, slightly cropped invoice is
    often 4 to 8 bits away. Searching each band's neighbourhood instead keeps the
    lookup on the same four indexes.
    """
    q = Q()
    for i, values in enumerate(_band_values(phashes, band_radius(distance))):
        if values:
            q |= Q(**{f"phash_{i}__in": sorted(values)})
    return q & ~Q(phash="") if q else Q(pk__in=[])


@dataclass
class _Link:
    """Where another account's scan is used: its claims (with dates) and the stores of its products."""

    claims: dict[int, dt.datetime] = field(default_factory=dict)
    claim_members: dict[int, int] = field(default_factory=dict)
    stores: set[int] = field(default_factory=set)


def _links_of_scans(scan_ids: list[int], *, exclude_claim: int) -> dict[int, _Link]:
    """For each scan: the claims it is evidence of and the stores its products were bought at (two queries)."""
    links: dict[int, _Link] = {pk: _Link() for pk in scan_ids}
    if not scan_ids:
        return links
    documents = ClaimDocument.objects.filter(scan_id__in=scan_ids).values(
        "scan_id", "item__claim_id", "item__claim__member_id", "item__claim__submitted_at", "item__product__store_id"
    )
    for row in documents:
        link = links[row["scan_id"]]
        link.stores.add(row["item__product__store_id"])
        if row["item__claim_id"] != exclude_claim:
            link.claims[row["item__claim_id"]] = row["item__claim__submitted_at"]
            link.claim_members[row["item__claim_id"]] = row["item__claim__member_id"]
    # A product's own invoice counts even before the product is claimed (LEFT JOIN on the items).
    products = RegisteredProduct.objects.filter(invoice_scan_id__in=scan_ids).values(
        "invoice_scan_id",
        "store_id",
        "claim_items__claim_id",
        "claim_items__claim__member_id",
        "claim_items__claim__submitted_at",
    )
    for product in products:
        link = links[product["invoice_scan_id"]]
        link.stores.add(product["store_id"])
        claim_id = product["claim_items__claim_id"]
        if claim_id is not None and claim_id != exclude_claim:
            link.claims[claim_id] = product["claim_items__claim__submitted_at"]
            link.claim_members[claim_id] = product["claim_items__claim__member_id"]
    return links


def _linked(
    scan_rows: Sequence[Mapping[str, Any]], links: dict[int, _Link], member_id: int
) -> tuple[list[int], list[int]]:
    """The other accounts' claims (newest first) and the accounts owning these scans."""
    dated: dict[int, dt.datetime] = {}
    members: list[int] = []
    for row in scan_rows:
        if row["owner_id"] not in members:
            members.append(row["owner_id"])
        link = links[row["pk"]]
        for claim_id, submitted_at in link.claims.items():
            if link.claim_members[claim_id] != member_id:
                dated[claim_id] = submitted_at
    claims = sorted(dated, key=lambda pk: (dated[pk], pk), reverse=True)
    return claims[:MAX_LINKS], members[:MAX_LINKS]


def _invoice_flags(claim: Claim, own: list[_OwnScan]) -> list[Flag]:
    """same_invoice_image and same_invoice_number: another account holds the same invoice.

    same_invoice_image: a Scan of kind invoice owned by another member whose perceptual
    hash is within FRAUD_PHASH_DISTANCE bits of one of this claim's invoice scans. The
    candidates come from the band indexes (near_duplicates_q, complete up to distance
    11), newest MAX_IMAGE_CANDIDATES, then the exact distance is computed here. A
    64-bit DCT hash sees a page's layout, not its digits: two different invoices of one
    shop's template can be a few bits apart, so when both numbers were read and differ
    the flag says so (a look-alike, or an edited copy).

    same_invoice_number: a Scan of another member with the same folded invoice number
    (Scan.invoice_number_key, indexed), used for a product bought at the same Store as
    the product this claim's scan belongs to. Numbers restart per shop, so the store
    must match; scans not yet attached to a product or claim have no store and are
    not counted.
    """
    own = [s for s in own if s.phash or s.number_key]
    if not own:
        return []
    limit = settings.FRAUD_PHASH_DISTANCE
    phashes = {s.phash for s in own if s.phash}
    keys = {s.number_key for s in own if s.number_key}
    lookup = Q(pk__in=[])
    if phashes:
        lookup |= near_duplicates_q(phashes, limit)
    if keys:
        lookup |= Q(invoice_number_key__in=sorted(keys))
    candidates = list(
        Scan.objects.filter(lookup, kind=Scan.Kind.INVOICE)
        .exclude(owner_id=claim.member_id)
        .order_by("-pk")
        .values("pk", "owner_id", "phash", "invoice_number_key")[:MAX_IMAGE_CANDIDATES]
    )
    images: list[tuple[int, Mapping[str, Any]]] = []
    numbers: list[Mapping[str, Any]] = []
    for row in candidates:
        # Invoices printed from one template (a marketplace's, a chain's) hash alike: when
        # both numbers were read and differ, the pictures are two invoices, not one copied.
        other_invoice = bool(keys) and bool(row["invoice_number_key"]) and row["invoice_number_key"] not in keys
        if row["phash"] and phashes and not other_invoice:
            distance = min(phash_distance(row["phash"], h) for h in phashes)
            if distance <= limit:
                images.append((distance, row))
        if row["invoice_number_key"] in keys:
            numbers.append(row)
    links = _links_of_scans(sorted({r["pk"] for _, r in images} | {r["pk"] for r in numbers}), exclude_claim=claim.pk)
    flags = []
    if images:
        rows = [r for _, r in images]
        claims, members = _linked(rows, links, claim.member_id)
        params: dict[str, object] = {
            "distance": min(d for d, _ in images),
            "accounts": len({r["owner_id"] for r in rows}),
        }
        flags.append(Flag(Flag.SAME_INVOICE_IMAGE, params, claims, members))
    for key, store_id, store_name in sorted({(s.number_key, s.store_id, s.store_name) for s in own if s.number_key}):
        rows = [r for r in numbers if r["invoice_number_key"] == key and store_id in links[r["pk"]].stores]
        if rows:
            claims, members = _linked(rows, links, claim.member_id)
            params = {"number": key, "store": store_name, "accounts": len({r["owner_id"] for r in rows})}
            flags.append(Flag(Flag.SAME_INVOICE_NUMBER, params, claims, members))
    return flags


# --- serials --------------------------------------------------------------------------------------


def _serial_flags(claim: Claim, serials: list[_OwnSerial]) -> list[Flag]:
    """serial_many_accounts: a claimed serial was registered on two or more accounts over time.

    RegistrationRecord keeps every registration, also after the product left an account,
    so a serial passed between accounts (or sold on with its sticker photographed) shows.
    The accounts counted are the recorded ones plus this claim's member. Links: the
    other accounts, and their claims of the same serial where any still exist.
    """
    if not serials:
        return []
    records = (
        RegistrationRecord.objects.filter(serial_id__in=[s.pk for s in serials], member__isnull=False)
        .order_by("serial_id", "member_id")
        .values_list("serial_id", "member_id")
        .distinct()[:MAX_REGISTRATIONS]
    )
    accounts: dict[int, set[int]] = {s.pk: {claim.member_id} for s in serials}
    for serial_id, member_id in records:
        accounts[serial_id].add(member_id)
    flagged = [s for s in serials if len(accounts[s.pk]) >= 2]
    if not flagged:
        return []
    others = (
        ClaimItem.objects.filter(product__serial_id__in=[s.pk for s in flagged])
        .exclude(claim__member_id=claim.member_id)
        .order_by("-claim__submitted_at", "-claim_id")
        .values_list("product__serial_id", "claim_id")[: MAX_LINKS * len(flagged)]
    )
    claims_of: dict[int, list[int]] = {s.pk: [] for s in flagged}
    for serial_id, claim_id in others:
        if claim_id not in claims_of[serial_id]:
            claims_of[serial_id].append(claim_id)
    return [
        Flag(
            Flag.SERIAL_MANY_ACCOUNTS,
            {"serial": s.sn, "accounts": len(accounts[s.pk])},
            claims_of[s.pk][:MAX_LINKS],
            sorted(accounts[s.pk] - {claim.member_id})[:MAX_LINKS],
        )
        for s in flagged
    ]


# --- recipients -----------------------------------------------------------------------------------


def _newest_claims(qs: QuerySet[Claim]) -> list[int]:
    return list(qs.order_by("-submitted_at", "-pk").values_list("pk", flat=True)[:MAX_LINKS])


def _some_members(qs: QuerySet[Claim]) -> list[int]:
    return list(qs.order_by("member_id").values_list("member_id", flat=True).distinct()[:MAX_LINKS])


def _shared_flag(claim: Claim, code: str, column: str, key: str) -> Flag | None:
    if not key:
        return None
    others = Claim.objects.filter(**{column: key}).exclude(member_id=claim.member_id)
    count = others.aggregate(n=Count("member_id", distinct=True))["n"]
    accounts = count + 1
    if accounts < settings.FRAUD_SHARED_RECIPIENT_ACCOUNTS:
        return None
    return Flag(code, {"accounts": accounts}, _newest_claims(others), _some_members(others))


def _recipient_flags(claim: Claim) -> list[Flag]:
    """shared_phone and shared_address: one recipient on claims of FRAUD_SHARED_RECIPIENT_ACCOUNTS accounts or more.

    Compared on the folded, indexed Claim.phone_key and Claim.address_key (recipient_keys),
    so "0812-3456-789" and "+62 812 3456 789" are one phone. Every claim counts, whatever
    its status; an account counts once however many claims it sent there, so a member
    using their own address again is never flagged. This claim's account is one of the
    accounts counted.
    """
    flags = [
        _shared_flag(claim, Flag.SHARED_PHONE, "phone_key", claim.phone_key),
        _shared_flag(claim, Flag.SHARED_ADDRESS, "address_key", claim.address_key),
    ]
    return [f for f in flags if f is not None]


def _burst_flags(claim: Claim) -> list[Flag]:
    """burst_account and burst_address: more than FRAUD_BURST_CLAIMS claims within FRAUD_BURST_HOURS.

    The window is the FRAUD_BURST_HOURS up to this claim's submission, this claim
    included, on one account (indexed by member) or on one address_key across accounts.
    The earlier claims of a burst are not flagged by this rule: at their submission the
    burst had not happened yet.
    """
    hours = settings.FRAUD_BURST_HOURS
    limit = settings.FRAUD_BURST_CLAIMS
    window = Q(submitted_at__gt=claim.submitted_at - dt.timedelta(hours=hours), submitted_at__lte=claim.submitted_at)
    flags = []
    of_account = Claim.objects.filter(window, member_id=claim.member_id)
    count = of_account.count()
    if count > limit:
        flags.append(
            Flag(Flag.BURST_ACCOUNT, {"claims": count, "hours": hours}, _newest_claims(of_account.exclude(pk=claim.pk)))
        )
    if claim.address_key:
        to_address = Claim.objects.filter(window, address_key=claim.address_key)
        count = to_address.count()
        if count > limit:
            others = to_address.exclude(pk=claim.pk)
            flags.append(
                Flag(
                    Flag.BURST_ADDRESS,
                    {"claims": count, "hours": hours},
                    _newest_claims(others),
                    _some_members(others.exclude(member_id=claim.member_id)),
                )
            )
    return flags


def claim_flags(claim: Claim) -> list[Flag]:
    """Every fraud signal on the claim, in a fixed order, each with links to the other cases.

    A bounded number of queries (at most 18) whatever the size of the tables: each rule
    filters on indexed columns and fetches at most a capped number of rows.
    """
    scans, serials = _own_evidence(claim)
    return [
        *_invoice_flags(claim, scans),
        *_serial_flags(claim, serials),
        *_recipient_flags(claim),
        *_burst_flags(claim),
    ]
