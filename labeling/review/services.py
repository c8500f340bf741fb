"""Writes for candidates and multi-labels (every label change leaves a LabelChange row), and for
review rounds: reviewers' judgments, added classes and flags, consensus and adjudication."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from labeling.audit.models import AuditAction
from labeling.audit.services import audit_record
from labeling.conflicts import StateConflict
from labeling.images.models import Image
from labeling.images.services import image_mark_problematic, images_mark_problematic
from labeling.importing.batch import chunked
from labeling.importing.postgres import postgres_bulk_load
from labeling.review.models import (
    Candidate,
    CandidateOrigin,
    ConsensusRule,
    Decision,
    ImageLabel,
    Judgment,
    LabelChange,
    LabelState,
    ReviewFlag,
    ReviewOutcome,
    ReviewRound,
    ReviewSubmission,
    RoundCandidate,
    Verdict,
)
from labeling.rounds.models import (
    IDEMPOTENCY_KEY_MAX_LENGTH,
    Answer,
    Assignment,
    Round,
    RoundImage,
    RoundKind,
    RoundState,
)
from labeling.rounds.services import (
    _KEY_RE as KEY_RE,
)
from labeling.rounds.services import (
    SEED_LIMIT,
    RoundConflict,
    ServedItem,
    item_serve,
    round_create,
    round_open,
)
from labeling.taxonomy.models import Synset
from labeling.taxonomy.selectors import classes_by_wnid

# Image ids per statement: well under SQLite's limit of 32,766 variables.
IMAGE_IDS_PER_STATEMENT = 5000


def candidates_sync_from_predictions(*, image_ids: Iterable[int]) -> int:
    """Make every (image, class) that models predicted a candidate, with its model count.

    Set-based: INSERT … SELECT … GROUP BY, upserting the count. Candidates added otherwise keep
    their origin; counts that are already right are not rewritten, so syncing again changes
    nothing. Returns how many candidates were added or changed.
    """
    image_ids = list(image_ids)
    if not image_ids:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _candidates_sync_postgres(image_ids, now)
    changed = 0
    with connection.cursor() as cursor:
        for chunk in chunked(image_ids, IMAGE_IDS_PER_STATEMENT):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"""
                INSERT INTO {CANDIDATES} (image_id, synset_id, model_count, added_by, created_at)
                {_COUNTS.format(images=f"IN ({placeholders})")}
                ON CONFLICT (image_id, synset_id) DO UPDATE SET model_count = excluded.model_count
                WHERE {CANDIDATES}.model_count <> excluded.model_count
                """,
                [
                    CandidateOrigin.MODEL.value,
                    connection.ops.adapt_datetimefield_value(now),
                    *chunk,
                ],
            )
            changed += max(cursor.rowcount, 0)
    return changed


CANDIDATES = Candidate._meta.db_table
# (image, class, models, origin, time) for the images given by {images}, from the predictions.
_COUNTS = (
    "SELECT image_id, synset_id, COUNT(DISTINCT model_id), %s, %s "
    "FROM predictions_modelprediction WHERE image_id {images} GROUP BY image_id, synset_id"
)
# A first sync of this many images or more loads the candidates in bulk (see below).
BULK_MIN_IMAGES = 10_000
CANDIDATES_PER_IMAGE = 4  # about 4.5 in the study


def _candidates_sync_postgres(image_ids: list[int], now) -> int:
    # The raw cursor: the image ids go as one array parameter; Django's debug cursor would
    # keep a copy of it.
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {CANDIDATES} WHERE image_id = ANY(%s))", [image_ids]
        )
        first_sync = not cursor.fetchone()[0]
        params = [CandidateOrigin.MODEL.value, now, image_ids]
        counts = _COUNTS.format(images="= ANY(%s)")
        insert = (
            f"INSERT INTO {CANDIDATES} (image_id, synset_id, model_count, added_by, created_at)"
        )
        if not first_sync:
            cursor.execute(
                f"{insert} {counts} ON CONFLICT (image_id, synset_id) DO UPDATE "
                f"SET model_count = excluded.model_count "
                f"WHERE {CANDIDATES}.model_count <> excluded.model_count",
                params,
            )
            return max(cursor.rowcount, 0)
        expected = len(image_ids) * CANDIDATES_PER_IMAGE
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {CANDIDATES} LIMIT %s) AS stored", [expected]
        )
        if len(image_ids) >= BULK_MIN_IMAGES and cursor.fetchone()[0] < expected:
            # Hundreds of thousands of new rows into a table holding fewer: without indexes and
            # per-row foreign-key triggers, then both made again (see postgres_bulk_load).
            with postgres_bulk_load(cursor, CANDIDATES):
                cursor.execute(f"{insert} {counts}", params)
                return cursor.rowcount
        cursor.execute(f"{insert} {counts}", params)
        return cursor.rowcount


def _candidates_add(*, pairs: Iterable[tuple[int, int]], added_by: str) -> None:
    """Add (image id, synset id) candidates that do not exist yet, then count their models."""
    pairs = list(pairs)
    Candidate.objects.bulk_create(
        [Candidate(image_id=image, synset_id=synset, added_by=added_by) for image, synset in pairs],
        batch_size=2000,
        ignore_conflicts=True,
    )
    candidates_sync_from_predictions(image_ids=sorted({image for image, _ in pairs}))


@transaction.atomic
def image_labels_replace(
    *,
    labels: Mapping[int, Mapping[int, str]],
    source: str,
    changed_by=None,
    candidate_origin: str = CandidateOrigin.IMPORT,
) -> dict[str, int]:
    """Set each given image's labels to exactly {synset id: state}; other images are untouched.

    Writes only what differs, with one LabelChange row per added, changed or removed label, and
    makes each newly labeled class a candidate (of `candidate_origin` if it is a new one).
    Returns counts: images changed and unchanged; labels added, changed and removed.
    """
    for wanted in labels.values():
        for state in wanted.values():
            if state not in LabelState.values:
                raise ValueError(f"unknown label state {state!r}")
    counts = {"images_changed": 0, "images_unchanged": 0, "added": 0, "changed": 0, "removed": 0}
    now = timezone.now()
    for image_chunk in chunked(sorted(labels), 2000):
        stored: dict[int, dict[int, ImageLabel]] = {image_id: {} for image_id in image_chunk}
        for row in ImageLabel.objects.filter(image_id__in=image_chunk):
            stored[row.image_id][row.synset_id] = row
        to_create: list[ImageLabel] = []
        to_update: list[ImageLabel] = []
        to_delete: list[int] = []
        changes: list[LabelChange] = []

        def record(label: ImageLabel, old: str, new: str, changes=changes) -> None:
            changes.append(
                LabelChange(
                    image_id=label.image_id,
                    synset_id=label.synset_id,
                    old_state=old,
                    new_state=new,
                    source=source,
                    changed_by=changed_by,
                )
            )

        for image_id in image_chunk:
            wanted, have = labels[image_id], stored[image_id]
            changes_before = len(changes)
            for synset_id, state in wanted.items():
                label = have.get(synset_id)
                if label is None:
                    label = ImageLabel(
                        image_id=image_id,
                        synset_id=synset_id,
                        state=state,
                        source=source,
                        updated_at=now,
                    )
                    to_create.append(label)
                    record(label, "", state)
                    counts["added"] += 1
                elif label.state != state:
                    record(label, label.state, state)
                    label.state, label.source, label.updated_at = state, source, now
                    to_update.append(label)
                    counts["changed"] += 1
            for synset_id, label in have.items():
                if synset_id not in wanted:
                    to_delete.append(label.pk)
                    record(label, label.state, "")
                    counts["removed"] += 1
            changed = len(changes) > changes_before
            counts["images_changed" if changed else "images_unchanged"] += 1
        ImageLabel.objects.bulk_create(to_create, batch_size=2000)
        ImageLabel.objects.bulk_update(to_update, ["state", "source", "updated_at"], batch_size=500)
        ImageLabel.objects.filter(pk__in=to_delete).delete()
        LabelChange.objects.bulk_create(changes, batch_size=2000)
        _candidates_add(
            pairs=[(label.image_id, label.synset_id) for label in to_create],
            added_by=candidate_origin,
        )
    return counts


# --- Review rounds ---------------------------------------------------------------------------

REVIEW_KINDS = (RoundKind.ANNOTATION_REVIEW, RoundKind.FINAL_REVIEW)
REASON_MAX_LENGTH = 2000


def review_round_create(
    *,
    name: str,
    kind: str,
    image_ids: Sequence[int],
    reviewers: Iterable[User],
    candidates: Mapping[int, Sequence[int]] | None = None,
    hide_model_counts: bool = False,
    consensus_rule: str = ConsensusRule.UNANIMOUS,
    source_round: Round | None = None,
    seed: int | None = None,
    created_by: User | None = None,
    open: bool = True,
) -> Round:
    """A review round of these images (in this order) and reviewers, open unless told not.

    `candidates` gives each image's classes (synset ids) to judge; without it an image's
    candidates are its original label, every class a model predicted and every class already a
    candidate. With `seed` each image's candidates are listed in a seeded random order (so the
    order says nothing about where a candidate came from); without, by model count, unless the
    round hides model counts: then a seed is drawn (the order would give the counts away). The
    seed is recorded on the round.
    """
    if kind not in REVIEW_KINDS:
        raise ValidationError({"kind": [f"A review round is one of {', '.join(REVIEW_KINDS)}."]})
    if consensus_rule not in ConsensusRule.values:
        raise ValidationError({"consensus_rule": [f"One of {', '.join(ConsensusRule.values)}."]})
    if seed is not None and not 0 <= seed < 2**63:
        raise ValidationError({"seed": ["The seed is a non-negative integer."]})
    if kind == RoundKind.FINAL_REVIEW:
        hide_model_counts = True  # blind: nothing may tell a model's candidate from a person's
    if hide_model_counts and seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    image_ids = list(image_ids)
    with transaction.atomic():
        round = round_create(
            name=name,
            kind=kind,
            image_ids=image_ids,
            shuffle=False,
            labelers=reviewers,
            created_by=created_by,
        )
        ReviewRound.objects.create(
            round=round,
            hide_model_counts=hide_model_counts,
            consensus_rule=consensus_rule,
            source_round=source_round,
            seed=seed,
        )
        if candidates is None:
            candidates = _image_candidates(image_ids)
        else:
            _candidates_add(
                pairs=[(i, s) for i, synsets in candidates.items() for s in synsets],
                added_by=CandidateOrigin.HUMAN,
            )
        _round_candidates_create(round=round, candidates=candidates, seed=seed)
        if open:
            round = round_open(round=round, by=created_by)
    return round


def _image_candidates(image_ids: list[int]) -> dict[int, list[int]]:
    """Original labels and model predictions made candidates; every candidate of each image."""
    originals = Image.objects.filter(pk__in=image_ids).values_list("pk", "original_label__id")
    _candidates_add(pairs=list(originals), added_by=CandidateOrigin.SEED)
    found: dict[int, list[int]] = {image_id: [] for image_id in image_ids}
    for chunk in chunked(image_ids, IMAGE_IDS_PER_STATEMENT):
        for image_id, synset_id in (
            Candidate.objects.filter(image_id__in=chunk)
            .order_by("image_id", "-model_count", "synset_id")
            .values_list("image_id", "synset_id")
        ):
            found[image_id].append(synset_id)
    return found


def _round_candidates_create(
    *, round: Round, candidates: Mapping[int, Sequence[int]], seed: int | None
) -> int:
    items = {
        item.image_id: item
        for item in RoundImage.objects.filter(round=round).only("pk", "image_id", "position")
    }
    stored: dict[tuple[int, int], int] = {}
    for chunk in chunked(sorted(candidates), IMAGE_IDS_PER_STATEMENT):
        for pk, image_id, synset_id in Candidate.objects.filter(image_id__in=chunk).values_list(
            "pk", "image_id", "synset_id"
        ):
            stored[(image_id, synset_id)] = pk
    rng = random.Random(seed)
    rows = []
    for image_id in sorted(candidates):
        synsets = list(dict.fromkeys(candidates[image_id]))
        if seed is not None:
            rng.shuffle(synsets)
        item = items[image_id]
        rows += [
            RoundCandidate(
                round=round,
                round_image=item,
                candidate_id=stored[(image_id, synset_id)],
                position=item.position,
                order=order,
            )
            for order, synset_id in enumerate(synsets, start=1)
        ]
    RoundCandidate.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def final_review_create(
    *,
    source_round: Round,
    name: str,
    reviewers: Iterable[User],
    seed: int | None = None,
    models_per_image: int = 2,
    consensus_rule: str = ConsensusRule.UNANIMOUS,
    created_by: User | None = None,
) -> Round:
    """A blind final review of an evaluation round's answers.

    Every class a labeler answered for an image that has no label for it yet becomes a
    candidate; `models_per_image` classes models predicted for the image (drawn with `seed`) are
    mixed in, and each image's candidates are listed in a seeded order. Model counts are hidden,
    so nothing a reviewer sees tells a person's candidate from a model's. Images whose answers
    are all judged already are left out. Without a seed one is drawn; either way it is recorded
    on the round (`round.review.seed`): the same answers, predictions and seed give the same
    candidates in the same order.
    """
    if source_round.kind != RoundKind.EVALUATION:
        raise ValidationError("A final review judges the answers of an evaluation round.")
    if models_per_image < 1:
        raise ValidationError({"models_per_image": ["At least one model prediction per image."]})
    if seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    elif not 0 <= seed < 2**63:
        raise ValidationError({"seed": ["The seed is a non-negative integer."]})
    answered: dict[int, set[int]] = defaultdict(set)
    for image_id, synset_id in (
        Answer.objects.filter(round_image__round=source_round)
        .values_list("round_image__image_id", "synset__id")
        .distinct()
    ):
        answered[image_id].add(synset_id)
    for image_id, synset_id in ImageLabel.objects.filter(image_id__in=list(answered)).values_list(
        "image_id", "synset_id"
    ):
        answered[image_id].discard(synset_id)
    image_ids = sorted(image_id for image_id, synsets in answered.items() if synsets)
    if not image_ids:
        raise ValidationError(f"Every answer of {source_round.name} is judged already.")
    candidates_sync_from_predictions(image_ids=image_ids)
    predicted: dict[int, list[int]] = defaultdict(list)
    for image_id, synset_id in (
        Candidate.objects.filter(image_id__in=image_ids, model_count__gt=0)
        .order_by("image_id", "synset_id")
        .values_list("image_id", "synset_id")
    ):
        predicted[image_id].append(synset_id)
    rng = random.Random(seed)
    candidates = {}
    for image_id in image_ids:
        humans = sorted(answered[image_id])
        others = [s for s in predicted[image_id] if s not in answered[image_id]]
        drawn = rng.sample(others, min(models_per_image, len(others)))
        candidates[image_id] = humans + drawn
    return review_round_create(
        name=name,
        kind=RoundKind.FINAL_REVIEW,
        image_ids=image_ids,
        reviewers=reviewers,
        candidates=candidates,
        hide_model_counts=True,
        consensus_rule=consensus_rule,
        source_round=source_round,
        seed=seed,  # the order is shuffled by a generator of its own from the same seed
        created_by=created_by,
    )


@dataclass(frozen=True)
class ReviewOutcomeOfRequest:
    status: str  # "created" or "replayed"
    result: dict[str, Any]
    next: ServedItem


def _review_key_check(idempotency_key: Any) -> str:
    if not isinstance(idempotency_key, str) or not KEY_RE.match(idempotency_key):
        raise ValidationError(
            {
                "idempotency_key": [
                    f"Send an Idempotency-Key of 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable "
                    "ASCII characters."
                ]
            }
        )
    return idempotency_key


def _review_request(
    *,
    assignment: Assignment,
    idempotency_key: str,
    request: dict[str, Any],
    apply: Callable[[Assignment, RoundImage], dict[str, Any]],
    item_of: Callable[[], RoundImage | None],
) -> ReviewOutcomeOfRequest:
    """Apply one judgments request once: a retry with the same key and body gets the first
    result back; the same key with another body is a conflict. Serves the next item after."""
    if assignment.round.kind not in REVIEW_KINDS:
        raise RoundConflict("This round is not a review round; answer its items instead.")
    request_hash = hashlib.sha256(
        json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    with transaction.atomic():
        # One request per reviewer and round at a time: their cursor must not move under us.
        assignment.answered, assignment.round.state = (
            Assignment.objects.select_for_update(of=("self",))
            .filter(pk=assignment.pk)
            .values_list("answered", "round__state")
            .get()
        )
        previous = ReviewSubmission.objects.filter(
            reviewer_id=assignment.user_id, idempotency_key=idempotency_key
        ).first()
        if previous is not None:
            if previous.request_hash != request_hash:
                raise RoundConflict(
                    "This Idempotency-Key was already used for a different request; send a new "
                    "key for a new request."
                )
            return ReviewOutcomeOfRequest(
                "replayed", previous.result, item_serve(assignment=assignment)
            )
        if assignment.round.state != RoundState.OPEN:
            raise RoundConflict(f"The round is {assignment.round.state}, not open.")
        item = item_of()
        if item is None or item.position > assignment.answered + 1:
            raise RoundConflict(
                "This is not one of your items: judge the image you are shown (or one you "
                "already judged)."
            )
        result = apply(assignment, item)
        ReviewSubmission.objects.create(
            reviewer_id=assignment.user_id,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
            round_id=assignment.round_id,
            result=result,
        )
        _cursor_advance(assignment)
        served = item_serve(assignment=assignment)
    return ReviewOutcomeOfRequest("created", result, served)


def _cursor_advance(assignment: Assignment) -> None:
    """Set the reviewer's count of done images to the first image, from their current one on,
    with a candidate they have not judged yet (an image is done when all its candidates are)."""
    unjudged = (
        RoundCandidate.objects.filter(
            round_id=assignment.round_id, position__gt=assignment.answered
        )
        .exclude(
            Exists(
                Judgment.objects.filter(
                    round_candidate=OuterRef("pk"), reviewer_id=assignment.user_id
                )
            )
        )
        .order_by("position")
        .values_list("position", flat=True)[:1]
    )
    first = next(iter(unjudged), None)
    done = assignment.round.image_count if first is None else first - 1
    if done != assignment.answered:
        Assignment.objects.filter(pk=assignment.pk).update(answered=done)
        assignment.answered = done


def _judgment_write(
    *, round_candidate: RoundCandidate, reviewer_id: int, verdict: str, key: str
) -> None:
    Judgment.objects.update_or_create(
        round_candidate=round_candidate,
        reviewer_id=reviewer_id,
        defaults={"verdict": verdict, "idempotency_key": key},
    )


def judgment_record(
    *, assignment: Assignment, candidate: str, verdict: str, idempotency_key: str | None
) -> ReviewOutcomeOfRequest:
    """The reviewer's verdict on a candidate (by its opaque id) of their current image or of
    one they already judged; a new verdict replaces their earlier one."""
    key = _review_key_check(idempotency_key)
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": [f"One of {', '.join(Verdict.values)}."]})
    found: list[RoundCandidate] = []

    def item_of() -> RoundImage | None:
        rc = (
            RoundCandidate.objects.select_related("round_image")
            .filter(round_id=assignment.round_id, public_id=candidate)
            .first()
        )
        if rc is None:
            return None
        found.append(rc)
        return rc.round_image

    def apply(assignment: Assignment, item: RoundImage) -> dict[str, Any]:
        _judgment_write(
            round_candidate=found[0],
            reviewer_id=assignment.user_id,
            verdict=verdict,
            key=key,
        )
        return {"item": item.public_id, "candidate": candidate, "verdict": verdict}

    return _review_request(
        assignment=assignment,
        idempotency_key=key,
        request={"candidate": candidate, "verdict": verdict},
        apply=apply,
        item_of=item_of,
    )


def _item_of(assignment: Assignment, item: str) -> Callable[[], RoundImage | None]:
    def find() -> RoundImage | None:
        return RoundImage.objects.filter(round_id=assignment.round_id, public_id=item).first()

    return find


def candidate_add(
    *, assignment: Assignment, item: str, wnid: str, idempotency_key: str | None
) -> ReviewOutcomeOfRequest:
    """The reviewer adds a class to an image (judged correct by them): it becomes a candidate of
    the image for every reviewer of the round, so those already past the image come back to it."""
    key = _review_key_check(idempotency_key)
    synset = classes_by_wnid(wnids=[wnid]).get(wnid)
    if synset is None:
        raise ValidationError({"add_wnid": [f"{wnid!r} is not one of the 1000 classes."]})

    def apply(assignment: Assignment, target: RoundImage) -> dict[str, Any]:
        _candidates_add(pairs=[(target.image_id, synset.pk)], added_by=CandidateOrigin.HUMAN)
        stored = Candidate.objects.get(image_id=target.image_id, synset=synset)
        round_candidate = RoundCandidate.objects.filter(
            round_image=target, candidate=stored
        ).first()
        if round_candidate is None:
            last = RoundCandidate.objects.filter(round_image=target).aggregate(n=Max("order"))
            round_candidate = RoundCandidate.objects.create(
                round_id=assignment.round_id,
                round_image=target,
                candidate=stored,
                position=target.position,
                order=(last["n"] or 0) + 1,
                added_by_id=assignment.user_id,
            )
            # Everyone else has a new candidate to judge on this image.
            Assignment.objects.filter(
                round_id=assignment.round_id, answered__gte=target.position
            ).exclude(pk=assignment.pk).update(answered=target.position - 1)
        _judgment_write(
            round_candidate=round_candidate,
            reviewer_id=assignment.user_id,
            verdict=Verdict.CORRECT,
            key=key,
        )
        return {
            "item": item,
            "candidate": round_candidate.public_id,
            "verdict": Verdict.CORRECT,
            "wnid": wnid,
            "name": synset.display_name,
        }

    return _review_request(
        assignment=assignment,
        idempotency_key=key,
        request={"item": item, "add_wnid": wnid},
        apply=apply,
        item_of=_item_of(assignment, item),
    )


def review_flag_record(
    *, assignment: Assignment, item: str, reason: str, idempotency_key: str | None
) -> ReviewOutcomeOfRequest:
    """The reviewer marks an image problematic, saying why (a new reason replaces theirs)."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"problematic": [f"Say why the image is problematic (1 to {REASON_MAX_LENGTH})."]}
        )

    def apply(assignment: Assignment, target: RoundImage) -> dict[str, Any]:
        ReviewFlag.objects.update_or_create(
            round_image=target, reviewer_id=assignment.user_id, defaults={"reason": reason}
        )
        return {"item": item, "problematic": reason}

    return _review_request(
        assignment=assignment,
        idempotency_key=_review_key_check(idempotency_key),
        request={"item": item, "problematic": reason},
        apply=apply,
        item_of=_item_of(assignment, item),
    )


