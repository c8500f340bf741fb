"""The scoring core's inputs built from the database: a round's images with their final labels,
its labelers' answers and the models' top-1 predictions on the same images.

This is the Django side of the scoring package; the core modules never import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.research.selectors import labeler_pseudonym
from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import Answer, Round, RoundImage
from labeling.scoring.data import HUMAN, MODEL, NO_ANSWER, ImageSet, Participants
from labeling.scoring.evaluation import Evaluation
from labeling.scoring.grading import FAST_SECONDS
from labeling.taxonomy.models import ClassGroup, Synset


@dataclass(frozen=True)
class RoundMatrices:
    """A round's scoring inputs, with the database ids behind each row and column."""

    images: ImageSet
    participants: Participants
    image_ids: np.ndarray
    dog_classes: np.ndarray
    object_classes: np.ndarray


def _class_indices() -> tuple[dict[str, int], dict[int, int]]:
    """Class index by wnid and by synset id."""
    rows = Synset.objects.classes().values_list("pk", "wnid", "class_index")
    by_wnid: dict[str, int] = {}
    by_id: dict[int, int] = {}
    for pk, wnid, index in rows:
        assert index is not None  # classes() keeps only synsets with a class index
        by_wnid[wnid] = index
        by_id[pk] = index
    return by_wnid, by_id


def _group_classes(group: str) -> np.ndarray:
    return np.fromiter(
        Synset.objects.classes().filter(group=group).values_list("class_index", flat=True),
        dtype=np.int64,
    )


def round_matrices(*, round: Round) -> RoundMatrices:
    """The round's images (in position order) with their correct and unclear sets from the final
    labels, and one participant per labeler who answered (named by `labeler_pseudonym`) and per
    model with a top-1 prediction on any of the images."""
    by_wnid, by_synset = _class_indices()
    items = list(
        RoundImage.objects.filter(round=round)
        .order_by("position")
        .values_list(
            "image_id",
            "image__source__slug",
            "image__original_label__wnid",
            "image__problematic",
            "image__original_name",
        )
    )
    image_ids = np.array([item[0] for item in items], dtype=np.int64)
    column = {image_id: n for n, image_id in enumerate(image_ids.tolist())}
    n_images = len(items)

    correct: list[set[int]] = [set() for _ in range(n_images)]
    unclear: list[set[int]] = [set() for _ in range(n_images)]
    labels = ImageLabel.objects.filter(
        image__round_items__round=round, state__in=[LabelState.CORRECT, LabelState.UNCLEAR]
    ).values_list("image_id", "synset_id", "state")
    for image_id, synset_id, state in labels.iterator(chunk_size=5000):
        index = by_synset.get(synset_id)
        if index is not None:
            (correct if state == LabelState.CORRECT else unclear)[column[image_id]].add(index)
    images = ImageSet.build(
        sources=[item[1] for item in items],
        labels=[by_wnid[item[2]] for item in items],
        correct=correct,
        unclear=unclear,
        problematic=[item[3] for item in items],
        ids=[item[4] for item in items],
    )

    answers = (
        Answer.objects.filter(round_image__round=round)
        .order_by("labeler_id")
        .values_list("labeler_id", "round_image__image_id", "synset__wnid", "active_time")
    )
    labelers: dict[int, int] = {}
    human_cells: list[tuple[int, int, int, float]] = []
    for labeler_id, image_id, wnid, active in answers.iterator(chunk_size=5000):
        row = labelers.setdefault(labeler_id, len(labelers))
        seconds = np.nan if active is None else active.total_seconds()
        human_cells.append((row, column[image_id], by_wnid[wnid], seconds))

    predictions = ModelPrediction.objects.filter(
        image__round_items__round=round, rank=1
    ).values_list("model_id", "image_id", "synset_id")
    models: dict[int, int] = {}
    model_cells: list[tuple[int, int, int]] = []
    for model_id, image_id, synset_id in predictions.iterator(chunk_size=5000):
        row = models.setdefault(model_id, len(models))
        model_cells.append((row, column[image_id], by_synset[synset_id]))
    model_names = dict(ClassifierModel.objects.filter(pk__in=models).values_list("pk", "name"))
    model_order = sorted(models, key=lambda pk: model_names[pk])
    human_order = sorted(labelers)

    n_humans = len(labelers)
    classes = np.full((n_humans + len(models), n_images), NO_ANSWER, dtype=np.int32)
    seconds_matrix = np.full(classes.shape, np.nan)
    human_row = {labelers[pk]: n for n, pk in enumerate(human_order)}
    for row, col, index, seconds in human_cells:
        classes[human_row[row], col] = index
        seconds_matrix[human_row[row], col] = seconds
    model_row = {models[pk]: n_humans + n for n, pk in enumerate(model_order)}
    for row, col, index in model_cells:
        classes[model_row[row], col] = index
    participants = Participants(
        names=(
            *(labeler_pseudonym(pk) for pk in human_order),
            *(model_names[pk] for pk in model_order),
        ),
        kinds=(HUMAN,) * n_humans + (MODEL,) * len(models),
        predictions=classes,
        active_seconds=seconds_matrix,
    )
    return RoundMatrices(
        images=images,
        participants=participants,
        image_ids=image_ids,
        dog_classes=_group_classes(ClassGroup.DOG),
        object_classes=_group_classes(ClassGroup.OBJECT),
    )


def round_evaluation(
    *, round: Round, fast_threshold: float = FAST_SECONDS, unclear: str = "wrong"
) -> Evaluation:
    """The round's scoring, every subset included (`fast`: median human active seconds at most
    `fast_threshold`)."""
    matrices = round_matrices(round=round)
    return Evaluation(
        matrices.images,
        matrices.participants,
        dog_classes=matrices.dog_classes,
        object_classes=matrices.object_classes,
        fast_threshold=fast_threshold,
        unclear=unclear,
    )


def round_scores(*, round: Round, fast_threshold: float = FAST_SECONDS) -> dict[str, Any]:
    """The scores JSON of `manage.py score` and `GET /api/rounds/R/scores/`."""
    return {
        "round": round.pk,
        **round_evaluation(round=round, fast_threshold=fast_threshold).results(),
    }
