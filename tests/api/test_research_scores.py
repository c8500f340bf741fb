from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from labeling.scoring.selectors import round_scores
from tests.helpers import api_client_for
from tests.scoring.factories import make_scored_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(imagenet_classes):
    return make_scored_round()


def test_researchers_and_admins_get_the_scores_json(scored, researcher, study_admin):
    expected = round_scores(round=scored.round)
    for user in (researcher, study_admin):
        response = api_client_for(user).get(f"/api/rounds/{scored.round.pk}/scores/")
        assert response.status_code == 200
        assert response.json() == expected


def test_scores_take_the_fast_threshold(scored, researcher):
    response = api_client_for(researcher).get(
        f"/api/rounds/{scored.round.pk}/scores/?fast_threshold=59"
    )
    assert response.json()["participants"][0]["scores"]["imagenet-val"]["fast"]["total"] == 2


def test_a_negative_fast_threshold_is_a_400(scored, researcher):
    response = api_client_for(researcher).get(
        f"/api/rounds/{scored.round.pk}/scores/?fast_threshold=-1"
    )
    assert response.status_code == 400
    assert "fast_threshold" in response.json()


def test_annotators_may_not_read_scores(scored, annotator):
    response = api_client_for(annotator).get(f"/api/rounds/{scored.round.pk}/scores/")
    assert response.status_code == 403


def test_scores_without_a_token_are_a_401(scored):
    assert APIClient().get(f"/api/rounds/{scored.round.pk}/scores/").status_code == 401


def test_scores_of_an_unknown_round_are_a_404(db, researcher):
    assert api_client_for(researcher).get("/api/rounds/999/scores/").status_code == 404
