"""Writes for candidates and multi-labels. Every label change leaves a LabelChange row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection, transaction
from django.utils import timezone

from labeling.importing.batch import chunked
from labeling.importing.postgres import postgres_bulk_load
from labeling.review.models import Candidate, CandidateOrigin, ImageLabel, LabelChange, LabelState

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
