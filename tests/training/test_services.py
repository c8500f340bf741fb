"""Building training rounds from subtrees, classes and sources; requests; review comments."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from labeling.rounds.models import RoundImage, RoundKind, RoundState
from labeling.training.models import RequestState
from labeling.training.services import (
    review_comment_add,
    training_request_create,
    training_request_fulfil,
    training_round_create,
)
from tests.rounds.factories import make_round
from tests.training.conftest import CHIHUAHUA, LAPTOP, NORFOLK, TERRIER, TERRIERS

pytestmark = pytest.mark.django_db


def labels(round) -> set[str]:
    return set(
        RoundImage.objects.filter(round=round).values_list("image__original_label__wnid", flat=True)
    )


def test_a_round_under_the_terrier_subtree_holds_only_terrier_images(labeled, annotator):
    round = training_round_create(
        name="Terriers", under=[TERRIER], count=9, seed=3, labelers=[annotator]
    )
    assert round.kind == RoundKind.TRAINING and round.state == RoundState.OPEN
    assert round.image_count == 9 and labels(round) == set(TERRIERS)
    assert round.seed == 3 and not round.allow_change_previous


def test_the_same_pool_and_seed_draw_the_same_images_in_the_same_order(labeled):
    def drawn(name: str) -> list[str]:
        round = training_round_create(name=name, under=[TERRIER], count=4, seed=7)
        return list(
            RoundImage.objects.filter(round=round)
            .order_by("position")
            .values_list("image__original_name", flat=True)
        )

    assert drawn("a") == drawn("b")


def test_subtrees_and_explicit_classes_combine(labeled):
    round = training_round_create(
        name="Mixed", under=[TERRIER], classes=[LAPTOP, CHIHUAHUA], count=15, seed=1
    )
    assert labels(round) == {*TERRIERS, LAPTOP, CHIHUAHUA}


def test_images_of_evaluation_rounds_and_other_sources_are_never_drawn(labeled):
    make_round(labeled[NORFOLK][:2], kind=RoundKind.EVALUATION)
    round = training_round_create(name="Norfolk", classes=[NORFOLK], count=1, seed=0)
    assert list(RoundImage.objects.filter(round=round).values_list("image", flat=True)) == [
        labeled[NORFOLK][2].pk
    ]
    with pytest.raises(ValidationError, match="Only 1 image"):
        training_round_create(name="more", classes=[NORFOLK], count=2, seed=0)
    with pytest.raises(ValidationError, match="Only 0 image"):
        training_round_create(
            name="v2", classes=[NORFOLK], sources=["imagenetv2-matched-frequency"], count=1
        )


def test_unknown_nodes_classes_and_sources_are_all_named(labeled):
    with pytest.raises(ValidationError) as refused:
        training_round_create(
            name="x",
            under=["n99999999"],
            classes=[TERRIER],
            sources=["nowhere"],
            count=1,
        )
    message = " ".join(refused.value.messages)
    assert "n99999999" in message and "not a class" in message and "nowhere" in message


def test_a_request_becomes_a_round_for_its_labeler_in_one_step(labeled, annotator, study_admin):
    request = training_request_create(labeler=annotator, wnids=[TERRIER], note="terriers, please")
    round = training_request_fulfil(request=request, count=5, seed=2, created_by=study_admin)
    request.refresh_from_db()
    assert (request.state, request.round) == (RequestState.FULFILLED, round)
    assert labels(round) <= set(TERRIERS) and round.assignments.get().user == annotator
    with pytest.raises(ValidationError, match="no longer open"):
        training_request_fulfil(request=request, count=5)


def test_a_request_names_known_classes_or_nodes(tree, annotator):
    with pytest.raises(ValidationError, match="n99999999"):
        training_request_create(labeler=annotator, wnids=["n99999999"])
    with pytest.raises(ValidationError, match="at least one"):
        training_request_create(labeler=annotator, wnids=[" "])


def test_review_comments_are_for_training_rounds_only(labeled, annotator):
    training = training_round_create(name="T", classes=[NORFOLK], count=1, seed=0)
    evaluation = make_round(labeled[LAPTOP][:1], kind=RoundKind.EVALUATION)
    item = RoundImage.objects.get(round=training)
    assert review_comment_add(round_image=item, author=annotator, text=" ears! ").text == "ears!"
    with pytest.raises(ValidationError):
        review_comment_add(round_image=item, author=annotator, text="  ")
    with pytest.raises(ValidationError, match="training rounds"):
        review_comment_add(
            round_image=RoundImage.objects.get(round=evaluation), author=annotator, text="hm"
        )
