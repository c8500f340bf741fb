"""Review rounds for tests: model predictions to make candidates of, and a round of reviewers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth.models import User

from labeling.images.models import Image
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.review.services import review_round_create
from labeling.rounds.models import Assignment, Round, RoundKind
from labeling.taxonomy.models import Synset


def predict(image: Image, wnids_by_model: Mapping[str, Iterable[str]]) -> None:
    """Top-1 predictions: each named model predicts each of its wnids (rank 1)."""
    for model_name, wnids in wnids_by_model.items():
        model, _ = ClassifierModel.objects.get_or_create(name=model_name)
        for wnid in wnids:
            ModelPrediction.objects.create(
                model=model, image=image, synset=Synset.objects.get(wnid=wnid), rank=1
            )


def make_review_round(images: Iterable[Image], reviewers: Iterable[User], **options) -> Round:
    return review_round_create(
        name=options.pop("name", "Review 1"),
        kind=options.pop("kind", RoundKind.ANNOTATION_REVIEW),
        image_ids=[image.pk for image in images],
        reviewers=list(reviewers),
        **options,
    )


def assignment_of(round: Round, user: User) -> Assignment:
    return Assignment.objects.select_related("round").get(round=round, user=user)
