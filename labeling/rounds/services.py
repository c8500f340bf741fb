"""Writes for rounds: creating and running them, serving items, taking answers, timing them.

Every rule lives here and raises ValidationError; RoundConflict (a StateConflict, which is a
ValidationError too) marks the ones where the request is well-formed but clashes with the round's
state, which the API answers with 409 instead of 400.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import random
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Model, QuerySet
from django.utils import timezone

from labeling.accounts.roles import Role, user_roles
from labeling.audit.models import AuditAction
from labeling.audit.services import audit_record
from labeling.conflicts import StateConflict
from labeling.guide.models import GuideFreeze
from labeling.guide.services import FREEZE_NAME_MAX, guide_freeze, guide_release
from labeling.images.copies import annotator_copies_schedule
from labeling.images.models import Image
from labeling.rounds.events import events_clean, events_timing
from labeling.rounds.models import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IDLE_LIMIT_MAX_SECONDS,
    NOTE_MAX_LENGTH,
    Answer,
    AnswerChange,
    AnswerTiming,
    Assignment,
    Flag,
    InteractionLog,
    LogKind,
    Picker,
    Round,
    RoundImage,
    RoundKind,
    RoundState,
    Serving,
)
from labeling.rounds.selectors import round_items_at
from labeling.sql import column, table
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)
SEED_LIMIT = 2**31  # generated seeds are below this, so any tool can reuse them
SWEEP_AGE = timedelta(seconds=60)
SWEEP_BATCH = 1000
_KEY_RE = re.compile(rf"^[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$")


class RoundConflict(StateConflict):
    """The request is well-formed but the round's state does not allow it (round not open, not
    the current item, an idempotency key reused for something else)."""


# --- Creating and running rounds --------------------------------------------------------------


def _settings_problems(*, name: str, idle_limit_seconds: int) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not name:
        problems["name"] = ["A round needs a name."]
    if not 1 <= idle_limit_seconds <= IDLE_LIMIT_MAX_SECONDS:
        problems["idle_limit_seconds"] = [
            f"The idle limit is 1 to {IDLE_LIMIT_MAX_SECONDS} seconds."
        ]
    return problems


def round_create(
    *,
    name: str,
    kind: str,
    image_ids: Sequence[int] = (),
    shuffle: bool = True,
    seed: int | None = None,
    labelers: Iterable[User] = (),
    allow_change_previous: bool = True,
    idle_limit_seconds: int = 120,
    created_by: User | None = None,
) -> Round:
    """A new draft round of these images and labelers.

    Shuffled (the default), the order is the images sorted by source and name, then shuffled with
    `seed`: the same images and seed give the same order on any database. Without a seed one is
    drawn and recorded. With `shuffle=False` the given order is kept and no seed is recorded.
    """
    name = name.strip()
    problems = _settings_problems(name=name, idle_limit_seconds=idle_limit_seconds)
    if kind not in RoundKind.values:
        problems["kind"] = [f"Unknown kind {kind!r}; one of {', '.join(RoundKind.values)}."]
    if seed is not None and not shuffle:
        problems["seed"] = ["A seed only makes sense when the images are shuffled."]
    if seed is not None and not 0 <= seed < 2**63:
        problems["seed"] = ["The seed is a non-negative integer."]
    if problems:
        raise ValidationError(problems)
    if shuffle and seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    allow_change_previous = _may_change_previous(kind, allow_change_previous)
    with transaction.atomic():
        round = Round.objects.create(
            name=name,
            kind=kind,
            seed=seed if shuffle else None,
            allow_change_previous=allow_change_previous,
            idle_limit_seconds=idle_limit_seconds,
            created_by=created_by,
        )
        if image_ids:
            round_images_add(round=round, image_ids=image_ids)
        labelers = list(labelers)
        if labelers:
            round_assign(round=round, users=labelers)
        audit_record(
            actor=created_by,
            action=AuditAction.ROUND_CREATED,
            target=round,
            details={"kind": kind, "images": len(image_ids), "labelers": len(labelers)},
        )
    return round


def round_images_add(*, round: Round, image_ids: Sequence[int]) -> int:
    """Add images to a draft round; returns how many were new (those already in it are skipped).

    A shuffled round is reordered as a whole with its seed, so its order stays the seeded
    shuffle of its image set; a round in given order gets the new images at its end.
    """
    wanted = list(image_ids)
    duplicates = sorted(pk for pk, n in Counter(wanted).items() if n > 1)
    if duplicates:
        names = dict(Image.objects.filter(pk__in=duplicates).values_list("pk", "original_name"))
        listed = ", ".join(names.get(i, str(i)) for i in duplicates[:20])
        raise ValidationError(f"The same image is listed more than once: {listed}.")
    known = set(Image.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if len(known) != len(wanted):
        raise ValidationError(f"No image with id {sorted(set(wanted) - known)[:20]}.")
    with transaction.atomic():
        state = _locked(round).state
        if state != RoundState.DRAFT:
            raise ValidationError(
                f"Images can only be added while the round is a draft ({round.name} is {state})."
            )
        training_pool_check(kind=round.kind, image_ids=wanted)
        existing = list(
            RoundImage.objects.filter(round=round)
            .order_by("position")
            .values_list("image_id", flat=True)
        )
        present = set(existing)
        new = [i for i in wanted if i not in present]
        if not new:
            return 0
        if round.seed is None:
            start = len(existing)
            RoundImage.objects.bulk_create(
                [
                    RoundImage(round=round, image_id=image_id, position=start + n)
                    for n, image_id in enumerate(new, start=1)
                ],
                batch_size=1000,
            )
        else:
            order = _seeded_order(existing + new, seed=round.seed)
            RoundImage.objects.filter(round=round).delete()  # a draft: nobody has seen an item
            RoundImage.objects.bulk_create(
                [
                    RoundImage(round=round, image_id=image_id, position=n)
                    for n, image_id in enumerate(order, start=1)
                ],
                batch_size=1000,
            )
        round.image_count = len(existing) + len(new)
        Round.objects.filter(pk=round.pk).update(image_count=round.image_count)
        annotator_copies_schedule(image_ids=new)
    return len(new)


# Training and evaluation images are kept apart: a labeler who practised on an image with its
# answer revealed would not be measured fairly on it.
_POOL_OPPOSITE = {
    RoundKind.TRAINING: RoundKind.EVALUATION,
    RoundKind.EVALUATION: RoundKind.TRAINING,
}


def training_pool_check(*, kind: str, image_ids: Sequence[int]) -> None:
    """Refuse images already used in a round of the opposite pool, naming them."""
    opposite = _POOL_OPPOSITE.get(RoundKind(kind)) if kind in RoundKind.values else None
    if opposite is None:
        return
    clashes = list(
        RoundImage.objects.filter(image_id__in=image_ids, round__kind=opposite)
        .order_by("image__original_name", "round_id")
        .values_list("image__original_name", "round__name")
    )
    if not clashes:
        return
    by_image: dict[str, list[str]] = {}
    for image_name, round_name in clashes:
        by_image.setdefault(image_name, []).append(round_name)
    listed = "; ".join(
        f"{image_name} (in {', '.join(rounds)})"
        for image_name, rounds in list(by_image.items())[:20]
    )
    more = f" and {len(by_image) - 20} more" if len(by_image) > 20 else ""
    raise ValidationError(
        f"Training and evaluation images are kept apart: {len(by_image)} image(s) are already "
        f"in a {opposite} round, so they cannot be in a {kind} round: {listed}{more}."
    )


def round_settings_update(
    *, round: Round, name: str, allow_change_previous: bool, idle_limit_seconds: int
) -> Round:
    """Rename a round, and change its labeling settings while it is a draft (once labelers have
    started, a changed rule would treat their answers unequally)."""
    name = name.strip()
    problems = _settings_problems(name=name, idle_limit_seconds=idle_limit_seconds)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = _locked(round)
        allow_change_previous = _may_change_previous(locked.kind, allow_change_previous)
        changes_rules = (
            locked.allow_change_previous != allow_change_previous
            or locked.idle_limit_seconds != idle_limit_seconds
        )
        if changes_rules and locked.state != RoundState.DRAFT:
            raise ValidationError(
                f"{locked.name} is {locked.state}: its labeling settings no longer change."
            )
        locked.name = name
        locked.allow_change_previous = allow_change_previous
        locked.idle_limit_seconds = idle_limit_seconds
        locked.save(update_fields=["name", "allow_change_previous", "idle_limit_seconds"])
    return locked


def _may_change_previous(kind: str, asked: bool) -> bool:
    """A training round shows the right answer right after each confirm, so its answers are
    never changed afterwards (whatever a form's checkbox said)."""
    return asked and kind != RoundKind.TRAINING


def _seeded_order(image_ids: list[int], *, seed: int) -> list[int]:
    """Sorted by (source, name), then shuffled: reproducible from the image set and the seed."""
    keys = {
        pk: (slug, name)
        for pk, slug, name in Image.objects.filter(pk__in=image_ids).values_list(
            "pk", "source__slug", "original_name"
        )
    }
    ordered = sorted(image_ids, key=lambda pk: keys[pk])
    random.Random(seed).shuffle(ordered)
    return ordered


# The one way into each state: (from, timestamp field, refusal for any other state).
_TRANSITIONS = {
    RoundState.OPEN: (RoundState.DRAFT, "opened_at", "{name} is closed; it is not opened again."),
    RoundState.CLOSED: (RoundState.OPEN, "closed_at", "{name} was never opened; delete the draft."),
}


def _locked(round: Round) -> Round:
    """The round's row as stored, locked until the transaction ends (its state may have moved
    since the caller loaded it)."""
    return Round.objects.select_for_update().get(pk=round.pk)


def _round_move(
    *, round: Round, to: RoundState, now: datetime | None, by: User | None = None
) -> Round:
    """Move the round along draft → open → closed; moving it where it is changes nothing."""
    source, stamp, refusal = _TRANSITIONS[to]
    with transaction.atomic():
        locked = _locked(round)
        if locked.state == to:
            return locked
        if locked.state != source:
            raise ValidationError(refusal.format(name=locked.name))
        if to == RoundState.OPEN and locked.image_count == 0:
            raise ValidationError(f"{locked.name} has no images yet; add some before opening it.")
        locked.state = to
        setattr(locked, stamp, max(now or timezone.now(), locked.opened_at or locked.created_at))
        locked.save(update_fields=["state", stamp])
        audit_record(actor=by, action=_AUDIT_ACTIONS[to], target=locked, details={"from": source})
        if to == RoundState.CLOSED and locked.guide_freeze_id is not None:
            # Frozen for the round's duration: the guide can be edited again once it is over.
            # Locked first, so an admin releasing it by hand at this moment is not a conflict.
            freeze = GuideFreeze.objects.select_for_update().get(pk=locked.guide_freeze_id)
            if freeze.is_active:
                guide_release(freeze=freeze, by=by)
    return locked


_AUDIT_ACTIONS = {
    RoundState.OPEN: AuditAction.ROUND_OPENED,
    RoundState.CLOSED: AuditAction.ROUND_CLOSED,
}


def round_open(*, round: Round, now: datetime | None = None, by: User | None = None) -> Round:
    """Draft → open: labelers can start. `by` is who did it, for the audit log."""
    return _round_move(round=round, to=RoundState.OPEN, now=now, by=by)


def round_close(*, round: Round, now: datetime | None = None, by: User | None = None) -> Round:
    """Open → closed: no more answers; annotators no longer see its images. `by`: as above."""
    return _round_move(round=round, to=RoundState.CLOSED, now=now, by=by)


def round_guide_freeze(*, round: Round, by: User | None, reason: str = "") -> GuideFreeze:
    """Freeze the labeling guide for the round's duration, so every labeler works with the same
    text; closing the round releases it. Raises GuideFrozen if the guide is frozen already (for
    this round or another reason), ValidationError if the round is closed."""
    with transaction.atomic():
        locked = _locked(round)
        if locked.state == RoundState.CLOSED:
            raise StateConflict(
                f"{locked.name} is closed: there is nothing to freeze the guide for."
            )
        prefix = f"{locked.get_kind_display().capitalize()} round {locked.pk}: "
        freeze = guide_freeze(name=(prefix + locked.name)[:FREEZE_NAME_MAX], by=by, reason=reason)
        locked.guide_freeze = freeze
        locked.save(update_fields=["guide_freeze"])
    return freeze


def labelers_check(users: Iterable[User]) -> list[str]:
    """What keeps these users from labeling in a round: only annotators label."""
    return [
        f"{user.username} is not an annotator; only annotators can be assigned to a round"
        for user in users
        if Role.ANNOTATOR not in user_roles(user)
    ]


def round_assign(*, round: Round, users: Iterable[User]) -> int:
    """Assign labelers (annotators) to a draft or open round; returns how many were new."""
    users = list(users)
    problems = labelers_check(users)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        if _locked(round).state == RoundState.CLOSED:
            raise ValidationError(f"{round.name} is closed; nobody can be assigned to it.")
        assigned = set(Assignment.objects.filter(round=round).values_list("user_id", flat=True))
        new = [Assignment(round=round, user=u) for u in users if u.pk not in assigned]
        Assignment.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def round_unassign(*, round: Round, user: User) -> None:
    """Take a labeler off a round, which only works before they answered anything in it."""
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().filter(round=round, user=user).first()
        if assignment is None:
            return
        if Answer.objects.filter(round_image__round=round, labeler=user).exists():
            raise ValidationError(
                f"{user.username} has answered in {round.name}; their assignment stays."
            )
        assignment.delete()


# --- Serving items ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedItem:
    """What a labeler is shown now: `item` is None once every image is answered."""

    item: RoundImage | None
    following: RoundImage | None
    position: int
    total: int
    can_change_previous: bool


def _one(queryset: QuerySet[M]) -> M | None:
    """The row a unique lookup finds, or None; unlike first(), it adds no ORDER BY (the labeling
    hot path runs these on every request)."""
    try:
        return queryset.get()
    except ObjectDoesNotExist:  # the model's DoesNotExist, which the types do not know
        return None


def _require_open(round: Round) -> None:
    if round.state != RoundState.OPEN:
        raise RoundConflict(f"The round is {round.state}, not open: nothing can be labeled now.")


def _record_serving(*, item: RoundImage, labeler_id: int, now: datetime) -> None:
    # One statement: insert the first serving, or only move last_served_at (served_at stays).
    # Written out: bulk_create(update_conflicts=True) wraps its one statement in a transaction
    # of its own (two more round trips on `next`) and costs more to build than to run.
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_serving_sql(connection.vendor), [item.pk, labeler_id, at, at])


