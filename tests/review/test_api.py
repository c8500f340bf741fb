"""The review API: the next item lists its candidates; judgments, added classes and flags are
posted with an Idempotency-Key; the blind final review leaks nothing about a candidate's source."""

from __future__ import annotations

import json
import uuid

import pytest

from labeling.review.models import Judgment, RoundCandidate
from labeling.review.services import final_review_create
from labeling.rounds.models import Answer, RoundKind
from tests.helpers import api_client_for, login
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


@pytest.fixture
def final_review(images, reviewers, annotator):
    """A final review of an evaluation round where the labelers anna and rev1 answered."""
    evaluation = make_round(images, [annotator, reviewers[0]], kind=RoundKind.EVALUATION)
    for position, labeler, wnid in ((1, annotator, TIGER_SHARK), (2, reviewers[0], TENCH)):
        Answer.objects.create(
            round_image=evaluation.items.get(position=position),
            labeler=labeler,
            synset_id=wnid,
            idempotency_key=str(uuid.uuid4()),
        )
    return final_review_create(
        source_round=evaluation, name="Final", reviewers=reviewers[1:], seed=3
    )


def test_nothing_a_final_reviewer_loads_tells_a_persons_candidate_from_a_models(
    final_review, reviewers
):
    """Every candidate has the same keys (no count, no origin), ids that are not the database's,
    and no response names a labeler or a model."""
    client = api_client_for(reviewers[1])
    loaded: list[str] = []
    ids = {str(pk) for pk in RoundCandidate.objects.values_list("pk", flat=True)}
    for _ in range(2):
        body = next_of(client, final_review)
        loaded.append(json.dumps(body))
        sources = {c["wnid"]: c for c in body["candidates"]}
        assert len(sources) >= 2  # the labeler's class and at least one model's
        for candidate in body["candidates"]:
            assert set(candidate) == {"id", "wnid", "name", "gloss", "verdict"}
            assert candidate["id"] not in ids
            response = post(
                client, final_review, {"candidate": candidate["id"], "verdict": "unclear"}
            )
            assert response.status_code == 201
            loaded.append(response.content.decode())
    loaded.append(client.get(f"/api/rounds/{final_review.pk}/progress/").content.decode())
    text = "\n".join(loaded)
    for secret in (
        "anna",
        "rev1",
        "resnet",
        "vit-beta",
        "effnet",
        "model",
        "human",
        "seed",
        "import",
    ):
        assert secret not in text
    assert Judgment.objects.count() == 5
