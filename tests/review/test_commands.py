"""create_review_round, create_final_review, review_consensus and review_report."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from labeling.images.models import Image
from labeling.review.models import ReviewRound, RoundCandidate
from labeling.review.selectors import images_awaiting_review
from labeling.review.services import image_labels_replace
from labeling.rounds.models import Round, RoundKind
from labeling.taxonomy.models import Synset
from tests.images.factories import make_images
from tests.review.conftest import GOLDFISH, NAMES, SHARK, TENCH
from tests.review.factories import make_review_round, predict
from tests.review.test_services import evaluation, judge_all  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def image_list(tmp_path, images):
    path = tmp_path / "images.txt"
    path.write_text("# review\n" + "\n".join(NAMES) + "\n")
    return path


def test_create_review_round_prints_the_round_id_last(image_list, reviewers):
    out = run(
        "create_review_round",
        "--name=Review A",
        f"--images={image_list}",
        "--reviewers=rev1,rev2,rev3",
        "--hide-model-counts",
    )
    round = Round.objects.get(pk=int(out.strip().splitlines()[-1]))
    assert (round.kind, round.state, round.image_count) == (RoundKind.ANNOTATION_REVIEW, "open", 3)
    review = ReviewRound.objects.get(round=round)
    assert review.hide_model_counts
    assert RoundCandidate.objects.filter(round=round).count() == 6  # 3 + 2 + 1
    # Listed by count the candidates would give the hidden counts away: a seed is drawn.
    assert review.seed is not None and f"shuffled with seed {review.seed};" in out


def test_create_review_round_writes_nothing_for_an_unknown_reviewer(image_list, reviewers):
    with pytest.raises(CommandError, match="no round was created"):
        run("create_review_round", "--name=R", f"--images={image_list}", "--reviewers=rev1,nobody")
    assert not Round.objects.exists()


def test_review_report_prints_json_after_consensus(image_list, reviewers):
    round_id = run(
        "create_review_round", "--name=R", f"--images={image_list}", "--reviewers=rev1,rev2"
    ).split()[-1]
    round = Round.objects.get(pk=round_id)
    for reviewer in reviewers[:2]:
        judge_all(round, reviewer, {"n01440764": "correct"})
    assert "labels set for 3 images" in run("review_consensus", f"--round={round_id}")
    report = json.loads(run("review_report", f"--round={round_id}", "--format=json"))
    assert (report["images"], report["labels_added"], report["fleiss_kappa"]) == (3, 3, 1.0)
    assert "unchanged" in run("review_report", f"--round={round_id}")


def test_create_final_review_refuses_a_round_that_is_not_an_evaluation(image_list, reviewers):
    round_id = run(
        "create_review_round", "--name=R", f"--images={image_list}", "--reviewers=rev1"
    ).split()[-1]
    with pytest.raises(CommandError, match="evaluation round"):
        run("create_final_review", f"--from-round={round_id}", "--name=F", "--reviewers=rev2")


@pytest.mark.parametrize("given", [None, 42])
def test_create_final_review_records_and_prints_its_seed(evaluation, reviewers, given):  # noqa: F811
    seed = [] if given is None else [f"--seed={given}"]
    out = run(
        "create_final_review",
        f"--from-round={evaluation.pk}",
        "--name=F",
        "--reviewers=rev3",
        *seed,
    )
    review = ReviewRound.objects.get(round_id=int(out.split()[-1]))
    assert review.seed is not None and (given is None or review.seed == given)
    assert f"seed {review.seed};" in out


def test_create_review_round_can_take_the_images_awaiting_review(images, reviewers):
    # The third image has no predictions; the first gets final labels, the fourth is
    # problematic and the fifth is in a review already: only the second awaits review.
    extra = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in (204, 205)], label=TENCH)
    problematic, reviewed = (
        extra["ILSVRC2012_val_00000204.JPEG"],
        extra["ILSVRC2012_val_00000205.JPEG"],
    )
    for image in (problematic, reviewed):
        predict(image, {"resnet-alpha": [GOLDFISH]})
    Image.objects.filter(pk=problematic.pk).update(problematic=True, problematic_reason="x")
    make_review_round([reviewed], reviewers[:1], name="Earlier review")
    image_labels_replace(
        labels={images[0].pk: {Synset.objects.get(wnid=TENCH).pk: "correct"}}, source="test"
    )
    assert images_awaiting_review(sources=["imagenet-val"]) == [images[1].pk]

    out = run(
        "create_review_round", "--name", "Pool", "--awaiting", "imagenet-val", "--reviewers", "rev1"
    )

    round = Round.objects.get(pk=int(out.split()[-1]))
    assert list(round.items.values_list("image_id", flat=True)) == [images[1].pk]
    assert images_awaiting_review(sources=["imagenet-val"]) == []
    with pytest.raises(CommandError, match="1 problem"):
        run("create_review_round", "--name", "None left", "--awaiting", "imagenet-val",
            "--reviewers", "rev1")  # fmt: skip


def test_awaiting_takes_the_first_n_by_source_and_name_and_refuses_unknown_sources(
    images, reviewers
):
    second = make_images(["ILSVRC2012_val_00000200.JPEG"], label=TENCH)
    predict(second["ILSVRC2012_val_00000200.JPEG"], {"resnet-alpha": [SHARK]})
    assert images_awaiting_review(sources=["imagenet-val"], limit=2) == [
        second["ILSVRC2012_val_00000200.JPEG"].pk,
        images[0].pk,
    ]
    with pytest.raises(CommandError, match="1 problem"):
        run("create_review_round", "--name", "X", "--awaiting", "nowhere", "--reviewers", "rev1")
    with pytest.raises(CommandError, match="--limit goes with --awaiting"):
        run("create_review_round", "--name", "X", "--images", "-", "--limit", "2",
            "--reviewers", "rev1")  # fmt: skip