@functools.cache
def _serving_sql(vendor: str) -> str:
    last = column(Serving, "last_served_at")
    keys = f"{column(Serving, 'round_image')}, {column(Serving, 'labeler')}"
    return (
        f"INSERT INTO {table(Serving)} ({keys}, {column(Serving, 'served_at')}, {last}) "
        f"VALUES (%s, %s, %s, %s) ON CONFLICT ({keys}) DO UPDATE SET {last} = EXCLUDED.{last}"
    )


def item_serve(*, assignment: Assignment, now: datetime | None = None) -> ServedItem:
    """The labeler's current item (the first one they have not answered) and the one after it,
    recording when the current one was first served."""
    _require_open(assignment.round)
    position = assignment.answered + 1
    items = round_items_at(round_id=assignment.round_id, positions=[position, position + 1])
    return _serve_from(items, assignment=assignment, now=now or timezone.now())


def _serve_from(
    items: dict[int, RoundImage], *, assignment: Assignment, now: datetime
) -> ServedItem:
    """Serve the labeler's current item out of `items` (read by position, holding the current
    item and the one after it), recording the serving."""
    round = assignment.round
    total = round.image_count
    position = assignment.answered + 1
    can_change = round.allow_change_previous and assignment.answered >= 1
    if position > total:
        return ServedItem(None, None, total, total, can_change)
    item = items[position]
    _record_serving(item=item, labeler_id=assignment.user_id, now=now)
    return ServedItem(item, items.get(position + 1), position, total, can_change)


