from __future__ import annotations

import pytest
from django.core.management import call_command
from scipy.stats import beta

from labeling.research.selectors import labeler_pseudonym
from labeling.scoring.selectors import round_matrices, round_scores
from tests.scoring.factories import make_scored_round, wnid

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(imagenet_classes):
    return make_scored_round()


def counts(scores: dict, name: str, source: str) -> dict[str, tuple[int, int]]:
    participant = next(p for p in scores["participants"] if p["name"] == name)
    return {
        subset: (cell["correct"], cell["total"])
        for subset, cell in participant["scores"][source].items()
    }


def test_participants_are_the_labelers_then_the_models_with_predictions_on_the_round(scored):
    scores = round_scores(round=scored.round)
    alice, bob = (labeler_pseudonym(scored.labelers[n].pk) for n in ("alice", "bob"))
    assert scores["round"] == scored.round.pk
    assert [(p["name"], p["kind"]) for p in scores["participants"]] == [
        (alice, "human"),
        (bob, "human"),
        ("resnet50", "model"),
    ]


def test_a_human_scores_on_each_source_and_subset(scored):
    scores = round_scores(round=scored.round)
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    assert counts(scores, alice, "imagenet-val") == {
        "all": (3, 4),
        "without_dogs": (3, 3),
        "objects_only": (2, 2),
        "fast": (3, 3),
    }
    assert counts(scores, alice, "imagenetv2-matched-frequency") == {
        "all": (2, 3),
        "without_dogs": (1, 2),
        "objects_only": (1, 2),
        "fast": (1, 2),
    }


def test_an_unclear_class_counts_as_wrong_and_unanswered_images_are_not_counted(scored):
    scores = round_scores(round=scored.round)
    bob = labeler_pseudonym(scored.labelers["bob"].pk)
    assert counts(scores, bob, "imagenet-val")["all"] == (1, 2)
    assert counts(scores, bob, "imagenetv2-matched-frequency")["all"] == (0, 0)


def test_models_are_scored_on_their_top1_prediction(scored):
    scores = round_scores(round=scored.round)
    assert counts(scores, "resnet50", "imagenet-val")["all"] == (3, 4)
    assert counts(scores, "resnet50", "imagenetv2-matched-frequency")["all"] == (2, 3)


def test_the_fast_threshold_is_an_option_and_inclusive(scored):
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    assert counts(round_scores(round=scored.round, fast_threshold=60), alice, "imagenet-val")[
        "fast"
    ] == (3, 3)
    assert counts(round_scores(round=scored.round, fast_threshold=59), alice, "imagenet-val")[
        "fast"
    ] == (2, 2)


def test_intervals_are_the_beta_quantiles(scored):
    scores = round_scores(round=scored.round)
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    participant = next(p for p in scores["participants"] if p["name"] == alice)
    cell = participant["scores"]["imagenet-val"]["all"]
    assert cell["accuracy"] == pytest.approx(0.75)
    assert cell["ci_low"] == pytest.approx(beta.ppf(0.025, 3, 2))
    assert cell["ci_high"] == pytest.approx(beta.ppf(0.975, 4, 1))


def test_problematic_images_are_left_out(scored):
    matrices = round_matrices(round=scored.round)
    assert matrices.images.problematic.sum() == 1
    assert matrices.images.ids is not None
    assert (
        matrices.images.ids[matrices.images.problematic.argmax()] == "ILSVRC2012_val_00000005.JPEG"
    )


def test_imported_human_predictions_are_scored_like_answers_given_here(scored, tmp_path):
    path = tmp_path / "humans.csv"
    path.write_text(
        "image,labeler,wnid\n"
        f"ILSVRC2012_val_00000001.JPEG,Human E,{wnid(0)}\n"
        f"ILSVRC2012_val_00000003.JPEG,Human E,{wnid(1)}\n"
        f"{1:040x},Human E,{wnid(5)}\n"
    )
    call_command("import_human_predictions", str(path), "--round", str(scored.round.pk))
    scores = round_scores(round=scored.round)
    imported = next(
        p
        for p in scores["participants"]
        if p["name"] not in {labeler_pseudonym(u.pk) for u in scored.labelers.values()}
        and p["kind"] == "human"
    )
    assert counts(scores, imported["name"], "imagenet-val")["all"] == (2, 2)
    assert counts(scores, imported["name"], "imagenetv2-matched-frequency")["all"] == (0, 1)