# --- Consensus and adjudication ----------------------------------------------------------------


def consensus_of(verdicts: Sequence[str], *, rule: str) -> str | None:
    """The label the rule makes of these verdicts (skips left out), or None: adjudication."""
    counted = Counter(v for v in verdicts if v != Verdict.SKIP)
    if not counted:
        return None
    verdict, n = counted.most_common(1)[0]
    if rule == ConsensusRule.UNANIMOUS:
        return verdict if len(counted) == 1 else None
    return verdict if n * 2 > sum(counted.values()) else None


def review_consensus_apply(*, round: Round, by: User | None = None) -> dict[str, int]:
    """Decide every candidate every reviewer has judged by the round's rule; then set the labels
    of each image whose candidates are all decided. Returns counts: decided, to adjudicate,
    images labeled. Running it again changes nothing."""
    settings_ = ReviewRound.objects.get(round=round)
    reviewers = set(Assignment.objects.filter(round=round).values_list("user_id", flat=True))
    verdicts: dict[int, list[str]] = defaultdict(list)
    for rc_id, verdict in (
        Judgment.objects.filter(
            round_candidate__round=round, round_candidate__decision__isnull=True
        )
        # An image already settled (an adjudicator marked it problematic) is left alone.
        .exclude(
            round_candidate__round_image__image_id__in=ReviewOutcome.objects.filter(
                round=round
            ).values("image_id")
        )
        .values_list("round_candidate_id", "verdict")
    ):
        verdicts[rc_id].append(verdict)
    decisions, queued = [], 0
    for rc_id, given in verdicts.items():
        if len(given) < len(reviewers):
            continue  # not every reviewer has judged it yet
        state = consensus_of(given, rule=settings_.consensus_rule)
        if state is None:
            queued += 1
        else:
            decisions.append(Decision(round_candidate_id=rc_id, state=state, how="consensus"))
    with transaction.atomic():
        Decision.objects.bulk_create(decisions, batch_size=2000, ignore_conflicts=True)
        labeled = _outcomes_apply(
            round=round, source=f"review:{round.pk} consensus ({settings_.consensus_rule})", by=by
        )
    return {"decided": len(decisions), "adjudication": queued, "images_labeled": labeled}