def item_previous(*, assignment: Assignment, now: datetime | None = None) -> RoundImage | None:
    """The labeler's previous item while they may still change its answer (the round allows it
    and they have not confirmed the item after it), else None. Showing it again is recorded, as
    the start of the time spent changing the answer."""
    round = assignment.round
    _require_open(round)
    if not round.allow_change_previous or assignment.answered < 1:
        return None
    item = round_items_at(round_id=round.pk, positions=[assignment.answered]).get(
        assignment.answered
    )
    if item is not None:
        _record_serving(item=item, labeler_id=assignment.user_id, now=now or timezone.now())
    return item


# --- Answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    log: InteractionLog  # this submission (or, for a replay, the original one)
    answer: Answer
    status: str  # "created", "changed" or "replayed"
    next: ServedItem  # the labeler's current item after this, served in the same transaction


def _request_hash(**fields: Any) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _clamp(seconds: float, window: timedelta) -> timedelta:
    """The page's active seconds as counted: never negative, never longer than the window."""
    if window <= timedelta(0):
        return timedelta(0)
    return min(timedelta(seconds=max(0.0, seconds)), window)


def _replayed_after_a_race(submit: Callable[..., AnswerOutcome]) -> Callable[..., AnswerOutcome]:
    """Two requests with one Idempotency-Key at once (a double click, a retry while the first is
    in flight): the second waits for the assignment's lock, but on PostgreSQL its statement's
    snapshot predates the first's commit, so it misses that key and its log insert hits the
    unique (labeler, key) index. Once more, it sees the first and is replayed; anything else
    fails again the same way and is raised."""

    @wraps(submit)
    def submitting(**kwargs: Any) -> AnswerOutcome:
        try:
            return submit(**kwargs)
        except IntegrityError:
            return submit(**kwargs)

    return submitting


