"""The review screen at /label/R/: a review round's page, resuming at the reviewer's current
image. (What it must not reveal is checked in tests/leaks.)"""

from __future__ import annotations

import json
import re

import pytest

from labeling.review.models import RoundCandidate
from labeling.review.services import judgment_record
from labeling.rounds.services import round_close
from tests.helpers import login
from tests.review.factories import assignment_of, make_review_round
from tests.review.test_services import judge_all

pytestmark = pytest.mark.django_db


def config_of(page: str) -> dict:
    found = re.search(r'<script id="review-config" type="application/json">(.*?)</script>', page)
    assert found, page[:2000]
    return json.loads(found.group(1))


def test_a_closed_review_round_is_a_409_page_as_a_labeling_round_is(images, reviewers):
    round = make_review_round(images, reviewers)
    round_close(round=round)
    response = login(reviewers[0]).get(f"/label/{round.pk}/")
    assert response.status_code == 409
    assert 'id="review-candidates"' not in response.content.decode()


def test_a_review_round_opens_the_review_screen_with_every_candidate(images, reviewers):
    round = make_review_round(images, reviewers)
    response = login(reviewers[0]).get(f"/label/{round.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="review-candidates"' in page and 'id="label-search"' not in page
    config = config_of(page)
    assert [c["wnid"] for c in config["item"]["candidates"]] == list(
        RoundCandidate.objects.filter(round=round, position=1)
        .order_by("order")
        .values_list("candidate__synset__wnid", flat=True)
    )
    assert config["urls"]["judgments"] == f"/api/rounds/{round.pk}/judgments/"


def test_the_screen_resumes_at_the_first_image_left_to_judge(images, reviewers):
    round = make_review_round(images, reviewers)
    assignment = assignment_of(round, reviewers[0])
    for n, candidate in enumerate(RoundCandidate.objects.filter(round=round, position=1)):
        judgment_record(
            assignment=assignment,
            candidate=candidate.public_id,
            verdict="wrong",
            idempotency_key=f"k{n}",
        )
    page = login(reviewers[0]).get(f"/label/{round.pk}/").content.decode()
    assert config_of(page)["item"]["position"] == 2
    judge_all(round, reviewers[0], {})
    done = login(reviewers[0]).get(f"/label/{round.pk}/").content.decode()
    assert config_of(done)["item"]["done"] is True


def test_someone_else_gets_404(images, reviewers, annotator):
    round = make_review_round(images, reviewers)
    assert login(annotator).get(f"/label/{round.pk}/").status_code == 404
