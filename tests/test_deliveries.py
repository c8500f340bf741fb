"""A task message is run at most CELERY_MAX_DELIVERIES times in a row by processes that die
running it; the next delivery is dropped, logged and recorded. The counting against a Redis of
the test's own (never the machine's shared one), and the task base class in this process, run the
way a worker's tracer runs it (tests/test_celery.py has the real worker, in the PostgreSQL pass).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.exceptions import Reject
from django.conf import settings
from redis import Redis

from labeling.audit.models import AuditAction, AuditEntry
from labeling.celery import app
from labeling.deliveries import (
    KEY_PREFIX,
    DeliveryBoundedTask,
    delivery_count_clear,
    delivery_count_seconds,
    delivery_count_take,
)
from tests.poison_tasks import run_fail, run_note
from tests.processes import free_port, start_redis, stop


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    port = free_port()
    server = start_redis(port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(server)


@pytest.fixture
def counter(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def worker_broker(settings, redis_url: str, counter: Redis) -> Redis:
    """This process counts as a worker with the test's Redis as its broker."""
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_MAX_DELIVERIES = 3
    return counter


def run_as_worker(task: Any, *args: Any, task_id: str) -> Any:
    """Call `task` as a worker's tracer does: with the message's request pushed."""
    task.push_request(
        id=task_id, args=list(args), kwargs={}, called_directly=False, is_eager=False,
        hostname="labeling@test",
    )  # fmt: skip
    try:
        return task(*args)
    finally:
        task.pop_request()


def runs(path: Path) -> int:
    return len(path.read_text().split()) if path.exists() else 0


# --- the count --------------------------------------------------------------------------------


def test_each_delivery_adds_one_to_its_messages_count_and_each_message_has_its_own(counter):
    assert [delivery_count_take(counter=counter, task_id="a") for _ in range(3)] == [1, 2, 3]
    assert delivery_count_take(counter=counter, task_id="b") == 1
    assert delivery_count_take(counter=counter, task_id="a") == 4


def test_a_count_outlives_the_visibility_timeout_and_then_expires(counter):
    delivery_count_take(counter=counter, task_id="a")
    ttl = counter.ttl(KEY_PREFIX + "a")
    assert settings.CELERY_VISIBILITY_TIMEOUT < ttl <= delivery_count_seconds()
    assert delivery_count_seconds() >= 24 * 3600


def test_clearing_a_count_starts_it_again(counter):
    delivery_count_take(counter=counter, task_id="a")
    delivery_count_take(counter=counter, task_id="a")
    delivery_count_clear(counter=counter, task_id="a")
    assert counter.exists(KEY_PREFIX + "a") == 0
    assert delivery_count_take(counter=counter, task_id="a") == 1


# --- the task base class ----------------------------------------------------------------------


def test_the_tests_own_tasks_are_bounded_as_the_apps_are():
    assert isinstance(app.tasks[run_note.name], DeliveryBoundedTask)


def test_a_run_that_returns_clears_its_count(worker_broker, tmp_path):
    notes = tmp_path / "notes"
    delivery_count_take(counter=worker_broker, task_id="t-1")  # a run before died
    assert run_as_worker(run_note, str(notes), task_id="t-1") == str(notes)
    assert runs(notes) == 1
    assert worker_broker.exists(KEY_PREFIX + "t-1") == 0


def test_a_run_that_raises_clears_its_count_so_retries_are_not_counted_as_deliveries(
    worker_broker, tmp_path
):
    notes = tmp_path / "notes"
    for _ in range(5):  # a retry is a new message with the same task id
        with pytest.raises(ValueError, match="an ordinary failure"):
            run_as_worker(run_fail, str(notes), task_id="t-1")
    assert runs(notes) == 5
    assert worker_broker.exists(KEY_PREFIX + "t-1") == 0


@pytest.mark.django_db
def test_a_message_delivered_more_than_max_deliveries_times_is_not_run_but_dropped_and_recorded(
    worker_broker, tmp_path, caplog
):
    notes = tmp_path / "notes"
    for _ in range(3):  # three runs that died: their counts were never cleared
        delivery_count_take(counter=worker_broker, task_id="t-1")

    with caplog.at_level(logging.ERROR, logger="labeling.deliveries"):
        with pytest.raises(Reject) as rejected:
            run_as_worker(run_note, str(notes), task_id="t-1")

    reason, requeue = rejected.value.args
    assert (reason, requeue) == ("delivered 4 times", False)  # gone from the broker, not given back
    assert runs(notes) == 0
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith(
        "Task tests.poison_tasks.run_note[t-1] dropped: delivered 4 times, the process running "
        "it died in each of the 3 runs before (CELERY_MAX_DELIVERIES=3); "
        f"args=['{notes}'] kwargs={{}}"
    )
    entry = AuditEntry.objects.get(action=AuditAction.TASK_DROPPED)
    assert (entry.actor_name, entry.target_type, entry.target_id, entry.target_label) == (
        "",
        "celery.task",
        "t-1",
        "tests.poison_tasks.run_note",
    )
    assert entry.details == {
        "task": "tests.poison_tasks.run_note",
        "task_id": "t-1",
        "args": [str(notes)],
        "kwargs": {},
        "deliveries": 4,
        "max_deliveries": 3,
        "worker": "labeling@test",
    }
    # The count stays until it expires: the message, were it to come back, is dropped again.
    assert int(worker_broker.get(KEY_PREFIX + "t-1") or 0) == 4


@pytest.mark.django_db
def test_a_message_delivered_max_deliveries_times_still_runs(worker_broker, tmp_path):
    notes = tmp_path / "notes"
    for _ in range(2):
        delivery_count_take(counter=worker_broker, task_id="t-1")
    run_as_worker(run_note, str(notes), task_id="t-1")
    assert runs(notes) == 1
    assert not AuditEntry.objects.filter(action=AuditAction.TASK_DROPPED).exists()


@pytest.mark.django_db
def test_a_drop_whose_audit_entry_cannot_be_written_is_dropped_all_the_same(worker_broker, caplog):
    for _ in range(3):
        delivery_count_take(counter=worker_broker, task_id="t-1")
    unstorable = {1, 2}  # a set: not JSON
    with pytest.raises(Reject):
        run_as_worker(run_note, unstorable, task_id="t-1")
    assert not AuditEntry.objects.exists()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR][1] == (
        "Task tests.poison_tasks.run_note[t-1]: the audit entry of its drop could not be written"
    )


def test_eager_runs_and_direct_calls_are_not_counted(worker_broker, tmp_path):
    notes = tmp_path / "notes"
    run_note.apply(args=(str(notes),), task_id="t-eager")  # no broker involved: eager
    run_note(str(notes))  # a plain function call
    assert runs(notes) == 2
    assert worker_broker.keys(KEY_PREFIX + "*") == []


def test_with_its_redis_unreachable_a_worker_runs_the_task_uncounted_and_says_so(
    settings, tmp_path, caplog
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    notes = tmp_path / "notes"
    with caplog.at_level(logging.WARNING, logger="labeling.deliveries"):
        run_as_worker(run_note, str(notes), task_id="t-1")
    assert runs(notes) == 1
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith(
        "Task tests.poison_tasks.run_note[t-1]: delivery not counted: "
    )
