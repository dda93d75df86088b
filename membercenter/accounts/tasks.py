from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from membercenter.accounts.models import Captcha


@shared_task(ignore_result=True)
def purge_expired() -> int:
    deleted, _ = Captcha.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
