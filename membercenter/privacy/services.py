"""Data protection: a member's data export, account deletion, and the documents' retention.

Deletion and retention change the database in one transaction and delete the stored files
only after it commits: a failure leaves everything as it was (files of a rolled-back
deletion are still there), never a row pointing at a deleted file.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import IO

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.accounts.models import NewsletterSubscription, User
from membercenter.accounts.services import sessions_end_all
from membercenter.audit.models import AuditEntry
from membercenter.audit.services import audit_record
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Scan, Upload
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.privacy import selectors
from membercenter.products.models import RegisteredProduct
from membercenter.support.models import SupportRequest

logger = logging.getLogger(__name__)

COPY_CHUNK = 1024 * 1024
# A claim in one of these is finished: nothing more will be decided or sent on it.
CLOSED = frozenset({Claim.Status.REWARD_SENT, Claim.Status.REJECTED, Claim.Status.EXPIRED, Claim.Status.WITHDRAWN})
# Still waiting for a decision: withdrawn when the member deletes the account.
UNDECIDED = frozenset({Claim.Status.SUBMITTED, Claim.Status.SENT_BACK})
RETENTION_BATCH = 200


# --- Download my data ---------------------------------------------------------------------


def member_data_export(*, member: User, now: dt.datetime | None = None) -> IO[bytes]:
    """The member's ZIP (data.json + documents/…), in a temporary file positioned at its start.

    Built synchronously: one member has a few dozen pictures of ~200 KB (re-encoded, 1600 px
    wide), so the archive is a few MB, written to a temporary file (not memory) and streamed
    from there; the file disappears when the response closes it.
    """
    now = now or timezone.now()
    export = selectors.member_export(member=member, now=now)
    stamp = timezone.localtime(now).timetuple()[:6]
    handle = tempfile.TemporaryFile()
    missing = []
    with zipfile.ZipFile(handle, "w") as archive:
        for name, storage_name in export.documents.items():
            # Pictures are JPEG already: stored, not compressed again.
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            try:
                with default_storage.open(storage_name, "rb") as src, archive.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, COPY_CHUNK)
            except FileNotFoundError:
                missing.append(name)
        if missing:
            export.data["documents_missing"] = missing
        info = zipfile.ZipInfo("data.json", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(export.data, ensure_ascii=False, indent=2))
    with transaction.atomic():
        audit_record(
            actor=member,
            action="privacy.export",
            target=member,
            summary=(
                f"Data export downloaded: {len(export.documents) - len(missing)} documents, "
                f"{export.codes_included} delivered reward codes"
            ),
        )
    handle.seek(0)
    return handle


# --- Delete my account --------------------------------------------------------------------


@dataclass(frozen=True)
class DeletionReport:
    claims_kept: int
    claims_withdrawn: int
    files_removed: int


def placeholder_email(user_id: int) -> str:
    """Unique, and never delivered: .invalid is reserved (RFC 2606)."""
    return f"deleted-{user_id}@invalid"


def _files_delete(names: Iterable[str]) -> None:
    for name in sorted(set(names)):
        try:
            default_storage.delete(name)
        except OSError:
            # The rows no longer name it: the file is unreachable; the log is how it is found.
            logger.exception("privacy: stored file could not be deleted", extra={"file": name})


# Characters that may stand next to an address inside a longer one (jan@mail.com holds an@mail.com,
# an@mail.com.au holds an@mail.com): a match needs something else, or the text's edge, on both sides.
# A full stop ends a match only when no domain label follows it (end of a sentence).
_BEFORE = "a-z0-9_.+-"
_AFTER = "a-z0-9_.-"
_LABEL = "a-z0-9_-"


def _escaped(address: str) -> str:
    # Letters and digits as they are, every other character escaped: the same in Python's `re`
    # and PostgreSQL's regular expressions (a backslash before a non-alphanumeric is that character).
    return "".join(c if c.isalnum() else "\\" + c for c in address)


def address_sql_regex(address: str) -> str:
    """A pattern for `__iregex` (PostgreSQL and SQLite alike) finding `address` as a whole address."""
    return f"(^|[^{_BEFORE}]){_escaped(address)}($|[^{_AFTER}]|\\.($|[^{_LABEL}]))"


def address_regex(address: str) -> re.Pattern[str]:
    """The same rule for `re.sub`: look-arounds, so neighbouring text and back-to-back addresses stay."""
    return re.compile(f"(?<![{_BEFORE}]){_escaped(address)}(?=$|[^{_AFTER}]|\\.($|[^{_LABEL}]))", re.IGNORECASE)


def _files_delete_after_commit(names: set[str]) -> None:
    names = {n for n in names if n}
    if names:
        transaction.on_commit(partial(_files_delete, names), robust=True)


def account_delete(*, member: User, password: str) -> DeletionReport:
    """Erase the member's personal data and documents; keep their claims, anonymised, for the audit.

    Refused (nothing changed) on a wrong password, for staff accounts, and while a reward is
    being prepared or shipped. Claims still waiting for a decision are withdrawn through the
    claim pipeline (`Claim.move_to`); every claim keeps its status, events, promotion,
    products, dates and rewards, and loses the recipient details.
    """
    if not password or not member.check_password(password):
        raise ValidationError(_("The password is not correct."), code="password")
    if member.is_staff:
        raise ValidationError(_("Staff accounts are closed by an administrator."), code="staff")
    files: set[str] = set()
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        # The member's claims, locked: a reviewer deciding one at this moment waits, then finds it withdrawn.
        claims = list(Claim.objects.select_for_update(of=("self",)).filter(member=member).order_by("pk"))
        blockers = selectors.account_deletion_blockers(member=member)
        if blockers:
            raise ValidationError(
                _(
                    "A reward for your redemption %(claims)s is still being prepared or shipped. "
                    "You can delete your account once it has been sent."
                )
                % {"claims": ", ".join(f"#{pk}" for pk in blockers)},
                code="reward_in_progress",
            )
        withdrawn = 0
        for claim in claims:
            if claim.status in UNDECIDED:
                claim.move_to(Claim.Status.WITHDRAWN, by=member, note=_("Withdrawn: the member deleted the account"))
                withdrawn += 1
        placeholder = placeholder_email(member.pk)
        old_email = member.email
        Claim.objects.filter(member=member).update(
            full_name="", email=placeholder, phone="", address="", unit="", city="", province="", postal_code="",
            contact_name="", contact_phone="", phone_key="", address_key="", held_by=None, held_until=None,
        )  # fmt: skip

        documents = ClaimDocument.objects.filter(item__claim__member=member).exclude(file="")
        files.update(documents.values_list("file", flat=True))
        documents.update(file="", scan=None)
        products = RegisteredProduct.objects.filter(member=member)
        files.update(products.exclude(invoice="").values_list("invoice", flat=True))
        # A product no claim names goes (its serial can be registered again); one a kept claim
        # names stays, without its invoice, for that claim's audit.
        products.filter(claim_items__isnull=True).delete()
        products.update(invoice="", invoice_scan=None)
        uploads = Upload.objects.filter(owner=member)
        files.update(uploads.values_list("file", flat=True))
        uploads.delete()
        scans = Scan.objects.filter(owner=member)  # the OCR text of the member's pictures
        files.update(scans.values_list("file", flat=True))
        scans.delete()

        InboxMessage.objects.filter(user=member).delete()
        SupportRequest.objects.filter(member=member).delete()
        NewsletterSubscription.objects.filter(user=member).delete()
        # Pending emails are cancelled; sent ones go too (each holds the address and the message),
        # and so do the copies to customer service that quote the member (support_staff).
        # The whole address only: an@mail.com must not take jan@mail.com's emails with it.
        quoted = address_sql_regex(old_email)
        OutboxEmail.objects.filter(
            Q(user=member) | Q(to__iexact=old_email) | Q(subject__iregex=quoted)
            | Q(body_text__iregex=quoted) | Q(body_html__iregex=quoted)
        ).delete()  # fmt: skip
        # The audit log keeps what happened, under the placeholder (e.g. "email … to <address> queued again").
        address = address_regex(old_email)
        entries = list(AuditEntry.objects.filter(summary__iregex=quoted).only("pk", "summary"))
        for entry in entries:
            entry.summary = address.sub(placeholder, entry.summary)
        AuditEntry.objects.bulk_update(entries, ["summary"], batch_size=500)
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(member.pk)).update(
            object_repr=placeholder
        )
        # After the commit: the cached_db engine's Redis copies are not rolled back with the rows.
        # (Robust: by then the password is unusable, which already voids every session.)
        transaction.on_commit(partial(sessions_end_all, user=member), robust=True)

        member.email = placeholder
        member.first_name = member.last_name = member.phone = ""
        member.region = None
        member.email_verified_at = None
        member.is_active = False
        member.set_unusable_password()
        member.save()
        member.newsletters.clear()
        member.groups.clear()
        member.user_permissions.clear()
        audit_record(
            actor=member,
            action="account.delete",
            target=member,
            summary=(
                f"Account deleted by the member: {len(claims)} claims kept anonymised "
                f"({withdrawn} withdrawn), {len(files)} stored files removed"
            ),
        )
        _files_delete_after_commit(files)
    return DeletionReport(claims_kept=len(claims), claims_withdrawn=withdrawn, files_removed=len(files))


# --- Retention ----------------------------------------------------------------------------


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.DOCUMENT_RETENTION_DAYS)


def documents_retention_purge(*, now: dt.datetime | None = None, batch: int = RETENTION_BATCH) -> int:
    """Delete the documents of claims closed more than DOCUMENT_RETENTION_DAYS ago; the claims stay.

    A claim's closing time is its last status change. A document keeps its row (kind, round,
    date) with the file emptied, so the claim page can say it was removed; its reading keeps
    the perceptual hash and invoice-number key (the fraud signals still find a reused
    picture) and loses its OCR text. Safe to run twice or at once: a document already
    emptied is passed by, and each batch locks its rows.
    """
    cutoff = retention_cutoff(now)
    old_closed = (
        Claim.objects.filter(status__in=CLOSED, submitted_at__lt=cutoff)
        .exclude(events__created_at__gte=cutoff)
        .values("pk")
    )
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                ClaimDocument.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(item__claim__in=old_closed)
                .exclude(file="")
                .values_list("pk", "file", "scan_id")[:batch]
            )
            if not rows:
                break
            ClaimDocument.objects.filter(pk__in=[pk for pk, _f, _s in rows]).update(file="")
            Scan.objects.filter(pk__in=[s for _p, _f, s in rows if s]).update(file="", boxes=[])
            _files_delete_after_commit({f for _p, f, _s in rows})
        removed += len(rows)
        if len(rows) < batch:
            break
    if removed:
        logger.info("privacy: documents removed under the retention policy", extra={"documents": removed})
    return removed
