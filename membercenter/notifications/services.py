from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from membercenter.notifications.models import InboxMessage, OutboxEmail

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


def email_enqueue(*, template: str, to: str, context: dict, language: str, user: object | None = None) -> OutboxEmail:
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

    transaction.on_commit(lambda: outbox_send.delay(row.pk))
    return row


def notify(*, user: object, template: str, context: dict, link: str = "") -> OutboxEmail:
    """Tell a member: an email through the outbox and the same message in their inbox.

    Call it inside the transaction of the change it reports: both rows commit or
    roll back with it, and the email leaves only after commit.
    """
    row = email_enqueue(
        template=template,
        to=user.email,  # type: ignore[attr-defined]
        user=user,
        language=user.language,  # type: ignore[attr-defined]
        context={"user": user, "link": link, **context},
    )
    InboxMessage.objects.create(user=user, subject=row.subject, body=_hide(row.body_text), link=link)
    return row


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def outbox_deliver(*, outbox_id: int) -> bool:
    """Send one due outbox email; True when it was sent by this call.

    The row is locked while sending, and rows already sent are skipped, so two
    workers (or a task run twice) never send the same email twice.
    """
    with transaction.atomic():
        row = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=outbox_id, status=OutboxEmail.Status.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if row is None:
            return False
        row.attempts += 1
        message = EmailMultiAlternatives(
            subject=row.subject,
            body=_expand(row.body_text),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[row.to],
        )
        if row.body_html:
            message.attach_alternative(_expand(row.body_html), "text/html")
        try:
            message.send()
        except OSError as exc:  # smtplib errors are OSError subclasses
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                row.status = OutboxEmail.Status.FAILED
            else:
                row.next_attempt_at = timezone.now() + _backoff(row.attempts)
            row.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            log.warning("outbox email %s failed (attempt %s): %s", row.pk, row.attempts, row.last_error)
            return False
        row.status = OutboxEmail.Status.SENT
        row.sent_at = timezone.now()
        row.last_error = ""
        row.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_resend(*, outbox_id: int) -> None:
    """Staff: put a failed email back in the queue."""
    OutboxEmail.objects.filter(pk=outbox_id, status=OutboxEmail.Status.FAILED).update(
        status=OutboxEmail.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