def adjudication_decide(
    *, round_candidate: RoundCandidate, state: str, by: User, note: str = ""
) -> Decision:
    """An admin decides a candidate the rule left open (or overrides a decision not yet applied
    to the image's labels); the image's labels are set once all its candidates are decided."""
    if state not in LabelState.values:
        raise ValidationError({"state": [f"One of {', '.join(LabelState.values)}."]})
    note = note.strip()
    with transaction.atomic():
        if ReviewOutcome.objects.filter(
            round_id=round_candidate.round_id, image_id=round_candidate.candidate.image_id
        ).exists():
            raise StateConflict("This image's labels were already set by this round.")
        decision, _ = Decision.objects.update_or_create(
            round_candidate=round_candidate,
            defaults={"state": state, "how": "adjudication", "decided_by": by, "note": note},
        )
        audit_record(
            actor=by,
            action=AuditAction.ADJUDICATED,
            target=decision,
            details={
                "round": round_candidate.round_id,
                "image": round_candidate.candidate.image_id,
                "wnid": round_candidate.candidate.synset_id,
                "state": state,
                "note": note,
            },
        )
        why = f"review:{round_candidate.round_id} adjudication by {by.get_username()}"
        _outcomes_apply(
            round=round_candidate.round,
            source=(f"{why}: {note}" if note else why)[:255],
            by=by,
            image_ids=[round_candidate.candidate.image_id],
        )
    return decision


