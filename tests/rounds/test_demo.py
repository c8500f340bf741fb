"""`make_demo` opens a demo evaluation round and a demo training round for the demo annotators."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from labeling.rounds.demo import DEMO_EVALUATION_ROUND, DEMO_TRAINING_ROUND
from labeling.rounds.models import Assignment, Round, RoundImage, RoundKind, RoundState
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rounds_state() -> list:
    return sorted(
        RoundImage.objects.values_list("round__name", "position", "image__original_name")
    ) + sorted(Assignment.objects.values_list("round__name", "user__username"))


def test_the_demo_opens_an_evaluation_and_a_training_round_for_the_annotators():
    call_command("make_demo", stdout=io.StringIO())
    first = rounds_state()
    call_command("make_demo", stdout=io.StringIO())
    assert rounds_state() == first  # running it again changes nothing

    evaluation = Round.objects.get(name=DEMO_EVALUATION_ROUND)
    training = Round.objects.get(name=DEMO_TRAINING_ROUND)
    assert (evaluation.kind, training.kind) == (RoundKind.EVALUATION, RoundKind.TRAINING)
    assert evaluation.state == training.state == RoundState.OPEN
    evaluation_images = set(
        RoundImage.objects.filter(round=evaluation).values_list("image", flat=True)
    )
    training_images = set(RoundImage.objects.filter(round=training).values_list("image", flat=True))
    assert (len(evaluation_images), len(training_images)) == (80, 20)
    assert not evaluation_images & training_images  # never train on evaluation images
    for round in (evaluation, training):
        assert set(round.assignments.values_list("user__username", flat=True)) == {
            "annotator1",
            "annotator2",
        }

    # The demo annotator can start labeling at once.
    from django.contrib.auth import get_user_model

    client = login(get_user_model().objects.get(username="annotator1"))
    item = client.get(f"/api/rounds/{evaluation.pk}/next/").json()
    assert item["position"] == 1 and item["total"] == 80
    image = client.get(item["image"], HTTP_ACCEPT="image/*")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
