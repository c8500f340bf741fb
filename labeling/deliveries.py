"""A bound on the deliveries of a task message whose every run kills the process running it.

Every task is acknowledged late and given back to the queue when its process dies (settings.py),
so a task that always kills its process (Pillow exhausting memory on a pathological image, say)
would be delivered again and again for ever, holding a worker in a loop. So each run in a worker
first counts its delivery in the broker's Redis, by task id, and any run that ends (a result, an
exception, a retry) clears the count: what adds up is only runs that never ended. A message
delivered more than CELERY_MAX_DELIVERIES times in a row like this is not run: it is logged at
ERROR, recorded in the audit log ("task.dropped", target type "celery.task") and rejected without
requeueing, which removes it from the broker.

Why a counter of our own: Kombu's `delivery_info["redelivered"]` is a flag, not a count, and
Celery's `task_retry_on_worker_lost` shares its count with the task's ordinary retries and misses a
worker lost with its machine (a message back after the visibility timeout).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from celery import Task
from celery.exceptions import Reject
from django.conf import settings
from django.db import DatabaseError, transaction
from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

KEY_PREFIX = "labeling:deliveries:"
AUDIT_TARGET_TYPE = "celery.task"

_counters: dict[str, Redis] = {}


def delivery_counter(*, url: str) -> Redis:
    """The Redis client counting deliveries, one per process and URL (redis-py's pool starts
    afresh in a forked pool process)."""
    counter = _counters.get(url)
    if counter is None:
        counter = _counters[url] = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    return counter


def delivery_count_seconds() -> int:
    """How long a count is kept after its last delivery: a day, or more if the visibility
    timeout is long, since a message whose worker vanished with its machine comes back only after
    that timeout. It must expire: only a run that ends deletes it."""
    return max(24 * 3600, (settings.CELERY_MAX_DELIVERIES + 1) * settings.CELERY_VISIBILITY_TIMEOUT)


def delivery_count_take(*, counter: Redis, task_id: str) -> int:
    """Count one more delivery of task `task_id`'s message; return the count, this one included."""
    key = KEY_PREFIX + task_id
    with counter.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, delivery_count_seconds())
        count, _ = pipe.execute()
    return int(count)


def delivery_count_clear(*, counter: Redis, task_id: str) -> None:
    counter.delete(KEY_PREFIX + task_id)


def task_drop(
    *,
    name: str,
    task_id: str,
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    deliveries: int,
    hostname: str | None = None,
) -> None:
    """Log at ERROR, and record in the audit log, that task `task_id` is not run again."""
    from labeling.audit.models import AuditAction
    from labeling.audit.services import AuditTarget, audit_record

    limit = settings.CELERY_MAX_DELIVERIES
    logger.error(
        "Task %s[%s] dropped: delivered %d times, the process running it died in each of the "
        "%d runs before (CELERY_MAX_DELIVERIES=%d); args=%r kwargs=%r",
        name, task_id, deliveries, deliveries - 1, limit, args, kwargs,
    )  # fmt: skip
    details = {
        "task": name,
        "task_id": task_id,
        # The app's tasks take JSON (Celery's serializer): the arguments as the message had them.
        "args": list(args),
        "kwargs": dict(kwargs),
        "deliveries": deliveries,
        "max_deliveries": limit,
        "worker": hostname or "",
    }
    try:
        with transaction.atomic():
            audit_record(
                actor=None,
                action=AuditAction.TASK_DROPPED,
                target=AuditTarget(type=AUDIT_TARGET_TYPE, id=task_id, label=name),
                details=details,
            )
    except (DatabaseError, TypeError, ValueError):
        # Dropped all the same: running it again would kill another process. The line above
        # has everything the entry would have had.
        logger.exception(
            "Task %s[%s]: the audit entry of its drop could not be written", name, task_id
        )


class DeliveryBoundedTask(Task):
    """The base of every task of the app (labeling/celery.py): counts the deliveries of each
    message a worker runs and drops one delivered more than CELERY_MAX_DELIVERIES times."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.called_directly:
            return super().__call__(*args, **kwargs)
        # Run by Celery's tracer, which has pushed the request: the body runs as it would without
        # this class (Task.__call__ would push a request of its own without the message's id).
        url = settings.CELERY_BROKER_URL
        if request.is_eager or not url or not request.id:
            return self.run(*args, **kwargs)  # eager mode: no broker, nothing delivered again
        counter = delivery_counter(url=url)
        try:
            deliveries = delivery_count_take(counter=counter, task_id=request.id)
        except RedisError as error:
            # The broker's Redis went away since the worker took the message: run it unbounded
            # rather than not at all.
            logger.warning("Task %s[%s]: delivery not counted: %s", self.name, request.id, error)
            return self.run(*args, **kwargs)
        if deliveries > settings.CELERY_MAX_DELIVERIES:
            task_drop(
                name=self.name,
                task_id=request.id,
                args=request.args or (),
                kwargs=request.kwargs or {},
                deliveries=deliveries,
                hostname=request.hostname,
            )
            # The count is left to expire: should the rejection itself be lost, the message comes
            # back and is dropped again rather than run.
            raise Reject(f"delivered {deliveries} times", requeue=False)
        try:
            return self.run(*args, **kwargs)
        finally:
            # The process survived the run: whatever the outcome, this delivery did not kill it.
            try:
                delivery_count_clear(counter=counter, task_id=request.id)
            except RedisError as error:
                logger.warning("Task %s[%s]: count not cleared: %s", self.name, request.id, error)
