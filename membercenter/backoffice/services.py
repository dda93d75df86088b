"""Staff operations that belong to no member-facing app: reason templates and failed emails.

Each writes its audit entry in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.claims.models import ReasonTemplate
from membercenter.notifications.models import OutboxEmail
from membercenter.notifications.services import outbox_resend

REASON_FIELDS = ("kind", "title", "text_en", "text_id", "is_active", "position")


def reason_template_create(*, actor: User, data: dict[str, Any]) -> ReasonTemplate:
    with transaction.atomic():
        template = ReasonTemplate(**{f: data[f] for f in REASON_FIELDS if f in data})
        template.full_clean()
        template.save()
        audit_record(
            actor=actor,
            action="reason_template.create",
            target=template,
            summary=f"Reason template “{template.title}” ({template.kind}) created",
        )
    return template


def reason_template_update(*, actor: User, template: ReasonTemplate, data: dict[str, Any]) -> ReasonTemplate:
    with transaction.atomic():
        template = ReasonTemplate.objects.select_for_update().get(pk=template.pk)
        changed = [f for f in REASON_FIELDS if f in data and getattr(template, f) != data[f]]
        for f in changed:
            setattr(template, f, data[f])
        template.full_clean()
        template.save()
        audit_record(
            actor=actor,
            action="reason_template.update",
            target=template,
            summary=f"Reason template “{template.title}” changed: {', '.join(changed) or 'nothing'}",
        )
    return template


def reason_template_delete(*, actor: User, template: ReasonTemplate) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="reason_template.delete",
            target=template,
            summary=f"Reason template “{template.title}” ({template.kind}) deleted. English: {template.text_en}",
        )
        template.delete()


def outbox_send_again(*, actor: User, outbox_id: int) -> OutboxEmail:
    """Put a failed email back in the queue and send it once this transaction commits."""
    from membercenter.notifications.tasks import outbox_send

    with transaction.atomic():
        row = OutboxEmail.objects.select_for_update().filter(pk=outbox_id).first()
        if row is None or row.status != OutboxEmail.Status.FAILED:
            raise ValidationError(_("This email is not waiting to be sent again."), code="not_failed")
        outbox_resend(outbox_id=row.pk)
        audit_record(
            actor=actor,
            action="outbox.resend",
            target=row,
            summary=f"Email “{row.subject}” to {row.to} queued again (last error: {row.last_error})",
        )
        transaction.on_commit(lambda: outbox_send.delay(row.pk))
    row.refresh_from_db()
    return row
