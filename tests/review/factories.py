"""Review rounds for tests: model predictions to make candidates of, and a round of reviewers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth.models import User
from django.db.models import F

from labeling.accounts.roles import Role
from labeling.images.models import Image
from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.review.models import RoundCandidate
from labeling.review.services import judgment_record, review_round_create
from labeling.rounds.models import Assignment, Round, RoundKind
from labeling.taxonomy.models import Synset
from tests.helpers import make_user
from tests.scoring.factories import ScoredRound


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


def make_judged_final_review(scored: ScoredRound) -> Round:
    """A final review of the scored round's first two val images: rev1 finds each original
    label correct, rev2 wrong (the first) and unclear (the second)."""
    reviewers = [make_user(name, Role.ANNOTATOR) for name in ("rev1", "rev2")]
    review = review_round_create(
        name="Final review",
        kind=RoundKind.FINAL_REVIEW,
        image_ids=[scored.images["v1"].pk, scored.images["v2"].pk],
        reviewers=reviewers,
        source_round=scored.round,
    )
    verdicts = {"rev1": ["correct", "correct"], "rev2": ["wrong", "unclear"]}
    originals = (
        RoundCandidate.objects.filter(
            round=review, candidate__synset__wnid=F("candidate__image__original_label_id")
        )
        .order_by("position")
        .values_list("public_id", flat=True)
    )
    for reviewer in reviewers:
        assignment = assignment_of(review, reviewer)
        for candidate, verdict in zip(originals, verdicts[reviewer.username], strict=True):
            judgment_record(
                assignment=assignment,
                candidate=candidate,
                verdict=verdict,
                idempotency_key=f"{reviewer.username}-{candidate}",
            )
    return review
