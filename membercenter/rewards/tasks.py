from __future__ import annotations

from celery import shared_task

from membercenter.rewards import services


@shared_task(ignore_result=True)
def allocate() -> int:
    return services.rewards_allocate()


@shared_task(ignore_result=True)
def deliver() -> int:
    return services.rewards_deliver()


@shared_task(ignore_result=True)
def allocate_and_deliver() -> int:
    services.rewards_allocate()
    return services.rewards_deliver()
