from __future__ import annotations

from celery import shared_task

from membercenter.notifications import services


@shared_task(ignore_result=True)
def outbox_send(outbox_id: int) -> None:
    services.outbox_deliver(outbox_id=outbox_id)


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    """Send every due email: retries after a failure, and any that a lost worker left."""
    sent = 0
    for pk in services.outbox_due_ids():
        sent += services.outbox_deliver(outbox_id=pk)
    return sent
