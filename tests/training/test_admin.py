"""Admins build training rounds on their own page and turn requests into rounds in one step."""

from __future__ import annotations

import pytest

from labeling.rounds.models import Round, RoundImage, RoundKind
from labeling.training.models import RequestState
from labeling.training.services import training_request_create
from tests.helpers import login
from tests.training.conftest import TERRIER, TERRIERS

pytestmark = pytest.mark.django_db
PAGE = "/admin/training/trainingrequest/create-round/"


def test_an_admin_builds_a_training_round_under_a_subtree(study_admin, annotator, labeled):
    client = login(study_admin)
    assert (
        "Create a training round" in client.get("/admin/training/trainingrequest/").content.decode()
    )
    response = client.post(
        PAGE, {"name": "Terriers", "under": TERRIER, "count": "4", "labelers": [annotator.pk]}
    )
    assert response.status_code == 302
    round = Round.objects.get()
    assert round.kind == RoundKind.TRAINING and round.assignments.get().user == annotator
    assert set(
        RoundImage.objects.filter(round=round).values_list("image__original_label_id", flat=True)
    ) <= set(TERRIERS)


def test_the_page_shows_what_is_wrong_and_creates_nothing(study_admin, labeled):
    response = login(study_admin).post(PAGE, {"name": "x", "under": "n99999999", "count": "4"})
    assert response.status_code == 200 and "n99999999" in response.content.decode()
    assert not Round.objects.exists()


def test_open_requests_become_rounds_with_one_action(study_admin, annotator, labeled):
    request = training_request_create(labeler=annotator, wnids=[TERRIER])
    response = login(study_admin).post(
        "/admin/training/trainingrequest/",
        {"action": "make_rounds", "_selected_action": [request.pk]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.round is not None
    assert request.state == RequestState.FULFILLED and request.round.image_count == 9


def test_annotators_do_not_reach_the_page(annotator, labeled):
    assert login(annotator).get(PAGE).status_code == 302
