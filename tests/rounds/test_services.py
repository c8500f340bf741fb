"""Creating and running rounds, serving items and taking answers, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from labeling.audit.models import AuditAction, AuditEntry
from labeling.guide.selectors import guide_active_freeze
from labeling.guide.services import GuideFrozen, guide_entry_save, guide_freeze, guide_release
from labeling.rounds.models import (
    Answer,
    Assignment,
    InteractionLog,
    LogKind,
    Round,
    RoundImage,
    RoundKind,
    RoundState,
    Serving,
)
from labeling.rounds.selectors import assignment_for
from labeling.rounds.services import (
    RoundConflict,
    answer_submit,
    item_previous,
    item_serve,
    round_assign,
    round_close,
    round_create,
    round_guide_freeze,
    round_images_add,
    round_open,
    round_settings_update,
    round_unassign,
)
from tests.helpers import make_user
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH

pytestmark = pytest.mark.django_db


def order(round) -> list[str]:
    return list(
        RoundImage.objects.filter(round=round)
        .order_by("position")
        .values_list("image__original_name", flat=True)
    )


def answer(assignment, item, *, wnid=GOLDFISH, active=2.0, key=None, now=None, events=()):
    return answer_submit(
        assignment=assignment,
        item=item.public_id,
        wnid=wnid,
        active_seconds=active,
        events=list(events),
        idempotency_key=key or f"key-{item.public_id}-{wnid}-{active}",
        now=now,
    )


def fresh(round, user):
    return assignment_for(round_id=round.pk, user=user)


# --- Creating rounds ----------------------------------------------------------------------------


def test_a_shuffled_round_records_the_seed_it_drew(images):
    round = round_create(name="r", kind="evaluation", image_ids=[i.pk for i in images])
    assert round.seed is not None and 0 <= round.seed < 2**31
    assert round.state == RoundState.DRAFT
    assert sorted(order(round)) == sorted(i.original_name for i in images)


def test_the_same_images_and_seed_give_the_same_order_whatever_order_they_came_in(images):
    ids = [i.pk for i in images]
    one = round_create(name="a", kind="evaluation", image_ids=ids, seed=7)
    two = round_create(name="b", kind="evaluation", image_ids=ids[::-1], seed=7)
    three = round_create(name="c", kind="evaluation", image_ids=ids, seed=8)
    assert order(one) == order(two)
    assert order(one) != order(three)  # 1 in 120 that it would not differ; seed 8 does


def test_a_round_in_given_order_keeps_it_and_has_no_seed(images):
    round = round_create(
        name="r", kind="training", image_ids=[i.pk for i in images[::-1]], shuffle=False
    )
    assert round.seed is None and round.kind == RoundKind.TRAINING
    assert order(round) == [i.original_name for i in images[::-1]]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"kind": "party"}, "kind"),
        ({"idle_limit_seconds": 0}, "idle_limit_seconds"),
        ({"shuffle": False, "seed": 3}, "seed"),
    ],
)
def test_round_settings_are_checked(images, fields, field):
    values = {"name": "r", "kind": "evaluation", **fields}
    with pytest.raises(ValidationError) as error:
        round_create(**values)
    assert field in error.value.message_dict


def test_an_image_listed_twice_is_refused_and_nothing_is_written(images):
    with pytest.raises(ValidationError, match="more than once: ILSVRC2012_val_00000101"):
        round_create(name="r", kind="evaluation", image_ids=[images[0].pk, images[0].pk])
    assert not RoundImage.objects.exists()


def test_images_added_to_a_seeded_draft_are_shuffled_in_with_the_seed(images):
    draft = round_create(name="r", kind="evaluation", image_ids=[i.pk for i in images[:3]], seed=5)
    added = round_images_add(round=draft, image_ids=[images[3].pk, images[4].pk, images[0].pk])
    assert added == 2  # the one already in it is skipped
    whole = round_create(name="w", kind="evaluation", image_ids=[i.pk for i in images], seed=5)
    assert order(draft) == order(whole)
    assert draft.image_count == whole.image_count == 5
    assert draft.__class__.objects.get(pk=draft.pk).image_count == 5


def test_images_are_added_only_to_drafts(images):
    round = make_round(images[:2])
    with pytest.raises(ValidationError, match="draft"):
        round_images_add(round=round, image_ids=[images[3].pk])


def test_a_training_rounds_answers_are_never_changed_whatever_the_form_said(images):
    training = round_create(name="t", kind=RoundKind.TRAINING, allow_change_previous=True)
    assert not training.allow_change_previous  # its answers were revealed as feedback
    evaluation = round_create(name="e", kind=RoundKind.EVALUATION)
    assert evaluation.allow_change_previous  # the default elsewhere
    updated = round_settings_update(
        round=training, name="t", allow_change_previous=True, idle_limit_seconds=120
    )
    assert not updated.allow_change_previous
    with pytest.raises(IntegrityError):  # the database holds the rule too
        with transaction.atomic():
            Round.objects.filter(pk=training.pk).update(allow_change_previous=True)


def test_a_round_moves_from_draft_to_open_to_closed_and_records_when(images):
    empty = round_create(name="empty", kind="evaluation")
    with pytest.raises(ValidationError, match="no images"):
        round_open(round=empty)
    draft = round_create(name="r", kind="evaluation", image_ids=[images[0].pk])
    with pytest.raises(ValidationError, match="never opened"):
        round_close(round=draft)
    opened = round_open(round=draft)
    assert opened.state == RoundState.OPEN and opened.opened_at is not None
    assert round_open(round=opened).opened_at == opened.opened_at  # already open: unchanged
    closed = round_close(round=opened)
    assert closed.state == RoundState.CLOSED
    assert closed.closed_at and closed.opened_at and closed.closed_at >= closed.opened_at
    with pytest.raises(ValidationError, match="not opened again"):
        round_open(round=closed)


def test_a_guide_frozen_for_a_round_stays_frozen_until_the_round_closes(images, study_admin):
    round = make_round(images)
    freeze = round_guide_freeze(round=round, by=study_admin)
    assert freeze.name == f"Evaluation round {round.pk}: {round.name}"
    with pytest.raises(GuideFrozen):
        guide_entry_save(synset=images[0].original_label, text="Fins.", author=study_admin)

    round_close(round=round, by=study_admin)

    freeze.refresh_from_db()
    assert (freeze.released_at is not None, freeze.released_by) == (True, study_admin)
    assert list(
        AuditEntry.objects.filter(target_type="guide.guidefreeze")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [AuditAction.GUIDE_FROZEN, AuditAction.GUIDE_RELEASED]
    guide_entry_save(synset=images[0].original_label, text="Fins.", author=study_admin)


def test_closing_a_round_leaves_a_freeze_made_for_something_else(images):
    round = make_round(images)
    guide_release(freeze=round_guide_freeze(round=round, by=None), by=None)  # early, by hand
    other = guide_freeze(name="Guide review week", by=None)

    round_close(round=round)

    assert guide_active_freeze() == other


def test_the_guide_is_not_frozen_for_a_closed_round_nor_twice(images):
    round = make_round(images)
    round_guide_freeze(round=round, by=None)
    with pytest.raises(GuideFrozen, match="already frozen"):
        round_guide_freeze(round=make_round(images, name="second"), by=None)
    round_close(round=round)
    with pytest.raises(ValidationError, match="is closed"):
        round_guide_freeze(round=round, by=None)
    assert guide_active_freeze() is None


def test_only_annotators_are_assigned_and_assigning_twice_changes_nothing(
    images, annotator, researcher
):
    round = make_round(images)
    with pytest.raises(ValidationError, match="rita is not an annotator"):
        round_assign(round=round, users=[annotator, researcher])
    assert not Assignment.objects.exists()
    assert round_assign(round=round, users=[annotator]) == 1
    assert round_assign(round=round, users=[annotator]) == 0
    round_close(round=round)
    with pytest.raises(ValidationError, match="closed"):
        round_assign(round=round, users=[make_user("bert", "annotator")])


def test_a_labeler_who_has_answered_stays_assigned(evaluation, annotator):
    assignment = fresh(evaluation, annotator)
    served = item_serve(assignment=assignment)
    answer(assignment, served.item)
    with pytest.raises(ValidationError, match="has answered"):
        round_unassign(round=evaluation, user=annotator)
    other = make_user("bert", "annotator")
    round_assign(round=evaluation, users=[other])
    round_unassign(round=evaluation, user=other)
    assert not Assignment.objects.filter(user=other).exists()


# --- Serving and answering ----------------------------------------------------------------------


def test_answers_follow_the_round_order_and_the_cursor_counts_them(evaluation, annotator):
    assignment = fresh(evaluation, annotator)
    seen = []
    while (served := item_serve(assignment=assignment)).item is not None:
        seen.append(served.position)
        answer(assignment, served.item)
    assert seen == [1, 2, 3, 4, 5]
    assert served.position == served.total == 5
    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.answered == Answer.objects.filter(labeler=annotator).count() == 5


def test_a_change_adds_its_own_active_time_within_the_time_since_first_served(
    evaluation, annotator
):
    start = timezone.now()
    assignment = fresh(evaluation, annotator)
    first = item_serve(assignment=assignment, now=start).item
    assert first is not None
    answer(assignment, first, active=8, now=start + timedelta(seconds=10))
    item_serve(assignment=assignment, now=start + timedelta(seconds=10))
    shown_again = item_previous(assignment=assignment, now=start + timedelta(seconds=30))
    assert shown_again is not None and shown_again.pk == first.pk

    outcome = answer(assignment, first, wnid=SHARK, active=100, now=start + timedelta(seconds=34))

    assert outcome.status == "changed"
    stored = Answer.objects.get(pk=outcome.answer.pk)
    # 8 s the first time, then at most the 4 s since it was shown again.
    assert stored.active_seconds == pytest.approx(12)
    assert stored.served_at == start and stored.synset_id == SHARK
    log = InteractionLog.objects.get(kind=LogKind.CHANGE)
    assert log.window_start == start + timedelta(seconds=30)
    assert log.client_active_seconds == 100


def test_an_answer_to_a_closed_round_or_another_item_is_a_conflict(evaluation, annotator):
    assignment = fresh(evaluation, annotator)
    items = list(RoundImage.objects.filter(round=evaluation).order_by("position"))
    item_serve(assignment=assignment)
    with pytest.raises(RoundConflict, match="not your current item"):
        answer(assignment, items[1])
    round_close(round=evaluation)
    with pytest.raises(RoundConflict, match="closed"):
        answer(fresh(evaluation, annotator), items[0])
    with pytest.raises(RoundConflict):
        item_serve(assignment=fresh(evaluation, annotator))


def test_a_replay_returns_the_original_submission_even_after_moving_on(evaluation, annotator):
    assignment = fresh(evaluation, annotator)
    first = item_serve(assignment=assignment).item
    original = answer(assignment, first, key="k")
    answer(assignment, item_serve(assignment=assignment).item, key="k2")
    replay = answer(assignment, first, key="k")
    assert replay.status == "replayed" and replay.log.pk == original.log.pk
    assert Answer.objects.count() == 2


def test_a_submission_read_before_another_moved_the_cursor_is_decided_under_the_lock(
    evaluation, annotator
):
    # Two requests read the assignment at the same position; the first answers. The second,
    # the same request retried, is a replay; a new one for the same item changes that answer.
    first_read, second_read = fresh(evaluation, annotator), fresh(evaluation, annotator)
    item = item_serve(assignment=first_read).item
    original = answer(first_read, item, key="k")
    assert answer(second_read, item, key="k").status == "replayed"
    changed = answer(fresh(evaluation, annotator), item, wnid=TENCH, key="k2")
    assert changed.status == "changed"
    assert Answer.objects.get().synset_id == TENCH
    assert fresh(evaluation, annotator).answered == 1
    assert original.next.position == changed.next.position == 2


def test_a_key_used_for_another_answer_cannot_answer_the_current_item(evaluation, annotator):
    assignment = fresh(evaluation, annotator)
    answer(assignment, item_serve(assignment=assignment).item, key="k")
    with pytest.raises(RoundConflict, match="already used"):
        answer(assignment, item_serve(assignment=assignment).item, key="k")
    assert fresh(evaluation, annotator).answered == 1


def test_serving_records_the_first_time_only(evaluation, annotator):
    start = timezone.now()
    assignment = fresh(evaluation, annotator)
    item = item_serve(assignment=assignment, now=start).item
    item_serve(assignment=assignment, now=start + timedelta(minutes=3))
    serving = Serving.objects.get(round_image=item, labeler=annotator)
    assert serving.served_at == start
    assert serving.last_served_at == start + timedelta(minutes=3)


def test_labelers_progress_independently(evaluation, annotator):
    other = make_user("bert", "annotator")
    round_assign(round=evaluation, users=[other])
    mine = fresh(evaluation, annotator)
    answer(mine, item_serve(assignment=mine).item, wnid=TENCH)
    theirs = fresh(evaluation, other)
    assert item_serve(assignment=theirs).position == 1
    assert item_serve(assignment=fresh(evaluation, annotator)).position == 2


def test_rounds_can_share_images(imagenet_classes, annotator):
    shared = make_images(["ILSVRC2012_val_00000001.JPEG"])["ILSVRC2012_val_00000001.JPEG"]
    one, two = make_round([shared], [annotator], name="1"), make_round([shared], [annotator])
    for round in (one, two):
        assignment = fresh(round, annotator)
        answer(assignment, item_serve(assignment=assignment).item, key=f"k{round.pk}")
    assert Answer.objects.filter(round_image__image=shared).count() == 2


@pytest.mark.parametrize(
    "first, second",
    [(RoundKind.TRAINING, RoundKind.EVALUATION), (RoundKind.EVALUATION, RoundKind.TRAINING)],
)
def test_an_image_is_never_in_both_a_training_and_an_evaluation_round(images, first, second):
    make_round(images[:2], kind=first, name="first")
    later = make_round([], kind=second, name="second", open=False)

    with pytest.raises(ValidationError) as refused:
        round_images_add(round=later, image_ids=[images[1].pk, images[2].pk])

    message = " ".join(refused.value.messages)
    assert images[1].original_name in message and "first" in message
    assert images[2].original_name not in message
    assert not RoundImage.objects.filter(round=later).exists()


def test_the_pool_rule_leaves_other_kinds_and_same_kind_rounds_alone(images):
    make_round(images[:2], kind=RoundKind.TRAINING, name="training")
    make_round(images[:2], kind=RoundKind.TRAINING, name="training again")
    make_round(images[:2], kind=RoundKind.FINAL_REVIEW, name="final review")
    assert RoundImage.objects.filter(image=images[0]).count() == 3