def adjudication_mark_problematic(
    *, round_image: RoundImage, reason: str, by: User
) -> ReviewOutcome:
    """An admin settles an image of a review round by marking it problematic, saying why,
    instead of deciding its candidates: its labels stay as they were, the image is marked
    problematic (so every score leaves it out) and nothing of it waits for adjudication any
    more. The round's outcome for the image and the audit log record who did it and why."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": [f"Say why the image is problematic (1 to {REASON_MAX_LENGTH} characters)."]}
        )
    round = round_image.round
    if round.kind not in REVIEW_KINDS:
        raise ValidationError("Only an image of a review round is adjudicated.")
    with transaction.atomic():
        image = Image.objects.select_for_update().get(pk=round_image.image_id)
        if ReviewOutcome.objects.filter(round=round, image=image).exists():
            raise StateConflict("This image's labels were already set by this round.")
        correct = sorted(
            ImageLabel.objects.filter(image=image, state=LabelState.CORRECT).values_list(
                "synset__wnid", flat=True
            )
        )
        outcome = ReviewOutcome.objects.create(
            round=round,
            image=image,
            correct_before=correct,
            correct_after=correct,
            problematic_reason=reason,
        )
        image_mark_problematic(
            image=image,
            reason=f"review:{round.pk} adjudication by {by.get_username()}: {reason}",
        )
        audit_record(
            actor=by,
            action=AuditAction.ADJUDICATED_PROBLEMATIC,
            target=image,
            details={"round": round.pk, "item": round_image.public_id, "reason": reason},
        )
    return outcome


def _outcomes_apply(
    *,
    round: Round,
    source: str,
    by: User | None,
    image_ids: Sequence[int] | None = None,
) -> int:
    """Set the labels of the round's images whose candidates are all decided and not yet
    applied: each decided class gets its decided state, other labels stay. Records the correct
    classes before and after (ReviewOutcome) and marks images every reviewer flagged."""
    rows = RoundCandidate.objects.filter(round=round).exclude(
        round_image__image_id__in=ReviewOutcome.objects.filter(round=round).values("image_id")
    )
    if image_ids is not None:
        rows = rows.filter(round_image__image_id__in=image_ids)
    decided: dict[int, dict[int, str]] = defaultdict(dict)
    open_images: set[int] = set()
    for image_id, synset_id, state in rows.values_list(
        "round_image__image_id", "candidate__synset_id", "decision__state"
    ):
        if state is None:
            open_images.add(image_id)
        else:
            decided[image_id][synset_id] = state
    ready = sorted(set(decided) - open_images)
    if not ready:
        return 0
    wnids = dict(
        Synset.objects.filter(
            pk__in={s for i in ready for s in decided[i]}
            | set(ImageLabel.objects.filter(image_id__in=ready).values_list("synset_id", flat=True))
        ).values_list("pk", "wnid")
    )
    current: dict[int, dict[int, str]] = {image_id: {} for image_id in ready}
    for image_id, synset_id, state in ImageLabel.objects.filter(image_id__in=ready).values_list(
        "image_id", "synset_id", "state"
    ):
        current[image_id][synset_id] = state
    wanted = {image_id: {**current[image_id], **decided[image_id]} for image_id in ready}

    def correct(labels: Mapping[int, str]) -> list[str]:
        return sorted(wnids[s] for s, state in labels.items() if state == LabelState.CORRECT)

    image_labels_replace(
        labels=wanted, source=source, changed_by=by, candidate_origin=CandidateOrigin.HUMAN
    )
    ReviewOutcome.objects.bulk_create(
        [
            ReviewOutcome(
                round=round,
                image_id=image_id,
                correct_before=correct(current[image_id]),
                correct_after=correct(wanted[image_id]),
            )
            for image_id in ready
        ],
        batch_size=2000,
    )
    reviewer_count = Assignment.objects.filter(round=round).count()
    reasons: dict[int, list[str]] = defaultdict(list)
    for image_id, reason in ReviewFlag.objects.filter(
        round_image__round=round, round_image__image_id__in=ready
    ).values_list("round_image__image_id", "reason"):
        reasons[image_id].append(reason)
    for image_id, given in reasons.items():
        if len(given) >= reviewer_count:
            images_mark_problematic(image_ids=[image_id], reason="; ".join(sorted(given)))
    return len(ready)
