from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation

from membercenter.notifications.models import InboxMessage, OutboxEmail

if TYPE_CHECKING:
    from membercenter.accounts.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placeholders:
    """How an app names a secret in an email: filled in only when sending, hidden in the inbox."""

    expand: Callable[[str], str]
    hide: Callable[[str], str]


# Registered by the apps that use them (rewards: its codes), from their AppConfig.ready().
_placeholders: dict[str, Placeholders] = {}


def placeholders_register(name: str, placeholders: Placeholders) -> None:
    _placeholders[name] = placeholders


def _expand(text: str) -> str:
    for p in _placeholders.values():
        text = p.expand(text)
    return text


def _hide(text: str) -> str:
    for p in _placeholders.values():
        text = p.hide(text)
    return text


def email_enqueue(*, template: str, to: str, context: dict, language: str, user: User | None = None) -> OutboxEmail:
    """Write the email to the outbox; it is sent only once the current transaction commits.

    `template` names `notifications/email/<template>.{subject,txt,html}`, rendered in
    `language` with the brand and site URL in the context.
    """
    ctx = {
        "BRAND_NAME": settings.BRAND_NAME,
        "BRAND_PRIMARY_COLOR": settings.BRAND_PRIMARY_COLOR,
        "SITE_URL": settings.SITE_URL,
        **context,
    }
    with translation.override(language):
        subject = render_to_string(f"notifications/email/{template}.subject.txt", ctx).strip()
        body_text = render_to_string(f"notifications/email/{template}.txt", ctx)
        body_html = render_to_string(f"notifications/email/{template}.html", ctx)
    row = OutboxEmail.objects.create(
        user=user, template=template, to=to, subject=" ".join(subject.split()), body_text=body_text, body_html=body_html
    )
    from membercenter.notifications.tasks import outbox_send

    # robust: with the broker down the change still stands and the email is in the outbox;
    # the sweep sends it then.
    transaction.on_commit(lambda: outbox_send.delay(row.pk), robust=True)
    return row


def notify(*, user: User, template: str, context: dict, link: str = "") -> OutboxEmail:
    """Tell a member: an email through the outbox and the same message in their inbox.

    Call it inside the transaction of the change it reports: both rows commit or
    roll back with it, and the email leaves only after commit.
    """
    row = email_enqueue(
        template=template,
        to=user.email,
        user=user,
        language=user.language,
        context={"user": user, "link": link, **context},
    )
    InboxMessage.objects.create(user=user, subject=row.subject, body=_hide(row.body_text), link=link)
    return row


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


# One email's job is stopped by its worker after SEND_TIME_LIMIT seconds (tasks.py), a sweep's
# after SWEEP_TIME_LIMIT; the lease is longer than both, so an email whose lease has ended has
# no live sender any more and may be taken again.
SEND_SOFT_TIME_LIMIT = 60
SEND_TIME_LIMIT = 90
SWEEP_BUDGET = 60.0
SWEEP_SOFT_TIME_LIMIT = 120
SWEEP_TIME_LIMIT = 150
SEND_LEASE = timedelta(minutes=5)
# Seconds a mail server may keep the sender waiting on one reply (unless EMAIL_TIMEOUT is set).
SMTP_TIMEOUT = 30


def outbox_deliver(*, outbox_id: int, token: str = "") -> bool:
    """Send one due outbox email; True when it was sent by this call.

    The email is taken (status `sending`, a lease, one more attempt) in a short transaction
    that commits before it leaves, and marked sent right after; no database lock is held
    while the mail server is talking. Two workers, or a job delivered twice, cannot both
    take it. A worker killed while sending leaves it `sending`: it is sent again when the
    lease ends (`outbox_sweep`), or at once when the same job (`token`, the Celery task id)
    is delivered again, which happens only once the run that took it has died.

    The one case that sends twice is a worker dying after the mail server accepted the
    email and before the row was marked sent: no sender can rule that out. The repeat has
    the same Message-ID, by which mail clients recognise it.
    """
    row = _outbox_take(outbox_id, token)
    if row is None:
        return False
    try:
        _send(row)
    except OSError as exc:  # smtplib errors and timeouts are OSError subclasses
        _outbox_failed(row, exc)
        return False
    except Exception as exc:  # e.g. the job's time limit: give the email back, then let it propagate
        _outbox_failed(row, exc)
        raise
    _outbox_sent(row)
    return True


