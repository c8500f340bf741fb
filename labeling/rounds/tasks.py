"""Background work on answers: interaction logs into timing rows. Tasks take ids and call a
service; both are idempotent, so a retry, a duplicate delivery or the sweep change nothing twice."""

from __future__ import annotations

import os

from celery import shared_task
from django.db import DatabaseError

from labeling.rounds.services import interaction_log_process, interaction_logs_sweep


# ignore_result: nobody reads its result (the timing row is the result), and a stored result
# makes every answer request subscribe to it in Redis: ~2 ms more of the request's time.
@shared_task(
    ignore_result=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def interaction_log_process_task(log_id: int) -> dict:
    """Derive the AnswerTiming of one stored interaction log."""
    timing = interaction_log_process(log_id=log_id)
    return {"log_id": log_id, "processed": timing is not None, "pid": os.getpid()}


@shared_task
def interaction_logs_sweep_task() -> dict:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): process logs whose task never ran."""
    return {"processed": interaction_logs_sweep(), "pid": os.getpid()}