@_replayed_after_a_race
def answer_submit(
    *,
    assignment: Assignment,
    item: str,
    wnid: str,
    active_seconds: float,
    events: list[dict[str, Any]],
    idempotency_key: str | None,  # checked here: a missing header is a 400 like a bad one
    picker: str = "",
    flag: str = "",
    note: str = "",
    now: datetime | None = None,
) -> AnswerOutcome:
    """Answer the labeler's current item, or change the answer to their previous one, and
    serve the item that is current after that (recorded in the same commit).

    The same idempotency key again gives back the first submission (nothing is written); the
    same key with a different request is a conflict. The interaction log is stored with the
    answer, and the timing task is enqueued once the transaction commits.
    """
    if not isinstance(idempotency_key, str) or not _KEY_RE.match(idempotency_key):
        raise ValidationError(
            {
                "idempotency_key": [
                    f"Send an Idempotency-Key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable "
                    "ASCII characters."
                ]
            }
        )
    _require_open(assignment.round)
    if assignment.round.kind in (RoundKind.ANNOTATION_REVIEW, RoundKind.FINAL_REVIEW):
        raise RoundConflict("This is a review round: send judgments, not answers.")
    submission = _Submission(
        item=item,
        wnid=wnid,
        active_seconds=active_seconds,
        events=events,
        picker=picker,
        flag=flag,
        note=note,
        key=idempotency_key,
        request_hash=_request_hash(
            item=item,
            wnid=wnid,
            active_seconds=float(active_seconds),
            events=events,
            picker=picker,
            flag=flag,
            note=note,
        ),
        now=now or timezone.now(),
    )
    return _answer_current(assignment=assignment, given=submission) or _answer_locked(
        assignment=assignment, given=submission
    )


