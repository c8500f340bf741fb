"""Timing: each stored interaction log becomes an AnswerTiming row, by the task enqueued on commit
or, if that never ran (broker or worker down), by the periodic sweep."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from labeling.rounds.models import Answer, AnswerTiming, InteractionLog, Serving
from labeling.rounds.selectors import assignment_for
from labeling.rounds.services import (
    answer_submit,
    interaction_log_process,
    interaction_logs_sweep,
    item_serve,
)
from labeling.rounds.tasks import interaction_log_process_task, interaction_logs_sweep_task
from tests.helpers import api_client_for, wait_until
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH, next_item, post_answer

EVENTS = [
    {"t": 800, "type": "search", "q": "gold"},
    {"t": 1500, "type": "candidate_view", "wnid": GOLDFISH},
    {"t": 2000, "type": "pin", "wnid": GOLDFISH},
    {"t": 2500, "type": "node_open", "wnid": "n01440764"},
    {"t": 3000, "type": "visibility_hidden"},
    {"t": 13000, "type": "visibility_visible"},
    {"t": 14000, "type": "confirm", "picker": "search"},
]


def submit(assignment, *, served_ago: float, active: float = 4.0, events=EVENTS):
    """Answer the current item as if it had been shown `served_ago` seconds ago."""
    item = item_serve(assignment=assignment).item
    assert item is not None
    Serving.objects.filter(round_image=item).update(
        served_at=timezone.now() - timedelta(seconds=served_ago)
    )
    return answer_submit(
        assignment=assignment,
        item=item.public_id,
        wnid=GOLDFISH,
        active_seconds=active,
        events=events,
        picker="search",
        idempotency_key=str(uuid.uuid4()),
    )


@pytest.mark.django_db
def test_a_log_becomes_a_plausible_timing_row(evaluation, annotator):
    outcome = submit(assignment_for(round_id=evaluation.pk, user=annotator), served_ago=15)
    assert not AnswerTiming.objects.exists()  # in this test the on-commit task never runs

    timing = interaction_log_process(log_id=outcome.log.pk)
    assert timing is not None

    assert 15 <= timing.wall_seconds < 16
    assert timing.client_active_seconds == timing.active_seconds == 4.0
    assert timing.hidden_seconds == 10.0
    # Active from 0 to the hide (3 s) and from showing again to the end of the window.
    assert timing.events_active_seconds == pytest.approx(timing.wall_seconds - 10.0, abs=0.002)
    assert timing.idle_seconds == pytest.approx(0, abs=0.002)
    assert (timing.searches, timing.candidates_viewed, timing.pins, timing.nodes_opened) == (
        1,
        1,
        1,
        1,
    )
    assert timing.event_count == 7 and timing.picker == "search"
    assert timing.first_interaction_seconds == 0.8
    assert InteractionLog.objects.get().processed_at is not None


@pytest.mark.django_db
def test_processing_twice_changes_nothing(evaluation, annotator):
    outcome = submit(assignment_for(round_id=evaluation.pk, user=annotator), served_ago=5)
    first = interaction_log_process(log_id=outcome.log.pk)
    assert first is not None
    result = interaction_log_process_task.apply(args=(outcome.log.pk,)).get()
    assert result == {"log_id": outcome.log.pk, "processed": True, "pid": os.getpid()}
    again = AnswerTiming.objects.get()
    assert again.computed_at == first.computed_at
    assert interaction_log_process_task.apply(args=(987654,)).get()["processed"] is False


@pytest.mark.django_db
def test_a_client_figure_beyond_the_window_is_clamped_and_kept_raw(evaluation, annotator):
    outcome = submit(
        assignment_for(round_id=evaluation.pk, user=annotator), served_ago=3, active=500
    )
    timing = interaction_log_process(log_id=outcome.log.pk)
    assert timing is not None
    assert timing.client_active_seconds == 500
    assert timing.active_seconds == timing.wall_seconds
    active = Answer.objects.get().active_seconds
    assert active is not None and active <= timing.wall_seconds


@pytest.mark.django_db
def test_the_sweep_processes_logs_whose_task_never_ran_and_leaves_fresh_ones(evaluation, annotator):
    assignment = assignment_for(round_id=evaluation.pk, user=annotator)
    old = submit(assignment, served_ago=5).log
    fresh = submit(assignment, served_ago=5).log
    # The broker was down when `old` was stored, two minutes ago: its task was never enqueued.
    InteractionLog.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )

    assert interaction_logs_sweep() == 1
    assert AnswerTiming.objects.filter(log=old).exists()
    assert not AnswerTiming.objects.filter(log=fresh).exists()  # its task may still be on the way
    assert interaction_logs_sweep() == 0
    assert interaction_logs_sweep(older_than=timedelta(0)) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_answer_through_the_api_gets_its_timing_from_the_worker(imagenet_classes, annotator):
    images = list(make_images(["ILSVRC2012_val_00000201.JPEG"], label=TENCH).values())
    round = make_round(images, [annotator])
    client = api_client_for(annotator)
    response = post_answer(client, round, next_item(client, round)["item"], events=EVENTS)
    assert response.status_code == 201

    timing = wait_until(lambda: AnswerTiming.objects.filter(answer__labeler=annotator).first())

    assert timing.searches == 1 and timing.hidden_seconds <= timing.wall_seconds
    assert InteractionLog.objects.get().processed_at is not None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_log_left_behind_by_a_broker_outage_is_processed_by_the_sweep(
    eager, imagenet_classes, annotator
):
    images = list(make_images(["ILSVRC2012_val_00000202.JPEG"], label=TENCH).values())
    round = make_round(images, [annotator])
    assignment = assignment_for(round_id=round.pk, user=annotator)
    with transaction.atomic():
        outcome = submit(assignment, served_ago=5)
        # The broker is unreachable: the on-commit enqueue never happens.
        connection.run_on_commit.clear()
    InteractionLog.objects.filter(pk=outcome.log.pk).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    assert not AnswerTiming.objects.exists()
    if eager:
        # No beat runs in the embedded setup: run the scheduled task the way beat would.
        interaction_logs_sweep_task.delay()
    # In the PostgreSQL pass Celery beat sends the sweep every TIMING_SWEEP_SECONDS.
    timing = wait_until(
        lambda: AnswerTiming.objects.filter(log_id=outcome.log.pk).first(), timeout=60
    )
    assert timing.searches == 1
