"""Celery tasks survive a worker lost mid-task: each is acknowledged only once it has run, given
back to the queue when the process running it dies, and idempotent, so it runs again and its
effect is that of one run.

The kill tests start their own Redis and workers on a private queue (never the machine's shared
Redis), and make a task stop half-way for certain the way real work would: the test holds a lock
on a row the task needs. PostgreSQL pass only: the workers share the test database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.forms.models import model_to_dict

from labeling.audit.models import AuditAction, AuditEntry
from labeling.celery import app
from labeling.deliveries import KEY_PREFIX, DeliveryBoundedTask
from labeling.images.models import Image
from labeling.images.services import thumbnail_render
from labeling.images.tasks import image_thumbnail_make
from labeling.rounds.models import Answer, AnswerTiming, InteractionLog, RoundKind
from labeling.rounds.services import interaction_log_process
from labeling.training.models import AnswerStat
from labeling.training.services import answer_stat_compute
from tests.helpers import wait_until
from tests.images.factories import make_images, picture, val_source
from tests.processes import (
    ROOT,
    free_port,
    kill_worker,
    pool_processes,
    private_env,
    start_redis,
    start_worker,
    stop,
)
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH

VISIBILITY_SECONDS = 2


def test_every_task_is_acknowledged_late_and_given_back_when_its_worker_is_lost():
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.startswith("labeling.")}
    assert {
        "labeling.rounds.tasks.interaction_log_process_task",
        "labeling.rounds.tasks.interaction_logs_sweep_task",
        "labeling.training.tasks.answer_stat_compute_task",
        "labeling.training.tasks.answer_stats_sweep_task",
        "labeling.images.tasks.image_thumbnail_make",
        "labeling.images.tasks.reference_thumbnail_make",
        "labeling.images.tasks.annotator_copies_make",
    } <= set(ours)
    assert [name for name, task in ours.items() if not task.acks_late] == []
    assert [name for name, task in ours.items() if not task.reject_on_worker_lost] == []
    # ... and counts its deliveries, so that one killing its process every time is dropped.
    assert [name for name, task in ours.items() if not isinstance(task, DeliveryBoundedTask)] == []


def test_a_lost_workers_task_comes_back_after_the_visibility_timeout_not_during_a_retry():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility == settings.CELERY_VISIBILITY_TIMEOUT
    if "CELERY_VISIBILITY_TIMEOUT" in os.environ:
        pytest.skip("the environment sets its own visibility timeout")
    # A retry waits out its countdown in the worker, unacknowledged: a visibility timeout shorter
    # than the longest countdown would hand the message to a second worker meanwhile.
    app.loader.import_default_modules()
    longest = max(
        getattr(task, "retry_backoff_max", 0)
        for name, task in app.tasks.items()
        if name.startswith("labeling.") and getattr(task, "autoretry_for", None)
    )
    assert visibility == 1800 > longest == 300


# --- a worker killed mid-task -----------------------------------------------------------------


def needs_other_processes(eager: bool) -> None:
    if eager or connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL pass: the workers are other processes")


@contextmanager
def row_locked(table: str, pk: int) -> Iterator[psycopg2.extensions.connection]:
    """Hold `SELECT … FOR UPDATE` on one row from a connection of its own until the block ends."""
    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    )
    try:
        with holder.cursor() as cursor:
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE', [pk])
            assert cursor.fetchone() == (1,)
        yield holder
    finally:
        holder.rollback()
        holder.close()


def waiting_for_a_lock(*, connected_after: float, on: str = "") -> int:
    """How many sessions opened after `connected_after` (epoch seconds) wait for a lock, in a
    statement that names `on`."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
              AND backend_start > to_timestamp(%s) AND query LIKE %s
            """,
            [connected_after, f"%{on}%"],
        )
        return cursor.fetchone()[0]


def answer_in_a_labelers_process(env: dict[str, str], round_id: int, wnid: str) -> int:
    """One answer given in another process with the private broker: its tasks wait there."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.training.outage_answers", str(round_id), "anna", wnid],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.split()[0])


@pytest.fixture
def broker(eager) -> Iterator[tuple[int, str, dict[str, str]]]:
    needs_other_processes(eager)
    port, queue = free_port(), f"killed-{os.getpid()}"
    redis = start_redis(port)
    try:
        yield (
            port,
            queue,
            private_env(port, queue, CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_SECONDS)),
        )
    finally:
        stop(redis)