@dataclass(frozen=True)
class _Submission:
    item: str
    wnid: str
    active_seconds: float
    events: list[dict[str, Any]]
    picker: str
    flag: str
    note: str
    key: str
    request_hash: str
    now: datetime


class _CursorMoved(Exception):
    """Another submission moved the labeler's cursor since it was read."""


def _answer_current(*, assignment: Assignment, given: _Submission) -> AnswerOutcome | None:
    """The usual submission, taken without a lock: the answer to the item the labeler was just
    served. One read finds that item (with when it was served), the next and the one after it;
    the writes follow in one transaction. None, with nothing written, in every other case (a
    retry, a change of the previous answer, a cursor moved meanwhile, a conflict): the locking
    path decides those."""
    position = assignment.answered + 1
    items = round_items_at(
        round_id=assignment.round_id,
        positions=[position, position + 1, position + 2],
        served_to=assignment.user_id,
    )
    target = items.get(position)
    # `served_at` is annotated by round_items_at(served_to=...).
    served_at: datetime | None = getattr(target, "served_at", None)
    if target is None or target.public_id != given.item or served_at is None:
        return None
    _check_answer_fields(given)
    clean_events = events_clean(given.events)
    try:
        with transaction.atomic():
            answer = _answer_new(
                assignment=assignment, item=target, served_at=served_at, given=given
            )
            log = _log_create(
                assignment=assignment,
                answer=answer,
                kind=LogKind.ANSWER,
                window_start=served_at,
                given=given,
                events=clean_events,
            )
            served = _serve_from(items, assignment=assignment, now=given.now)
    except (_CursorMoved, IntegrityError):
        # A concurrent submission got there first, or this key was used before.
        assignment.answered = position - 1
        return None
    answer.round_image = target
    return AnswerOutcome(log=log, answer=answer, status="created", next=served)


