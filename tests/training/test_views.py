"""The feedback fragment the labeling screen shows after each answer of a training round."""

from __future__ import annotations

import json
import re

import pytest

from labeling.guide.models import DistinctionNote
from labeling.review.models import ImageLabel, LabelState
from labeling.rounds.models import RoundKind
from labeling.taxonomy.models import Synset
from tests.helpers import api_client_for, login, make_user
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(imagenet_classes, annotator):
    names = ["ILSVRC2012_val_00000501.JPEG", "ILSVRC2012_val_00000502.JPEG"]
    images = make_images(names, label=TENCH)
    return make_round(
        [images[n] for n in names], [annotator], name="Practice", kind=RoundKind.TRAINING
    )


def answered(annotator, round, wnid: str) -> str:
    client = api_client_for(annotator)
    item = next_item(client, round)["item"]
    assert post_answer(client, round, item, wnid=wnid).status_code == 201
    return item


def fragment(user, round, item: str):
    return login(user).get(f"/training/rounds/{round.pk}/feedback/{item}/")


def test_a_right_answer_says_so_and_lists_the_correct_classes(practice, annotator):
    item = answered(annotator, practice, TENCH)
    page = fragment(annotator, practice, item).content.decode()
    assert "Right: tench" in page and f"/guide/entries/{TENCH}/" in page
    assert "data-panel" not in page


def test_a_wrong_answer_puts_the_chosen_and_a_correct_class_side_by_side(practice, annotator):
    item = answered(annotator, practice, GOLDFISH)
    page = fragment(annotator, practice, item).content.decode()
    assert "Not quite: you chose goldfish" in page
    assert re.findall(r'data-panel="(n\d+)"', page) == [GOLDFISH, TENCH]
    assert f"/guide/notes/new/?wnids={GOLDFISH},{TENCH}" in page  # write the missing note


def test_the_distinction_note_between_the_two_is_linked(practice, annotator):
    note = DistinctionNote.objects.create(title="Tench or goldfish: colour")
    note.synsets.set(Synset.objects.filter(wnid__in=[TENCH, GOLDFISH]))
    item = answered(annotator, practice, GOLDFISH)
    page = fragment(annotator, practice, item).content.decode()
    assert "Tench or goldfish: colour" in page and f"/guide/notes/{note.pk}/" in page
    assert "Write one" not in page


def test_a_second_correct_class_of_a_multi_label_image_is_right(practice, annotator):
    image = practice.items.get(position=1).image
    for wnid in (TENCH, SHARK):
        ImageLabel.objects.create(
            image=image, synset=Synset.objects.get(wnid=wnid), state=LabelState.CORRECT, source="x"
        )
    item = answered(annotator, practice, SHARK)
    page = fragment(annotator, practice, item).content.decode()
    assert "Right:" in page and "Correct classes for this image" in page


def test_there_is_no_feedback_before_the_answer_nor_for_anyone_else(practice, annotator):
    item = next_item(api_client_for(annotator), practice)["item"]
    assert fragment(annotator, practice, item).status_code == 404
    answered_item = answered(annotator, practice, TENCH)
    assert answered_item == item
    other = make_user("bert", "annotator")
    assert fragment(other, practice, item).status_code == 404


def test_only_a_training_screen_knows_where_feedback_is(practice, annotator):
    def config(round) -> dict:
        page = login(annotator).get(f"/label/{round.pk}/").content.decode()
        found = re.search(r'id="label-config" type="application/json">(.*?)</script>', page)
        assert found is not None
        return json.loads(found.group(1))

    urls = config(practice)["urls"]
    assert urls["feedback"] == f"/training/rounds/{practice.pk}/feedback/ITEM/"
    evaluation = make_round(
        make_images(["ILSVRC2012_val_00000601.JPEG"]).values(), [annotator], name="E"
    )
    assert "feedback" not in config(evaluation)["urls"]
