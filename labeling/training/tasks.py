"""Background work on training answers: their statistics. Tasks take ids and call a service;
both are idempotent, so a retry, a duplicate delivery or the sweep change nothing twice."""

from __future__ import annotations

import os

from celery import shared_task
from django.db import DatabaseError

from labeling.training.services import answer_stat_compute, answer_stats_sweep


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def answer_stat_compute_task(answer_id: int) -> dict:
    """Bring one training answer's statistics row up to date."""
    stat = answer_stat_compute(answer_id=answer_id)
    return {"answer_id": answer_id, "computed": stat is not None, "pid": os.getpid()}


@shared_task
def answer_stats_sweep_task() -> dict:
    """Run by Celery beat (CELERY_BEAT_SCHEDULE): statistics whose task never ran."""
    return {"computed": answer_stats_sweep(), "pid": os.getpid()}