def _answer_locked(*, assignment: Assignment, given: _Submission) -> AnswerOutcome:
    """Any submission, under the labeler's assignment row lock: retries, changes of the
    previous answer and conflicts come here."""
    # One transaction, so one commit, for the answer and serving the next item.
    with transaction.atomic():
        # One submission per labeler and round at a time: the cursor must not move under us.
        # The caller's object follows along, so that serving the next item after this sees it.
        # The same query tells whether this key was seen before (a retry).
        same_key = InteractionLog.objects.filter(
            labeler_id=assignment.user_id, idempotency_key=given.key
        )
        assignment.answered, assignment.round.state, seen = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(pk=assignment.pk)
            .annotate(seen=Exists(same_key))
            .values_list("answered", "round__state", "seen")
            .get()
        )
        if seen:
            previous = same_key.get()
            if previous.request_hash != given.request_hash:
                raise RoundConflict(
                    "This Idempotency-Key was already used for a different answer; send a new "
                    "key for a new answer."
                )
            answer = Answer.objects.select_related("round_image").get(pk=previous.answer_id)
            served = item_serve(assignment=assignment)
            return AnswerOutcome(log=previous, answer=answer, status="replayed", next=served)
        _require_open(assignment.round)
        _check_answer_fields(given)
        clean_events = events_clean(given.events)
        # The item with this labeler's serving of it, in one query.
        serving = _one(
            Serving.objects.select_related("round_image").filter(
                labeler_id=assignment.user_id,
                round_image__round_id=assignment.round_id,
                round_image__public_id=given.item,
            )
        )
        target = serving.round_image if serving is not None else None
        if target is None:
            target = _one(
                RoundImage.objects.filter(round_id=assignment.round_id, public_id=given.item)
            )
        is_current = target is not None and target.position == assignment.answered + 1
        is_previous = (
            target is not None
            and target.position == assignment.answered
            and assignment.round.allow_change_previous
        )
        if not (is_current or is_previous):
            raise RoundConflict(
                "This is not your current item"
                + (
                    " or the previous one, whose answer you may still change."
                    if assignment.round.allow_change_previous
                    else "."
                )
                + " Ask for the next item and answer that one."
            )
        if serving is None:
            raise RoundConflict("This item was never served to you; ask for the next item first.")
        if is_current:
            answer = _answer_new(
                assignment=assignment,
                item=serving.round_image,
                served_at=serving.served_at,
                given=given,
            )
            log_kind, window_start = LogKind.ANSWER, serving.served_at
        else:
            answer, window_start = _answer_change(
                assignment=assignment, serving=serving, given=given
            )
            log_kind = LogKind.CHANGE
        log = _log_create(
            assignment=assignment,
            answer=answer,
            kind=log_kind,
            window_start=window_start,
            given=given,
            events=clean_events,
        )
        served = item_serve(assignment=assignment, now=given.now)
    assert target is not None  # is_current or is_previous
    answer.round_image = target
    status = "created" if log_kind == LogKind.ANSWER else "changed"
    return AnswerOutcome(log=log, answer=answer, status=status, next=served)


