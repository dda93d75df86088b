"""Scheduled claim jobs. Delivered at least once; each is a sweep that is safe to run twice or at once:

- `expire_sent_back` locks each claim and moves it only if it is still sent back past its
  deadline: a second run finds it expired and passes it by.
- `escalate_overdue` marks each claim it escalates (`escalated_at`) in the transaction that
  writes its event and the emails, on rows locked with SKIP LOCKED: a second run, or one at
  the same time, finds nothing left to escalate. A run killed midway rolls back whole.
- `judge` judges one claim's evidence (claims/checks.py) and stores the result: run twice,
  it stores the same judgement twice. `judge_unjudged` judges the rounds whose `judge` job
  was lost.
A failed sweep needs no retry of its own: beat runs each again within the hour (the judging
sweep within minutes).
"""

from __future__ import annotations

from celery import shared_task

from membercenter.claims.checks import claim_checks_refresh, claims_judge_unjudged
from membercenter.claims.services import claims_escalate_overdue, claims_expire_sent_back


@shared_task(ignore_result=True)
def expire_sent_back() -> int:
    return claims_expire_sent_back()


@shared_task(ignore_result=True)
def escalate_overdue() -> int:
    return claims_escalate_overdue()


@shared_task(ignore_result=True)
def judge(claim_id: int) -> None:
    claim_checks_refresh(claim_id)


@shared_task(ignore_result=True)
def judge_unjudged() -> int:
    return claims_judge_unjudged()