def worker_log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_leaves_the_tasks_to_the_next_worker_which_runs_them_once(
    broker, imagenet_classes, annotator, tmp_path
):
    """The whole worker is SIGKILLed (its machine lost) while a training answer's timing and
    statistics tasks wait for the answer's row; a new worker takes them after the visibility
    timeout, and the rows are those of a run never interrupted."""
    _, _, env = broker
    image = make_images(["ILSVRC2012_val_00000701.JPEG"], label=TENCH).popitem()[1]
    round = make_round([image], [annotator], kind=RoundKind.TRAINING, name="Killed")
    answer_id = answer_in_a_labelers_process(env, round.pk, GOLDFISH)
    log = InteractionLog.objects.get(answer_id=answer_id)

    first = second = None
    with row_locked("rounds_answer", answer_id):
        try:
            first = start_worker(env, log=tmp_path / "first.log")
            # Django's foreign keys are checked at commit: the task waits there for the row.
            wait_until(lambda: waiting_for_a_lock(connected_after=0, on="COMMIT"), timeout=60)
            killed_at = time.time()
            kill_worker(first)
            assert not AnswerTiming.objects.filter(log=log).exists()
            assert not AnswerStat.objects.filter(answer_id=answer_id).exists()
            time.sleep(VISIBILITY_SECONDS + 0.5)  # the killed worker's message is visible again

            second = start_worker(env, log=tmp_path / "second.log", loglevel="INFO")
            # The new worker runs a task again and waits: for the answer's row as the first one
            # did, or for the rows the killed worker's session still holds (its commit may go
            # through once the row is free: the run that follows changes nothing).
            wait_until(lambda: waiting_for_a_lock(connected_after=killed_at), timeout=90)
        except BaseException:
            for worker in (first, second):
                if worker is not None and worker.poll() is None:
                    kill_worker(worker)
            raise
    try:
        wait_until(
            lambda: (
                AnswerTiming.objects.filter(log=log).exists()
                and AnswerStat.objects.filter(answer_id=answer_id).exists()
            ),
            timeout=90,
        )
        # Both tasks done and acknowledged: nothing left to deliver again.
        wait_until(lambda: worker_log(tmp_path / "second.log").count("succeeded") >= 2, timeout=60)
    finally:
        stop(second)
    second_log = worker_log(tmp_path / "second.log")
    print(second_log[-2000:])
    for name in ("interaction_log_process_task", "answer_stat_compute_task"):
        assert f"{name}[" in second_log  # the new worker got both, the killed one's included

    assert AnswerTiming.objects.filter(log=log).count() == 1
    assert AnswerStat.objects.filter(answer_id=answer_id).count() == 1
    log.refresh_from_db()
    assert log.processed_at is not None
    timing = model_to_dict(AnswerTiming.objects.get(log=log), exclude=["id"])
    stat = model_to_dict(AnswerStat.objects.get(answer_id=answer_id))
    # A run nobody interrupted, from scratch, gives the same rows.
    AnswerTiming.objects.filter(log=log).delete()
    InteractionLog.objects.filter(pk=log.pk).update(processed_at=None)
    AnswerStat.objects.filter(answer_id=answer_id).delete()
    interaction_log_process(log_id=log.pk)
    answer_stat_compute(answer_id=answer_id)
    assert model_to_dict(AnswerTiming.objects.get(log=log), exclude=["id"]) == timing
    assert model_to_dict(AnswerStat.objects.get(answer_id=answer_id)) == stat
    assert stat["correct"] is False and Answer.objects.filter(round_image__round=round).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_mid_thumbnail_gives_the_task_back_and_one_thumbnail_is_stored(
    broker, imagenet_classes, tmp_path
):
    """The process running the task is SIGKILLed (out of memory, say): the worker gives the
    message back at once (reject_on_worker_lost) and a new pool process makes the thumbnail;
    one file, the same bytes as an uninterrupted run."""
    port, queue, env = broker
    data = picture(640, 480, seed=7)
    image = Image(
        source=val_source(),
        original_name="ILSVRC2012_val_00000702.JPEG",
        original_label_id=TENCH,
        width=640,
        height=480,
        sha256="0" * 64,
    )
    image.file.save("x.jpg", ContentFile(data), save=False)
    image.save()
    with app.connection_for_write(f"redis://127.0.0.1:{port}/0") as broker_connection:
        app.send_task(
            image_thumbnail_make.name, args=(image.pk,), connection=broker_connection, queue=queue
        )

    worker = None
    with row_locked("images_image", image.pk):
        try:
            worker = start_worker(env, log=tmp_path / "worker.log", loglevel="INFO")
            wait_until(lambda: waiting_for_a_lock(connected_after=0, on="images_image"), timeout=60)
            killed_at = time.time()
            (running,) = pool_processes(worker)
            os.kill(running, signal.SIGKILL)
            # The task runs again in the new pool process and waits for the row in its turn.
            wait_until(
                lambda: waiting_for_a_lock(connected_after=killed_at, on="images_image"),
                timeout=60,
            )
        except BaseException:
            if worker is not None:
                kill_worker(worker)
            raise
    try:
        wait_until(lambda: Image.objects.get(pk=image.pk).thumbnail, timeout=60)
        wait_until(lambda: "succeeded" in worker_log(tmp_path / "worker.log"), timeout=60)
    finally:
        stop(worker)
    log = worker_log(tmp_path / "worker.log")
    print(log[-2000:])
    assert "WorkerLostError" in log

    image.refresh_from_db()
    folder = Path(settings.MEDIA_ROOT) / "thumbs" / image.public_id[:2]
    assert [p.name for p in folder.iterdir() if p.name.startswith(image.public_id)] == [
        f"{image.public_id}.jpg"
    ]
    assert image.thumbnail.name == f"thumbs/{image.public_id[:2]}/{image.public_id}.jpg"
    assert image.thumbnail.read() == thumbnail_render(data=data)[0]


