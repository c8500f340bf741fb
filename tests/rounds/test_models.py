"""The database itself refuses rows that break the rounds' rules, whoever writes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from labeling.rounds.models import (
    Answer,
    AnswerTiming,
    Assignment,
    InteractionLog,
    Round,
    RoundImage,
    RoundState,
)
from labeling.rounds.services import interaction_log_process
from tests.helpers import api_client_for
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, next_item, post_answer

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def answered(evaluation, annotator) -> Answer:
    client = api_client_for(annotator)
    post_answer(client, evaluation, next_item(client, evaluation)["item"])
    return Answer.objects.get()


def test_round_states_and_settings_are_checked(annotator):
    now = timezone.now()
    assert refused(lambda: Round.objects.create(name="r", kind="review", state="draft"))
    assert refused(lambda: Round.objects.create(name="r", kind="evaluation", state="paused"))
    assert refused(lambda: Round.objects.create(name="", kind="evaluation"))
    assert refused(lambda: Round.objects.create(name="r", kind="evaluation", idle_limit_seconds=0))
    assert refused(lambda: Round.objects.create(name="r", kind="evaluation", seed=-1))
    # Each state needs exactly the timestamps of the moves that led to it.
    assert refused(lambda: Round.objects.create(name="r", kind="evaluation", state=RoundState.OPEN))
    assert refused(
        lambda: Round.objects.create(name="r", kind="evaluation", state="draft", opened_at=now)
    )
    assert refused(
        lambda: Round.objects.create(
            name="r",
            kind="evaluation",
            state=RoundState.CLOSED,
            opened_at=now,
            closed_at=now - timedelta(1),
        )
    )
    # An open round has images.
    assert refused(
        lambda: Round.objects.create(name="r", kind="evaluation", state="open", opened_at=now)
    )
    assert not refused(
        lambda: Round.objects.create(
            name="r", kind="evaluation", state="open", opened_at=now, image_count=1
        )
    )
    # A training round's answers, revealed as feedback at once, are final.
    assert refused(lambda: Round.objects.create(name="r", kind="training"))
    assert not refused(
        lambda: Round.objects.create(name="r", kind="training", allow_change_previous=False)
    )


def test_items_have_positive_unique_positions_and_an_image_once(evaluation, images):
    assert refused(lambda: RoundImage.objects.create(round=evaluation, image=images[0], position=9))
    assert refused(lambda: RoundImage.objects.create(round=evaluation, image=images[0], position=0))
    other = make_round(images[:1], name="other")
    assert refused(lambda: RoundImage.objects.create(round=other, image=images[1], position=1))
    assert refused(lambda: RoundImage.objects.create(round=other, image=images[1], position=0))


def test_a_labeler_is_assigned_once(evaluation, annotator):
    assert refused(lambda: Assignment.objects.create(round=evaluation, user=annotator))


def test_answers_stay_within_their_time_window_and_unique(answered):
    window = answered.answered_at - answered.served_at
    rows = Answer.objects.filter(pk=answered.pk)
    assert refused(lambda: rows.update(active_time=window + timedelta(microseconds=1)))
    assert refused(lambda: rows.update(active_time=timedelta(seconds=-1)))
    assert refused(lambda: rows.update(answered_at=answered.served_at - timedelta(seconds=1)))
    assert refused(lambda: rows.update(picker="telepathy"))
    assert refused(lambda: rows.update(flag="boring"))
    assert refused(lambda: rows.update(note="n" * 2001))
    assert refused(lambda: rows.update(idempotency_key=""))
    assert not refused(lambda: rows.update(active_time=window))

    def again():
        answered.pk = None
        answered.idempotency_key = "another"
        answered.save()

    assert refused(again)


def test_idempotency_keys_are_unique_per_labeler(answered):
    log = InteractionLog.objects.get()
    copy = InteractionLog(
        answer=answered,
        labeler=log.labeler,
        idempotency_key=log.idempotency_key,
        request_hash="0" * 64,
        kind="answer",
        synset_id=GOLDFISH,
        window_start=log.window_start,
        answered_at=log.answered_at,
        client_active_seconds=1,
        active_time=timedelta(0),
    )
    assert refused(copy.save)
    copy.idempotency_key = "new"
    copy.request_hash = "not hex"
    assert refused(copy.save)


def test_timing_rows_stay_within_the_wall_time(answered):
    timing = interaction_log_process(log_id=InteractionLog.objects.get().pk)
    assert timing is not None
    rows = AnswerTiming.objects.filter(pk=timing.pk)
    for field in ("active_seconds", "events_active_seconds", "hidden_seconds", "idle_seconds"):
        assert refused(lambda field=field: rows.update(**{field: timing.wall_seconds + 1}))
        assert refused(lambda field=field: rows.update(**{field: -1}))
    assert refused(lambda: rows.update(first_interaction_seconds=-1))


def test_an_imported_answer_may_come_without_its_times(answered):
    # Human predictions imported from another tool may have no times; checks apply when set.
    rows = Answer.objects.filter(pk=answered.pk)
    assert not refused(lambda: rows.update(served_at=None, answered_at=None, active_time=None))
    assert Answer.objects.get(pk=answered.pk).active_seconds is None
