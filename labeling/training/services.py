"""Writes for training: building training rounds, the per-answer statistics the workers keep,
labelers' requests for practice and the group review's comments.

The pool rule (an image is never in both a training and an evaluation round) is the rounds
app's (labeling.rounds.services.training_pool_check); `training_pool` only offers images that
pass it.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from labeling.rounds.models import Answer, Round, RoundImage, RoundKind
from labeling.rounds.services import SEED_LIMIT, SWEEP_AGE, SWEEP_BATCH, round_create, round_open
from labeling.taxonomy.models import Synset
from labeling.training.models import (
    COMMENT_MAX_LENGTH,
    REQUEST_NOTE_MAX_LENGTH,
    AnswerStat,
    RequestState,
    ReviewComment,
    TrainingRequest,
)
from labeling.training.selectors import answer_feedback, training_pool

logger = logging.getLogger(__name__)

DEFAULT_REQUEST_COUNT = 50


# --- Training rounds --------------------------------------------------------------------------


def training_images_choose(
    *,
    count: int,
    seed: int,
    under: Sequence[str] = (),
    classes: Sequence[str] = (),
    sources: Sequence[str] = (),
    at_most: bool = False,
) -> list[int]:
    """`count` images of the training pool drawn with `seed` (with `at_most`, all of them if
    fewer fit): the same pool and seed give the same images on any database (the pool is sorted
    by source and name before drawing)."""
    if count < 1:
        raise ValidationError({"count": ["A training round needs at least one image."]})
    pool = list(
        training_pool(under=under, classes=classes, sources=sources)
        .order_by("source__slug", "original_name")
        .values_list("pk", flat=True)
    )
    if at_most and pool:
        count = min(count, len(pool))
    if len(pool) < count:
        raise ValidationError(
            {
                "count": [
                    f"Only {len(pool)} image(s) fit (never in an evaluation round, not "
                    f"problematic); asked for {count}."
                ]
            }
        )
    return random.Random(seed).sample(pool, count)


def training_round_create(
    *,
    name: str,
    count: int,
    under: Sequence[str] = (),
    classes: Sequence[str] = (),
    sources: Sequence[str] = (),
    seed: int | None = None,
    labelers: Iterable[User] = (),
    allow_change_previous: bool = False,
    open: bool = True,
    at_most: bool = False,
    created_by: User | None = None,
) -> Round:
    """A training round of `count` images drawn with `seed` from the classes at or below the
    `under` nodes and the explicit `classes`, open at once unless told not. The seed (drawn if
    not given) both picks the images and orders them, and is recorded on the round.

    Changing the previous answer is off by default: its answer was revealed with the feedback."""
    if seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    with transaction.atomic():
        image_ids = training_images_choose(
            count=count, seed=seed, under=under, classes=classes, sources=sources, at_most=at_most
        )
        round = round_create(
            name=name,
            kind=RoundKind.TRAINING,
            image_ids=image_ids,
            seed=seed,
            labelers=labelers,
            allow_change_previous=allow_change_previous,
            created_by=created_by,
        )
        if open:
            round = round_open(round=round)
    return round


# --- Statistics -------------------------------------------------------------------------------


def answer_stat_compute(*, answer_id: int) -> AnswerStat | None:
    """Write (or bring up to date) the statistics row of a training answer; None if the answer
    no longer exists or is not a training answer. Idempotent: running it again, or after the
    answer changed, leaves the one row that fits the answer as it is now."""
    answer = (
        Answer.objects.select_related("round_image")
        .filter(pk=answer_id, round_image__round__kind=RoundKind.TRAINING)
        .first()
    )
    if answer is None:
        return None
    feedback = answer_feedback(image_id=answer.round_image.image_id, chosen=answer.synset_id)
    group = Synset.objects.filter(wnid=feedback.reference).values_list("group", flat=True).get()
    stat, _ = AnswerStat.objects.update_or_create(
        answer=answer,
        defaults={
            "labeler_id": answer.labeler_id,
            "round_id": answer.round_image.round_id,
            "chosen_id": answer.synset_id,
            "reference_id": feedback.reference,
            "correct": feedback.correct,
            "correct_wnids": feedback.correct_wnids,
            "group": group or "object",
            "active_seconds": answer.active_seconds,
            "answered_at": answer.answered_at or timezone.now(),
        },
    )
    return stat


def answer_stat_schedule(*, answer_id: int) -> None:
    """Have a worker compute the answer's statistics once the transaction commits. With the
    broker down the answer still commits; the sweep computes them later."""
    from labeling.training.tasks import answer_stat_compute_task

    transaction.on_commit(lambda: answer_stat_compute_task.delay(answer_id), robust=True)


def answer_stats_sweep(
    *, older_than: timedelta = SWEEP_AGE, limit: int = SWEEP_BATCH, now: datetime | None = None
) -> int:
    """Compute the statistics of training answers whose task never ran (no row yet, or a row
    that still has the answer's previous class), given more than `older_than` ago."""
    now = now or timezone.now()
    stale = (
        Answer.objects.filter(
            round_image__round__kind=RoundKind.TRAINING, answered_at__lt=now - older_than
        )
        .filter(Q(training_stat__isnull=True) | ~Q(training_stat__chosen=F("synset")))
        .order_by("answered_at")
        .values_list("pk", flat=True)[:limit]
    )
    answer_ids = list(stale)
    for answer_id in answer_ids:
        answer_stat_compute(answer_id=answer_id)
    if answer_ids:
        logger.info("training sweep computed %d answers' statistics", len(answer_ids))
    return len(answer_ids)


# --- Requests ---------------------------------------------------------------------------------


def training_request_create(
    *, labeler: User, wnids: Sequence[str], note: str = ""
) -> TrainingRequest:
    """A labeler asks for practice on these classes or tree nodes."""
    wanted = list(dict.fromkeys(w.strip() for w in wnids if w.strip()))
    if not wanted:
        raise ValidationError({"wnids": ["Name at least one class or group of classes."]})
    known = set(Synset.objects.filter(wnid__in=wanted).values_list("wnid", flat=True))
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValidationError({"wnids": [f"No class or tree node {', '.join(unknown)}."]})
    if len(note) > REQUEST_NOTE_MAX_LENGTH:
        raise ValidationError({"note": [f"At most {REQUEST_NOTE_MAX_LENGTH} characters."]})
    return TrainingRequest.objects.create(labeler=labeler, wnids=wanted, note=note.strip())


def training_request_fulfil(
    *,
    request: TrainingRequest,
    count: int = DEFAULT_REQUEST_COUNT,
    name: str = "",
    seed: int | None = None,
    created_by: User | None = None,
) -> Round:
    """Turn an open request into an open training round for its labeler of `count` images (or
    all that fit, if fewer) over every class at or below what they named."""
    with transaction.atomic():
        locked = TrainingRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RequestState.OPEN:
            raise ValidationError(f"Request {locked.pk} is {locked.state}, no longer open.")
        names = ", ".join(
            Synset.objects.filter(wnid__in=locked.wnids).values_list("display_name", flat=True)
        )
        round = training_round_create(
            name=name or f"Practice for {locked.labeler.get_username()}: {names}"[:200],
            count=count,
            under=locked.wnids,
            seed=seed,
            labelers=[locked.labeler],
            at_most=True,
            created_by=created_by,
        )
        locked.state, locked.round, locked.closed_at = RequestState.FULFILLED, round, timezone.now()
        locked.save(update_fields=["state", "round", "closed_at"])
    request.state, request.round = locked.state, round
    return round


def training_request_decline(*, request: TrainingRequest) -> None:
    TrainingRequest.objects.filter(pk=request.pk, state=RequestState.OPEN).update(
        state=RequestState.DECLINED, closed_at=timezone.now()
    )


# --- Group review -----------------------------------------------------------------------------


def review_comment_add(*, round_image: RoundImage, author: User, text: str) -> ReviewComment:
    """Add a message to the discussion of an image of a training round."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": ["Write something first."]})
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError({"text": [f"At most {COMMENT_MAX_LENGTH} characters."]})
    if round_image.round.kind != RoundKind.TRAINING:
        raise ValidationError("Only the images of training rounds are discussed in group review.")
    return ReviewComment.objects.create(round_image=round_image, author=author, text=text)