# --- a task that kills its process on every run ------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_task_killing_its_process_every_run_runs_max_deliveries_times_then_is_dropped(
    broker, tmp_path
):
    """A test-only task SIGKILLs the pool process running it, every time: the worker gives it
    back each time, runs it CELERY_MAX_DELIVERIES times (2 here), then drops it: an ERROR line, an
    audit entry, nothing left in the broker; and an ordinary task sent next still runs."""
    port, queue, env = broker
    env = {**env, "CELERY_MAX_DELIVERIES": "2"}
    kills, notes = tmp_path / "kills", tmp_path / "notes"
    broker_url = f"redis://127.0.0.1:{port}/0"
    worker = start_worker(
        env, log=tmp_path / "worker.log", loglevel="INFO", include=("tests.poison_tasks",)
    )
    try:
        with app.connection_for_write(broker_url) as broker_connection:
            sent = app.send_task(
                "tests.poison_tasks.process_kill",
                args=(str(kills),),
                connection=broker_connection,
                queue=queue,
            )
        dropped = AuditEntry.objects.filter(action=AuditAction.TASK_DROPPED, target_id=sent.id)
        wait_until(dropped.exists, timeout=120)
        with app.connection_for_write(broker_url) as broker_connection:
            app.send_task(
                "tests.poison_tasks.run_note",
                args=(str(notes),),
                connection=broker_connection,
                queue=queue,
            )
        wait_until(notes.exists, timeout=60)
        wait_until(lambda: "run_note[" in worker_log(tmp_path / "worker.log"), timeout=30)
        messages = redis.Redis(port=port)
        # Nothing of the dropped task is left to deliver: no message queued, none unacknowledged.
        assert messages.llen(queue) == 0
        assert messages.hlen("unacked") == 0
        # Its count stays until it expires: were the message to come back, it would be dropped.
        assert int(messages.get(KEY_PREFIX + sent.id) or 0) == 3
        assert messages.ttl(KEY_PREFIX + sent.id) > VISIBILITY_SECONDS
    finally:
        stop(worker)
    log = worker_log(tmp_path / "worker.log")
    print(log[-3000:])

    pids = kills.read_text().split()
    assert len(pids) == 2 and len(set(pids)) == 2  # two runs, each in a pool process of its own
    assert log.count("exited with 'signal 9 (SIGKILL)'") == 2
    (dropped_line,) = [line for line in log.splitlines() if f"[{sent.id}] dropped" in line]
    assert re.search(
        r"ERROR/ForkPoolWorker-\d+\] Task tests\.poison_tasks\.process_kill\[", dropped_line
    )
    assert "delivered 3 times" in dropped_line and f"args=['{kills}'] kwargs={{}}" in dropped_line
    assert len(notes.read_text().split()) == 1
    entry = dropped.get()
    assert (entry.actor, entry.target_type, entry.target_label) == (
        None,
        "celery.task",
        "tests.poison_tasks.process_kill",
    )
    assert {k: v for k, v in entry.details.items() if k != "worker"} == {
        "task": "tests.poison_tasks.process_kill",
        "task_id": sent.id,
        "args": [str(kills)],
        "kwargs": {},
        "deliveries": 3,
        "max_deliveries": 2,
    }
    assert entry.details["worker"].startswith(f"{queue}@")