def _outbox_take(outbox_id: int, token: str) -> OutboxEmail | None:
    now = timezone.now()
    # Pending and due, or held by a sender whose lease has ended.
    due = Q(status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING], next_attempt_at__lte=now)
    if token:
        # This very job delivered again: the run that took the email is gone.
        due |= Q(status=OutboxEmail.Status.SENDING, lease_token=token)
    with transaction.atomic():
        row = OutboxEmail.objects.select_for_update(skip_locked=True).filter(due, pk=outbox_id).first()
        if row is None:
            return None
        if row.status == OutboxEmail.Status.SENDING:
            log.warning("outbox email %s: the job sending it (attempt %s) stopped; sending again", row.pk, row.attempts)
            if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                # An email that kills its worker every time must not do so for ever.
                row.status, row.lease_token = OutboxEmail.Status.FAILED, ""
                row.last_error = f"the job sending it stopped during attempt {row.attempts}"
                row.save(update_fields=["status", "lease_token", "last_error"])
                return None
        row.status, row.lease_token = OutboxEmail.Status.SENDING, token
        row.attempts += 1
        row.next_attempt_at = now + SEND_LEASE
        row.save(update_fields=["status", "lease_token", "attempts", "next_attempt_at"])
    return row


def _message_id(row: OutboxEmail) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{row.pk}.{int(row.created_at.timestamp())}@{domain}>"


def _send(row: OutboxEmail) -> None:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=_expand(row.body_text),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to],
        headers={"Message-ID": _message_id(row)},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT or SMTP_TIMEOUT),
    )
    if row.body_html:
        message.attach_alternative(_expand(row.body_html), "text/html")
    message.send()


def _held(row: OutboxEmail) -> QuerySet[OutboxEmail]:
    # Only while this attempt still holds it: `attempts` is the fencing token.
    return OutboxEmail.objects.filter(pk=row.pk, status=OutboxEmail.Status.SENDING, attempts=row.attempts)


def _outbox_sent(row: OutboxEmail) -> None:
    marked = _held(row).update(status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error="", lease_token="")
    if not marked:
        log.error("outbox email %s was sent after its lease had ended: it may arrive twice", row.pk)


def _outbox_failed(row: OutboxEmail, exc: BaseException) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _held(row).update(status=OutboxEmail.Status.FAILED, last_error=error, lease_token="")
    else:
        _held(row).update(
            status=OutboxEmail.Status.PENDING,
            last_error=error,
            lease_token="",
            next_attempt_at=timezone.now() + _backoff(row.attempts),
        )
    log.warning("outbox email %s failed (attempt %s): %s", row.pk, row.attempts, error)


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """Emails to send now: pending and due, or left `sending` by a job that stopped."""
    return list(
        OutboxEmail.objects.filter(
            status__in=[OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING], next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_send_due(*, token: str = "", budget: float = SWEEP_BUDGET) -> int:
    """Send due emails for up to `budget` seconds (the next sweep goes on); returns how many were sent."""
    deadline = time.monotonic() + budget
    sent = 0
    for pk in outbox_due_ids():
        if time.monotonic() > deadline:
            break
        sent += outbox_deliver(outbox_id=pk, token=token)
    return sent


def outbox_resend(*, outbox_id: int) -> None:
    """Staff: put a failed email back in the queue."""
    OutboxEmail.objects.filter(pk=outbox_id, status=OutboxEmail.Status.FAILED).update(
        status=OutboxEmail.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
