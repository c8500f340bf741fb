"""Immediate feedback: a training answer's response says at once whether it was right, against
the image's multi-label correct set where it has one, else its original label."""

from __future__ import annotations

import pytest

from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import RoundKind
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot
from tests.helpers import api_client_for, sent_twice_at_once
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer

pytestmark = pytest.mark.django_db
NAMES = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (301, 302, 303)]


@pytest.fixture
def practice(imagenet_classes, annotator):
    """An open training round of three tench images, in that order."""
    images = make_images(NAMES, label=TENCH)
    return make_round(
        [images[name] for name in NAMES], [annotator], name="Practice", kind=RoundKind.TRAINING
    )


def answer(client, round, wnid: str) -> dict:
    response = post_answer(client, round, next_item(client, round)["item"], wnid=wnid)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_right_answer_is_called_right(practice, annotator):
    body = answer(api_client_for(annotator), practice, TENCH)
    assert body["feedback"] == {"correct": True, "correct_wnids": [TENCH], "chosen": TENCH}


def test_a_wrong_answer_is_called_wrong_with_the_correct_class(practice, annotator):
    body = answer(api_client_for(annotator), practice, GOLDFISH)
    assert body["feedback"] == {"correct": False, "correct_wnids": [TENCH], "chosen": GOLDFISH}


def test_on_a_multi_label_image_a_second_correct_class_is_right_too(practice, annotator):
    image = practice.items.get(position=1).image
    for wnid, state in ((TENCH, LabelState.CORRECT), (GOLDFISH, LabelState.CORRECT)):
        ImageLabel.objects.create(
            image=image, synset=Synset.objects.get(wnid=wnid), state=state, source="review"
        )
    ImageLabel.objects.create(
        image=image, synset=Synset.objects.get(wnid=SHARK), state=LabelState.WRONG, source="review"
    )
    body = answer(api_client_for(annotator), practice, GOLDFISH)
    assert body["feedback"] == {
        "correct": True,
        "correct_wnids": [TENCH, GOLDFISH],  # the original label first
        "chosen": GOLDFISH,
    }


def test_the_correct_set_replaces_a_wrong_original_label(practice, annotator):
    image = practice.items.get(position=1).image
    ImageLabel.objects.create(
        image=image, synset=Synset.objects.get(wnid=SHARK), state=LabelState.CORRECT, source="x"
    )
    body = answer(api_client_for(annotator), practice, TENCH)
    assert body["feedback"] == {"correct": False, "correct_wnids": [SHARK], "chosen": TENCH}


def test_a_repeated_request_gets_the_same_feedback(practice, annotator):
    client = api_client_for(annotator)
    item = next_item(client, practice)["item"]
    first = post_answer(client, practice, item, wnid=GOLDFISH, key="k-1")
    again = post_answer(client, practice, item, wnid=GOLDFISH, key="k-1")
    assert again.status_code == 200 and again.json()["feedback"] == first.json()["feedback"]


def test_an_evaluation_round_never_carries_feedback(imagenet_classes, annotator):
    names = ["ILSVRC2012_val_00000401.JPEG", "ILSVRC2012_val_00000402.JPEG"]
    evaluation = make_round(make_images(names, label=TENCH).values(), [annotator])
    client = api_client_for(annotator)
    for wnid in (TENCH, GOLDFISH):
        body = post_answer(client, evaluation, next_item(client, evaluation)["item"], wnid=wnid)
        assert body.status_code == 201 and "feedback" not in body.json()
        assert "correct" not in body.content.decode()


def test_a_training_answer_with_its_feedback_runs_a_fixed_handful_of_queries(
    practice, annotator, django_assert_max_num_queries
):
    # The evaluation answer's 12 at most (see tests/rounds/test_api.py), and the feedback's two:
    # the image's correct labels and its original label.
    taxonomy_snapshot()
    client = api_client_for(annotator)
    for wnid in (TENCH, GOLDFISH, TENCH):
        item = next_item(client, practice)["item"]
        with django_assert_max_num_queries(14):
            assert post_answer(client, practice, item, wnid=wnid).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_a_training_answer_sent_twice_at_once_is_stored_and_counted_once(practice, annotator):
    """A double click on a practice image: both requests get the same feedback, and the worker
    writes one statistics row and one timing row."""

    from django.db import connection

    from labeling.rounds.models import Answer, AnswerTiming
    from labeling.training.models import AnswerStat
    from tests.helpers import wait_until

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing races")
    item = next_item(api_client_for(annotator), practice)["item"]
    responses = sent_twice_at_once(
        annotator, lambda client: post_answer(client, practice, item, wnid=GOLDFISH, key="twice")
    )

    assert sorted(response.status_code for response in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert responses[0].json()["feedback"]["correct"] is False
    answer = Answer.objects.get(round_image__round=practice)
    wait_until(lambda: AnswerStat.objects.filter(answer=answer).exists(), timeout=60)
    wait_until(lambda: AnswerTiming.objects.filter(answer=answer).exists(), timeout=60)
    assert AnswerStat.objects.filter(answer=answer).count() == 1
    assert AnswerTiming.objects.filter(answer=answer).count() == 1
