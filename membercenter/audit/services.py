from __future__ import annotations

from django.db import models

from membercenter.accounts.models import User
from membercenter.audit.models import AuditEntry


def audit_record(*, actor: User, action: str, target: models.Model, summary: str) -> AuditEntry:
    """Write in the same transaction as the action, so that the log and the change agree."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        summary=summary[:4000],
    )
