"""Outbox jobs. Delivered at least once (acks late, requeued when their worker dies), sent once:

- `outbox_send` takes its email with a lease before it leaves (services.outbox_deliver): a
  second run finds it `sending` or `sent` and does nothing; a redelivery of the same job
  (same task id) takes over at once, its earlier run being dead.
- `outbox_sweep` sends what is due: failed attempts whose backoff has passed, emails whose
  job was lost with the broker, and emails whose sender died (lease ended).

Transient errors are retried with backoff: a mail server's on the row (`next_attempt_at`,
then `failed` after OUTBOX_MAX_ATTEMPTS, for staff to resend), the database's by Celery.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from membercenter.notifications import services

# The database restarting or failing over: try again shortly, the email is safe in the outbox.
TRANSIENT = (OperationalError, InterfaceError)
RETRY_MAX_DELAY = 600


@shared_task(
    bind=True,
    ignore_result=True,
    soft_time_limit=services.SEND_SOFT_TIME_LIMIT,
    time_limit=services.SEND_TIME_LIMIT,
    max_retries=6,
)
def outbox_send(self, outbox_id: int) -> bool:
    try:
        return services.outbox_deliver(outbox_id=outbox_id, token=self.request.id or "")
    except TRANSIENT as exc:
        if self.request.is_eager:
            raise  # in-process (no broker): not in the request that queued it; the sweep tries again
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, RETRY_MAX_DELAY)) from exc


@shared_task(
    bind=True, ignore_result=True, soft_time_limit=services.SWEEP_SOFT_TIME_LIMIT, time_limit=services.SWEEP_TIME_LIMIT
)
def outbox_sweep(self) -> int:
    """Send every due email: retries after a failure, and any that a lost worker left."""
    return services.outbox_send_due(token=self.request.id or "")