def _log_create(
    *,
    assignment: Assignment,
    answer: Answer,
    kind: str,
    window_start: datetime,
    given: _Submission,
    events: list[dict[str, Any]],
) -> InteractionLog:
    """The submission's raw interaction log, processed into timing once the answer commits."""
    assert answer.answered_at is not None  # both writers set it
    log = InteractionLog.objects.create(
        answer=answer,
        labeler_id=assignment.user_id,
        idempotency_key=given.key,
        request_hash=given.request_hash,
        kind=kind,
        synset_id=given.wnid,
        picker=given.picker,
        flag=given.flag,
        window_start=window_start,
        answered_at=answer.answered_at,
        client_active_seconds=float(given.active_seconds),
        active_time=answer.active_time,
        idle_limit_seconds=assignment.round.idle_limit_seconds,
        events=events,
    )
    _schedule_timing(log.pk)
    if assignment.round.kind == RoundKind.TRAINING:
        from labeling.training.services import answer_stat_schedule  # training builds on rounds

        answer_stat_schedule(answer_id=answer.pk)
    return log


def _class_problem(wnid: str) -> str | None:
    """Why `wnid` cannot be an answer, or None for one of the 1000 classes."""
    # The class tree the API keeps in memory answers without a query; anything it does not
    # know as a class is looked up, so a tree loaded since then is seen.
    node = taxonomy_snapshot().get(wnid)
    if node is not None and node.is_class:
        return None
    found = Synset.objects.filter(wnid=wnid).values_list("class_index", flat=True)[:1]
    if not found:
        return f"Unknown wnid {wnid!r}."
    if found[0] is None:
        return f"{wnid} is not one of the 1000 ImageNet classes; choose a class."
    return None


def _check_answer_fields(given: _Submission) -> None:
    problems: dict[str, list[str]] = {}
    problem = _class_problem(given.wnid)
    if problem:
        problems["wnid"] = [problem]
    if given.picker not in ("", *Picker.values):
        problems["picker"] = [f"One of {', '.join(Picker.values)}."]
    if given.flag not in ("", *Flag.values):
        problems["flag"] = [f"One of {', '.join(Flag.values)}."]
    if len(given.note) > NOTE_MAX_LENGTH:
        problems["note"] = [f"At most {NOTE_MAX_LENGTH} characters."]
    active = given.active_seconds
    if not isinstance(active, int | float) or active != active or abs(active) == float("inf"):
        problems["active_seconds"] = ["A finite number of seconds."]
    if problems:
        raise ValidationError(problems)


def _answer_new(
    *, assignment: Assignment, item: RoundImage, served_at: datetime, given: _Submission
) -> Answer:
    # Moving the cursor only from where it was read serialises submissions even without a
    # lock taken before: a concurrent one waits for this row, then finds it moved.
    moved = Assignment.objects.filter(pk=assignment.pk, answered=assignment.answered).update(
        answered=F("answered") + 1
    )
    if not moved:
        raise _CursorMoved
    assignment.answered += 1
    now = max(given.now, served_at)
    return Answer.objects.create(
        round_image=item,
        labeler_id=assignment.user_id,
        synset_id=given.wnid,
        served_at=served_at,
        answered_at=now,
        active_time=_clamp(given.active_seconds, now - served_at),
        picker=given.picker,
        flag=given.flag,
        note=given.note,
        idempotency_key=given.key,
    )


