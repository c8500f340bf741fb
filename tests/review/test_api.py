"""The review API: the next item lists its candidates; judgments, added classes and flags are
posted with an Idempotency-Key. (That nothing leaks, in a final review above all, is checked in
tests/leaks.)"""

from __future__ import annotations

import uuid

import pytest

from labeling.review.models import Judgment, ReviewFlag, RoundCandidate
from tests.helpers import api_client_for, login, sent_twice_at_once
from tests.review.conftest import GOLDFISH, SHARK, TENCH, TIGER_SHARK
from tests.review.factories import make_review_round
from tests.rounds.factories import make_round

pytestmark = pytest.mark.django_db


def post(client, round, body: dict, key: str | None = None):
    return client.post(
        f"/api/rounds/{round.pk}/judgments/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def next_of(client, round) -> dict:
    response = client.get(f"/api/rounds/{round.pk}/next/")
    assert response.status_code == 200, response.content
    return response.json()


def test_next_lists_the_candidates_with_model_counts(
    images, reviewers, django_assert_max_num_queries
):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    next_of(client, round)
    # The token with its user and roles (or a browser's session with them, below), the
    # assignment with its round, the items, recording the serving, the candidates.
    with django_assert_max_num_queries(5):
        body = next_of(client, round)
    browser = login(reviewers[0])
    with django_assert_max_num_queries(5):
        assert next_of(browser, round) == body
    assert body["position"] == 1
    assert [(c["wnid"], c["model_count"], c["verdict"]) for c in body["candidates"]] == [
        (GOLDFISH, 2, None),
        (SHARK, 1, None),
        (TENCH, 0, None),
    ]
    assert body["candidates"][0]["name"] == "goldfish"


def test_a_round_that_hides_counts_sends_none(images, reviewers):
    round = make_review_round(images, reviewers, hide_model_counts=True)
    body = next_of(api_client_for(reviewers[0]), round)
    assert all("model_count" not in c for c in body["candidates"])


def test_other_rounds_keep_their_next_shape(images, reviewers):
    round = make_round(images, reviewers[:1])
    assert "candidates" not in next_of(api_client_for(reviewers[0]), round)


def test_judgments_201_then_200_for_a_repeat_and_next_moves_on_when_the_image_is_done(
    images, reviewers
):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    candidates = next_of(client, round)["candidates"]
    first = post(client, round, {"candidate": candidates[0]["id"], "verdict": "correct"}, "a")
    assert first.status_code == 201, first.content
    again = post(client, round, {"candidate": candidates[0]["id"], "verdict": "correct"}, "a")
    assert again.status_code == 200
    assert again.json()["next"]["candidates"][0]["verdict"] == "correct"
    assert (
        post(client, round, {"candidate": candidates[0]["id"], "verdict": "wrong"}, "a").status_code
        == 409
    )
    for candidate in candidates[1:]:
        response = post(client, round, {"candidate": candidate["id"], "verdict": "wrong"})
    assert response.json()["next"]["position"] == 2
    assert next_of(client, round)["position"] == 2


@pytest.mark.parametrize(
    "body",
    [{}, {"candidate": "x"}, {"candidate": "x", "verdict": "maybe"}, {"item": "x", "verdict": "c"}],
)
def test_a_malformed_body_is_400(images, reviewers, body):
    round = make_review_round(images, reviewers)
    assert post(api_client_for(reviewers[0]), round, body).status_code == 400


def test_a_number_as_the_reason_an_item_is_problematic_is_400_and_flags_nothing(images, reviewers):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    response = post(client, round, {"item": next_of(client, round)["item"], "problematic": 5})
    assert response.status_code == 400
    assert response.json() == {"problematic": ["Not a valid string."]}
    assert not ReviewFlag.objects.exists()


def test_an_unknown_wnid_is_400_and_a_later_item_409(images, reviewers):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    item = next_of(client, round)["item"]
    assert post(client, round, {"item": item, "add_wnid": "n99999999"}).status_code == 400
    later = RoundCandidate.objects.filter(round=round, position=2)[0].public_id
    assert post(client, round, {"candidate": later, "verdict": "wrong"}).status_code == 409
    other = make_review_round(images, reviewers, name="Other")
    foreign = RoundCandidate.objects.filter(round=other, position=1)[0].public_id
    assert post(client, round, {"candidate": foreign, "verdict": "wrong"}).status_code == 409


def test_a_reviewer_adds_a_class_and_flags_an_image(images, reviewers):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    item = next_of(client, round)["item"]
    added = post(client, round, {"item": item, "add_wnid": TIGER_SHARK})
    assert added.status_code == 201, added.content
    listed = {c["wnid"]: c["verdict"] for c in added.json()["next"]["candidates"]}
    assert listed[TIGER_SHARK] == "correct"
    flagged = post(client, round, {"item": item, "problematic": "two objects"})
    assert flagged.status_code == 201
    assert flagged.json()["problematic"] == "two objects"


def test_answers_are_refused_in_a_review_round(images, reviewers):
    round = make_review_round(images, reviewers)
    client = api_client_for(reviewers[0])
    item = next_of(client, round)["item"]
    response = client.post(
        f"/api/rounds/{round.pk}/answers/",
        {"item": item, "wnid": TENCH, "active_seconds": 1, "events": []},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x",
    )
    assert response.status_code == 409


def test_an_outsider_gets_404(images, reviewers, annotator):
    round = make_review_round(images, reviewers)
    assert (
        post(api_client_for(annotator), round, {"candidate": "x", "verdict": "wrong"}).status_code
        == 404
    )


@pytest.mark.django_db(transaction=True)
def test_a_judgment_sent_twice_at_once_is_stored_once(images, reviewers):
    """A double click on a verdict: two requests with one Idempotency-Key race on two
    connections; one judgment is stored, both get its body."""

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing races")
    round = make_review_round(images, reviewers)
    candidate = next_of(api_client_for(reviewers[0]), round)["candidates"][0]["id"]
    responses = sent_twice_at_once(
        reviewers[0],
        lambda client: post(client, round, {"candidate": candidate, "verdict": "correct"}, "k"),
    )

    assert sorted(response.status_code for response in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert Judgment.objects.filter(reviewer=reviewers[0]).count() == 1
