from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.notifications.models import InboxMessage


def inbox_messages(*, user: User) -> QuerySet[InboxMessage]:
    """The member's messages, newest first: what the list shows, not their bodies (read when opened)."""
    messages = InboxMessage.objects.filter(user=user).only("subject", "created_at", "read_at")
    return messages.order_by("-created_at", "-pk")


def inbox_unread_count(*, user: User) -> int:
    return InboxMessage.objects.filter(user=user, read_at__isnull=True).count()


def inbox_message_open(*, user: User, pk: int) -> InboxMessage | None:
    """The member's own message, marked read on opening."""
    msg = InboxMessage.objects.filter(user=user, pk=pk).first()
    if msg is not None and msg.read_at is None:
        msg.read_at = timezone.now()
        InboxMessage.objects.filter(pk=msg.pk).update(read_at=msg.read_at)
    return msg