def _answer_change(
    *, assignment: Assignment, serving: Serving, given: _Submission
) -> tuple[Answer, datetime]:
    answer = Answer.objects.select_for_update().get(
        round_image=serving.round_image, labeler_id=assignment.user_id
    )
    # Only answers imported from another tool lack their times, and those are never served here.
    assert answer.served_at and answer.answered_at and answer.active_time is not None
    # This submission's window starts when the item was shown again (or, if the page skipped
    # that, when it was last answered).
    window_start = max(serving.last_served_at, answer.answered_at)
    now = max(given.now, window_start)
    AnswerChange.objects.create(
        answer=answer,
        old_synset_id=answer.synset_id,
        new_synset_id=given.wnid,
        old_answered_at=answer.answered_at,
        old_active_time=answer.active_time,
        old_picker=answer.picker,
        old_flag=answer.flag,
        old_note=answer.note,
        changed_at=now,
    )
    added = _clamp(given.active_seconds, now - window_start)
    answer.synset_id = given.wnid
    answer.answered_at = now
    answer.active_time = min(answer.active_time + added, now - answer.served_at)
    answer.picker = given.picker
    answer.flag = given.flag
    answer.note = given.note
    answer.idempotency_key = given.key
    answer.change_count += 1
    answer.save(
        update_fields=[
            "synset",
            "answered_at",
            "active_time",
            "picker",
            "flag",
            "note",
            "idempotency_key",
            "change_count",
        ]
    )
    return answer, window_start


# --- Timing -----------------------------------------------------------------------------------


def _schedule_timing(log_id: int) -> None:
    from labeling.rounds.tasks import interaction_log_process_task

    # Robust: with the broker down the answer still commits; the sweep processes the log later.
    transaction.on_commit(lambda: interaction_log_process_task.delay(log_id), robust=True)


def interaction_log_process(*, log_id: int, now: datetime | None = None) -> AnswerTiming | None:
    """Turn a stored interaction log into its AnswerTiming row. Idempotent: a processed log is
    left alone; None if the log no longer exists."""
    with transaction.atomic():
        log = _one(InteractionLog.objects.select_for_update(of=("self",)).filter(pk=log_id))
        if log is None:
            return None
        if log.processed_at is not None:
            return _one(AnswerTiming.objects.filter(log=log))
        wall = max(log.answered_at - log.window_start, timedelta(0))
        wall_seconds = wall.total_seconds()
        measured = events_timing(
            log.events,
            wall_ms=wall // timedelta(milliseconds=1),
            idle_limit_ms=log.idle_limit_seconds * 1000,
        )
        counts = measured.counts

        def within(seconds: float) -> float:
            return min(max(seconds, 0.0), wall_seconds)

        # No row yet: it is written in the same transaction that marks the log processed.
        timing = AnswerTiming.objects.create(
            log=log,
            answer_id=log.answer_id,
            wall_seconds=wall_seconds,
            client_active_seconds=log.client_active_seconds,
            active_seconds=within(log.client_active_seconds),
            events_active_seconds=within(measured.active),
            hidden_seconds=within(measured.hidden),
            idle_seconds=within(measured.idle),
            first_interaction_seconds=measured.first_interaction,
            event_count=len(log.events),
            searches=counts["search"],
            nodes_opened=counts["node_open"],
            candidates_viewed=counts["candidate_view"],
            pins=counts["pin"],
            compares=counts["compare"],
            guide_opens=counts["guide_open"],
            zooms=counts["zoom"],
            picker=log.picker or measured.final_picker,
        )
        log.processed_at = now or timezone.now()
        log.save(update_fields=["processed_at"])
    return timing


def interaction_logs_sweep(
    *, older_than: timedelta = SWEEP_AGE, limit: int = SWEEP_BATCH, now: datetime | None = None
) -> int:
    """Process logs whose task never ran (broker or worker down when they were stored): those
    still unprocessed `older_than` after they were stored, oldest first. Returns how many."""
    now = now or timezone.now()
    log_ids = list(
        InteractionLog.objects.filter(processed_at__isnull=True, created_at__lt=now - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for log_id in log_ids:
        interaction_log_process(log_id=log_id)
    if log_ids:
        logger.info("timing sweep processed %d interaction logs left behind", len(log_ids))
    return len(log_ids)
