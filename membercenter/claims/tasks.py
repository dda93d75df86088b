from __future__ import annotations

from celery import shared_task

from membercenter.claims.services import claims_expire_sent_back


@shared_task(ignore_result=True)
def expire_sent_back() -> int:
    return claims_expire_sent_back()
