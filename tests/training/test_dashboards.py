"""Requests for practice, the learning dashboards and the group review of a training round."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labeling.rounds.models import Round, RoundKind
from labeling.rounds.services import round_close
from labeling.training.models import RequestState, ReviewComment, TrainingRequest
from labeling.training.services import answer_stats_sweep, training_request_create
from tests.helpers import api_client_for, login, make_user
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(imagenet_classes, annotator):
    """A training round of three tench images, which the annotator answers: tench, goldfish,
    goldfish (one right, two wrong), statistics computed."""
    names = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (801, 802, 803)]
    images = make_images(names, label=TENCH)
    round = make_round(
        [images[n] for n in names], [annotator], name="Fish 1", kind=RoundKind.TRAINING
    )
    client = api_client_for(annotator)
    for wnid in (TENCH, GOLDFISH, GOLDFISH):
        post_answer(client, round, next_item(client, round)["item"], wnid=wnid)
    answer_stats_sweep(older_than=timedelta(0))
    return round


def test_a_labeler_asks_for_practice_from_the_home_page(annotator, imagenet_classes):
    client = login(annotator)
    assert 'action="/training/requests/"' in client.get("/").content.decode()
    response = client.post("/training/requests/", {"classes": f"tench, {GOLDFISH}", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    request = TrainingRequest.objects.get()
    assert (request.labeler, request.wnids, request.state) == (annotator, [TENCH, GOLDFISH], "open")


def test_the_feedback_screen_asks_in_the_background_and_hears_what_is_wrong(annotator, tree):
    client = login(annotator)
    asked = client.post(
        "/training/requests/", {"classes": "terrier"}, HTTP_ACCEPT="application/json"
    )
    assert asked.status_code == 201
    refused = client.post(
        "/training/requests/", {"classes": "crane"}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 400 and "several classes" in refused.json()["detail"]
    assert TrainingRequest.objects.count() == 1


def test_admins_turn_an_open_request_into_a_round_in_one_step(study_admin, annotator, practice):
    more = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in (811, 812)], label=SHARK)
    assert len(more) == 2
    request = training_request_create(labeler=annotator, wnids=[SHARK])
    client = login(study_admin)
    page = client.get("/training/overview/").content.decode()
    assert f"/training/requests/{request.pk}/round/" in page
    response = client.post(f"/training/requests/{request.pk}/round/", {"count": "5"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.round is not None
    assert request.state == RequestState.FULFILLED and request.round.image_count == 2


def test_the_labelers_dashboard_shows_curve_confusions_and_one_click_suggestions(
    annotator, practice
):
    client = login(annotator)
    page = client.get("/training/me/").content.decode()
    assert 'src="/training/me/curve.svg"' in page
    assert "Ask for practice on tench and goldfish" in page
    assert f'value="{TENCH},{GOLDFISH}"' in page
    assert "1 / 3" in page  # right / answered in the round
    curve = client.get("/training/me/curve.svg")
    assert curve["Content-Type"] == "image/svg+xml" and b"<svg" in curve.content
    assert b"Fish 1" in curve.content


def test_the_admins_table_has_intervals_and_the_confusions_across_labelers(
    study_admin, researcher, annotator, practice
):
    page = login(researcher).get("/training/overview/").content.decode()
    assert "anna" in page and "33%" in page and "(1/3)" in page
    assert "[0.01, 0.91]" in page  # Clopper-Pearson for 1 of 3
    assert "Make the round" not in page  # researchers read, admins act
    assert login(annotator).get("/training/overview/").status_code == 403


def test_the_group_review_lists_answers_filters_wrong_ones_and_takes_comments(
    study_admin, annotator, practice
):
    client = login(study_admin)
    page = client.get(f"/training/rounds/{practice.pk}/review/").content.decode()
    assert page.count('class="review-item"') == 3
    assert "anna: goldfish — wrong" in page and f"/guide/entries/{TENCH}/edit/" in page
    assert f"/guide/notes/new/?wnids={GOLDFISH},{TENCH}" in page
    wrong = client.get(f"/training/rounds/{practice.pk}/review/?wrong=1").content.decode()
    assert wrong.count('class="review-item"') == 2
    item = practice.items.get(position=2).public_id
    response = client.post(
        f"/training/rounds/{practice.pk}/review/{item}/comments/", {"text": "Look at the fins."}
    )
    assert response.status_code == 302
    assert ReviewComment.objects.get().text == "Look at the fins."
    assert (
        "Look at the fins."
        in client.get(f"/training/rounds/{practice.pk}/review/").content.decode()
    )


def test_a_labeler_sees_the_review_only_after_answering_everything(annotator, practice):
    assert login(annotator).get(f"/training/rounds/{practice.pk}/review/").status_code == 200
    late = make_user("bert", "annotator")
    Round.objects.get(pk=practice.pk).assignments.create(user=late)
    assert login(late).get(f"/training/rounds/{practice.pk}/review/").status_code == 404
    round_close(round=practice)
    assert login(late).get(f"/training/rounds/{practice.pk}/review/").status_code == 200
    outsider = make_user("otto")
    assert login(outsider).get(f"/training/rounds/{practice.pk}/review/").status_code == 404
