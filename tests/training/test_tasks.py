"""Learning statistics: each training answer gets an AnswerStat row, from the task enqueued on
commit or, if that never ran (broker or worker down), from the periodic sweep."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import Answer, AnswerTiming, InteractionLog, RoundKind
from labeling.rounds.selectors import assignment_for
from labeling.rounds.services import answer_submit, item_serve
from labeling.rounds.tasks import interaction_logs_sweep_task
from labeling.taxonomy.models import ClassGroup, Synset
from labeling.training.models import AnswerStat
from labeling.training.selectors import (
    accuracy_by_class,
    accuracy_by_group,
    accuracy_by_round,
    confused_pairs,
    labelers_by_rounds,
    learning_curve,
    median_active_seconds,
)
from labeling.training.services import answer_stat_compute, answer_stats_sweep
from labeling.training.tasks import answer_stat_compute_task, answer_stats_sweep_task
from tests.helpers import api_client_for, wait_until
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer

NAMES = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (701, 702, 703, 704)]


@pytest.fixture
def practice(imagenet_classes, annotator):
    """An open training round of four tench images; tench is an organism, goldfish too."""
    Synset.objects.filter(wnid__in=[TENCH, GOLDFISH]).update(group=ClassGroup.ORGANISM)
    images = make_images(NAMES, label=TENCH)
    return make_round([images[n] for n in NAMES], [annotator], name="Fish", kind=RoundKind.TRAINING)


def give(assignment, wnid: str, *, active: float = 3.0):
    item = item_serve(assignment=assignment).item
    assert item is not None
    return answer_submit(
        assignment=assignment,
        item=item.public_id,
        wnid=wnid,
        active_seconds=active,
        events=[],
        idempotency_key=str(uuid.uuid4()),
    ).answer


@pytest.mark.django_db
def test_a_training_answer_gets_its_statistics_row(practice, annotator):
    assignment = assignment_for(round_id=practice.pk, user=annotator)
    right, wrong = give(assignment, TENCH, active=2.0), give(assignment, GOLDFISH, active=4.0)
    assert not AnswerStat.objects.exists()  # in this test the on-commit task never runs

    first, second = answer_stat_compute(answer_id=right.pk), answer_stat_compute(answer_id=wrong.pk)
    assert first is not None and second is not None

    assert (first.correct, first.reference_id, first.group) == (True, TENCH, ClassGroup.ORGANISM)
    assert (second.correct, second.chosen_id, second.reference_id) == (False, GOLDFISH, TENCH)
    assert second.correct_wnids == [TENCH]
    assert second.active_seconds is not None and second.active_seconds <= 4.0


@pytest.mark.django_db
def test_a_multi_label_image_counts_a_second_correct_class_as_right(practice, annotator):
    image = practice.items.get(position=1).image
    for wnid in (TENCH, SHARK):
        ImageLabel.objects.create(
            image=image, synset=Synset.objects.get(wnid=wnid), state=LabelState.CORRECT, source="x"
        )
    answer = give(assignment_for(round_id=practice.pk, user=annotator), SHARK)
    stat = answer_stat_compute(answer_id=answer.pk)
    assert stat is not None
    assert stat.correct and stat.reference_id == SHARK and stat.correct_wnids == [TENCH, SHARK]


@pytest.mark.django_db
def test_computing_twice_changes_nothing_and_other_answers_are_left_alone(
    practice, annotator, imagenet_classes
):
    answer = give(assignment_for(round_id=practice.pk, user=annotator), GOLDFISH)
    answer_stat_compute(answer_id=answer.pk)
    result = answer_stat_compute_task.apply(args=(answer.pk,)).get()
    assert result == {"answer_id": answer.pk, "computed": True, "pid": os.getpid()}
    assert AnswerStat.objects.count() == 1
    assert answer_stat_compute_task.apply(args=(987654,)).get()["computed"] is False
    evaluation = make_round(
        make_images(["ILSVRC2012_val_00000799.JPEG"]).values(), [annotator], name="E"
    )
    other = give(assignment_for(round_id=evaluation.pk, user=annotator), TENCH)
    assert answer_stat_compute(answer_id=other.pk) is None


@pytest.mark.django_db
def test_a_training_answer_enqueues_its_statistics_on_commit_and_an_evaluation_answer_not(
    practice, annotator, django_capture_on_commit_callbacks
):
    # (The real worker computing it is the worker test below.)
    with django_capture_on_commit_callbacks() as training:
        give(assignment_for(round_id=practice.pk, user=annotator), TENCH)
    evaluation = make_round(
        make_images(["ILSVRC2012_val_00000798.JPEG"]).values(), [annotator], name="E"
    )
    with django_capture_on_commit_callbacks() as other:
        give(assignment_for(round_id=evaluation.pk, user=annotator), TENCH)
    assert (len(training), len(other)) == (2, 1)  # timing and statistics; timing only


@pytest.mark.django_db
def test_the_sweep_catches_up_missing_and_outdated_rows_and_leaves_fresh_ones(practice, annotator):
    assignment = assignment_for(round_id=practice.pk, user=annotator)
    old, changed, fresh = give(assignment, TENCH), give(assignment, TENCH), give(assignment, TENCH)
    answer_stat_compute(answer_id=changed.pk)
    Answer.objects.filter(pk=changed.pk).update(synset_id=GOLDFISH)  # changed; its task lost
    earlier = timezone.now() - timedelta(minutes=2)
    Answer.objects.filter(pk__in=[old.pk, changed.pk]).update(
        served_at=earlier - timedelta(seconds=10), answered_at=earlier
    )

    assert answer_stats_sweep() == 2
    assert AnswerStat.objects.get(answer=changed).correct is False
    assert not AnswerStat.objects.filter(answer=fresh).exists()
    assert answer_stats_sweep() == 0
    assert answer_stats_sweep(older_than=timedelta(0)) == 1


@pytest.mark.django_db
def test_statistics_per_class_group_round_and_confusions(practice, annotator):
    assignment = assignment_for(round_id=practice.pk, user=annotator)
    for wnid, active in ((TENCH, 2.0), (GOLDFISH, 4.0), (GOLDFISH, 6.0), (TENCH, 8.0)):
        answer = give(assignment, wnid, active=active)
        # Served and answered within the same millisecond here, so the stored time is clamped to
        # about 0; give the answer the time a labeler would have spent.
        Answer.objects.filter(pk=answer.pk).update(
            served_at=answer.answered_at - timedelta(minutes=1),
            active_time=timedelta(seconds=active),
        )
        answer_stat_compute(answer_id=answer.pk)

    (by_class,) = accuracy_by_class(labeler=annotator)
    assert (by_class.key, by_class.right, by_class.total) == (TENCH, 2, 4)
    assert by_class.low < 0.5 < by_class.high  # the 95% Clopper-Pearson interval
    (by_group,) = accuracy_by_group(labeler=annotator)
    assert (by_group.key, by_group.accuracy) == (ClassGroup.ORGANISM, 0.5)
    (by_round,) = accuracy_by_round(labeler=annotator)
    assert (by_round.label, by_round.median_active_seconds) == ("Fish", 5.0)
    (pair,) = confused_pairs(labeler=annotator)
    assert (pair.correct, pair.chosen, pair.count, pair.labelers) == (TENCH, GOLDFISH, 2, 1)
    assert median_active_seconds(labeler=annotator) == 5.0
    assert learning_curve(labeler=annotator) == {"organism": [("Fish", 0.5, 4)]}
    rounds, rows = labelers_by_rounds()
    assert rounds == [(practice.pk, "Fish")]
    assert rows[0].username == "anna" and rows[0].cells[practice.pk].total == 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_training_answer_through_the_api_gets_its_statistics_from_the_worker(
    imagenet_classes, annotator
):
    images = make_images(["ILSVRC2012_val_00000711.JPEG"], label=TENCH)
    round = make_round(images.values(), [annotator], kind=RoundKind.TRAINING, name="W")
    client = api_client_for(annotator)
    response = post_answer(client, round, next_item(client, round)["item"], wnid=GOLDFISH)
    assert response.status_code == 201 and response.json()["feedback"]["correct"] is False

    stat = wait_until(lambda: AnswerStat.objects.filter(labeler=annotator).first())

    assert (stat.correct, stat.chosen_id, stat.reference_id) == (False, GOLDFISH, TENCH)
    wait_until(lambda: AnswerTiming.objects.filter(answer__labeler=annotator).exists())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_answers_given_while_the_broker_is_down_lose_no_statistic_or_timing_row(
    eager, imagenet_classes, annotator
):
    images = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in (721, 722, 723)], label=TENCH)
    round = make_round(images.values(), [annotator], kind=RoundKind.TRAINING, name="Outage")
    assignment = assignment_for(round_id=round.pk, user=annotator)
    answers = []
    for wnid in (TENCH, GOLDFISH, TENCH):
        with transaction.atomic():
            answers.append(give(assignment, wnid))
            # The broker is unreachable: no task of this answer is ever enqueued.
            connection.run_on_commit.clear()
    earlier = timezone.now() - timedelta(minutes=2)
    Answer.objects.filter(pk__in=[a.pk for a in answers]).update(
        served_at=earlier - timedelta(seconds=10), answered_at=earlier
    )
    InteractionLog.objects.filter(answer__in=answers).update(created_at=earlier)
    assert not AnswerStat.objects.exists() and not AnswerTiming.objects.exists()
    if eager:
        # No beat runs in the embedded setup: run the scheduled tasks the way beat would.
        answer_stats_sweep_task.delay()
        interaction_logs_sweep_task.delay()
    # In the PostgreSQL pass Celery beat sends both sweeps every TIMING_SWEEP_SECONDS.
    wait_until(lambda: AnswerStat.objects.filter(answer__in=answers).count() == 3, timeout=90)
    wait_until(lambda: AnswerTiming.objects.filter(answer__in=answers).count() == 3, timeout=90)
    assert AnswerStat.objects.filter(correct=True).count() == 2
