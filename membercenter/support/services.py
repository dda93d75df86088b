from __future__ import annotations

from django.conf import settings
from django.db import transaction

from membercenter.accounts.models import User
from membercenter.notifications.services import email_enqueue
from membercenter.support.models import SupportRequest


def support_request_create(*, member: User, topic: str, serial_number: str, message: str) -> SupportRequest:
    """Record the request, tell customer service, and confirm to the member."""
    with transaction.atomic():
        ticket = SupportRequest.objects.create(member=member, topic=topic, serial_number=serial_number, message=message)
        context = {"ticket": ticket, "member": member}
        email_enqueue(template="support_staff", to=settings.SUPPORT_EMAIL, language="en", context=context)
        email_enqueue(
            template="support_received", to=member.email, user=member, language=member.language, context=context
        )
    return ticket
