"""The rounds API as the labeling screen and scripts use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from labeling.rounds.models import (
    Answer,
    AnswerChange,
    Assignment,
    InteractionLog,
    RoundImage,
    Serving,
)
from labeling.rounds.services import round_close
from labeling.taxonomy.snapshot import taxonomy_snapshot
from tests.helpers import api_client_for, login, make_user, sent_twice_at_once
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(annotator):
    return api_client_for(annotator)


def items_of(round) -> list[RoundImage]:
    return list(RoundImage.objects.filter(round=round).order_by("position"))


# --- Listing ----------------------------------------------------------------------------------


def test_an_annotator_lists_their_open_and_closed_rounds_with_their_progress(
    client, annotator, images
):
    first = make_round(images, [annotator], name="First")
    make_round(images[:2], [annotator], name="Draft", open=False)
    make_round(images[:2], [make_user("bert", "annotator")], name="Someone else's")
    post_answer(client, first, next_item(client, first)["item"])

    response = client.get("/api/rounds/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [
        {
            "id": first.pk,
            "name": "First",
            "kind": "evaluation",
            "state": "open",
            "done": 1,
            "total": 5,
        }
    ]


def test_admins_and_researchers_list_every_round_with_progress_over_its_labelers(
    study_admin, researcher, annotator, images
):
    other = make_user("bert", "annotator")
    round = make_round(images, [annotator, other])
    draft = make_round(images[:2], [], name="Draft", open=False)
    client = api_client_for(annotator)
    post_answer(client, round, next_item(client, round)["item"])
    for user in (study_admin, researcher):
        results = api_client_for(user).get("/api/rounds/").json()["results"]
        by_id = {r["id"]: r for r in results}
        assert by_id[round.pk]["done"] == 1 and by_id[round.pk]["total"] == 10
        assert by_id[draft.pk]["state"] == "draft" and by_id[draft.pk]["total"] == 0


def test_users_without_a_role_cannot_list_rounds(outsider):
    response = api_client_for(outsider).get("/api/rounds/")
    assert response.status_code == 403 and response.json()["detail"]


# --- Next ---------------------------------------------------------------------------------------


def test_next_serves_the_first_item_with_its_image_and_the_following_one_to_prefetch(
    client, evaluation, images
):
    body = next_item(client, evaluation)
    first = items_of(evaluation)[0]
    assert body == {
        "item": first.public_id,
        "image": f"http://testserver/files/images/{images[0].public_id}/",
        "thumbnail": f"http://testserver/files/images/{images[0].public_id}/thumb/",
        "position": 1,
        "total": 5,
        "done": False,
        "prefetch": f"http://testserver/files/images/{images[1].public_id}/",
        "can_change_previous": False,
    }
    assert first.public_id != images[0].public_id  # the item id is not the image's id


def test_serving_again_keeps_the_first_served_time(client, annotator, evaluation):
    item = next_item(client, evaluation)["item"]
    serving = Serving.objects.get(round_image__public_id=item, labeler=annotator)
    Serving.objects.filter(pk=serving.pk).update(
        served_at=serving.served_at - timedelta(minutes=5),
        last_served_at=serving.served_at - timedelta(minutes=5),
    )
    assert next_item(client, evaluation)["item"] == item  # a reload shows the same image
    again = Serving.objects.get(pk=serving.pk)
    assert again.served_at == serving.served_at - timedelta(minutes=5)
    assert again.last_served_at > again.served_at


def test_another_browser_resumes_at_the_same_item(annotator, evaluation):
    phone, laptop = api_client_for(annotator), login(annotator)
    post_answer(phone, evaluation, next_item(phone, evaluation)["item"])
    assert laptop.get(f"/api/rounds/{evaluation.pk}/next/").json()["position"] == 2


def test_next_says_done_once_every_item_is_answered(client, evaluation):
    for _ in range(5):
        post_answer(client, evaluation, next_item(client, evaluation)["item"])
    assert next_item(client, evaluation) == {
        "done": True,
        "total": 5,
        "can_change_previous": True,
    }


def test_the_last_item_has_nothing_to_prefetch(client, annotator, images):
    round = make_round(images[:1], [annotator])
    assert next_item(client, round)["prefetch"] is None


@pytest.mark.parametrize("persona", ["study_admin", "researcher", "outsider"])
def test_users_not_assigned_to_the_round_get_404_as_if_it_did_not_exist(
    request, persona, evaluation
):
    client = api_client_for(request.getfixturevalue(persona))
    for url in ("next", "previous", "progress"):
        response = client.get(f"/api/rounds/{evaluation.pk}/{url}/")
        assert response.status_code in (403, 404), url
        assert response.json()["detail"]
    other = api_client_for(make_user("bert", "annotator"))
    unknown = other.get("/api/rounds/987654/next/")
    not_mine = other.get(f"/api/rounds/{evaluation.pk}/next/")
    assert unknown.status_code == not_mine.status_code == 404
    assert unknown.json() == not_mine.json()


def test_an_annotator_whose_role_is_taken_away_stops_at_once(client, annotator, evaluation):
    item = next_item(client, evaluation)["item"]
    annotator.groups.clear()
    assert client.get(f"/api/rounds/{evaluation.pk}/next/").status_code == 404
    assert post_answer(client, evaluation, item).status_code == 404


def test_a_round_that_is_not_open_answers_409(client, annotator, images):
    draft = make_round(images, [annotator], open=False)
    response = client.get(f"/api/rounds/{draft.pk}/next/")
    assert response.status_code == 409 and "draft" in response.json()["detail"]

    closed = make_round(images, [annotator], name="Closed")
    item = next_item(client, closed)["item"]
    round_close(round=closed)
    assert client.get(f"/api/rounds/{closed.pk}/next/").status_code == 409
    response = post_answer(client, closed, item)
    assert response.status_code == 409 and "closed" in response.json()["detail"]


# --- Answers ------------------------------------------------------------------------------------


def test_an_answer_is_stored_with_its_log_and_the_response_carries_the_next_item(
    client, annotator, evaluation
):
    item = next_item(client, evaluation)["item"]
    response = post_answer(
        client, evaluation, item, wnid=SHARK, picker="search", flag="unclear", note="blurry"
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("item", "wnid", "position")} == {
        "item": item,
        "wnid": SHARK,
        "position": 1,
    }
    assert body["next"]["position"] == 2 and body["next"]["can_change_previous"] is True
    answer = Answer.objects.get(round_image__public_id=item, labeler=annotator)
    assert (answer.synset_id, answer.picker, answer.flag, answer.note) == (
        SHARK,
        "search",
        "unclear",
        "blurry",
    )
    assert body["served_at"] and body["answered_at"]
    assert answer.served_at and answer.answered_at and answer.served_at <= answer.answered_at
    log = InteractionLog.objects.get(answer=answer)
    assert log.events == [{"t": 0, "type": "search", "q": "gold"}]
    assert Assignment.objects.get(round=evaluation, user=annotator).answered == 1


def test_repeating_a_request_with_the_same_key_returns_the_same_answer_and_writes_nothing(
    client, evaluation
):
    item = next_item(client, evaluation)["item"]
    first = post_answer(client, evaluation, item, key="key-1")
    again = post_answer(client, evaluation, item, key="key-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Answer.objects.count() == 1 and InteractionLog.objects.count() == 1


def test_the_same_key_with_a_different_answer_is_a_conflict(client, evaluation):
    item = next_item(client, evaluation)["item"]
    post_answer(client, evaluation, item, key="key-1", wnid=GOLDFISH)
    response = post_answer(client, evaluation, item, key="key-1", wnid=SHARK)
    assert response.status_code == 409 and "Idempotency-Key" in response.json()["detail"]
    assert Answer.objects.get().synset_id == GOLDFISH


def test_answering_an_item_that_is_not_the_current_one_is_a_conflict(client, evaluation):
    later = items_of(evaluation)[2]
    next_item(client, evaluation)
    response = post_answer(client, evaluation, later.public_id)
    assert response.status_code == 409 and "current item" in response.json()["detail"]
    response = post_answer(client, evaluation, "nosuchitem23456")
    assert response.status_code == 409
    assert not Answer.objects.exists()


def test_changing_the_previous_answer_replaces_it_and_keeps_the_old_one(
    client, annotator, evaluation
):
    first = next_item(client, evaluation)["item"]
    post_answer(client, evaluation, first, wnid=GOLDFISH)
    previous = client.get(f"/api/rounds/{evaluation.pk}/previous/")
    assert previous.status_code == 200
    assert previous.json()["item"] == first and previous.json()["position"] == 1
    assert "wnid" not in previous.json()  # never the earlier answer

    response = post_answer(client, evaluation, first, wnid=SHARK)

    assert response.status_code == 200
    assert response.json()["wnid"] == SHARK and response.json()["next"]["position"] == 2
    answer = Answer.objects.get(labeler=annotator)
    assert answer.synset_id == SHARK and answer.change_count == 1
    change = AnswerChange.objects.get(answer=answer)
    assert (change.old_synset_id, change.new_synset_id) == (GOLDFISH, SHARK)
    assert Assignment.objects.get(round=evaluation, user=annotator).answered == 1


def test_the_previous_answer_is_fixed_once_the_next_is_confirmed(client, evaluation):
    first = next_item(client, evaluation)["item"]
    post_answer(client, evaluation, first)
    post_answer(client, evaluation, next_item(client, evaluation)["item"])
    assert client.get(f"/api/rounds/{evaluation.pk}/previous/").json()["position"] == 2
    assert post_answer(client, evaluation, first).status_code == 409


def test_the_last_answer_can_still_be_changed_once_the_round_is_done(client, annotator, images):
    round = make_round(images[:2], [annotator])
    post_answer(client, round, next_item(client, round)["item"])
    last = next_item(client, round)["item"]
    assert post_answer(client, round, last).json()["next"] == {
        "done": True,
        "total": 2,
        "can_change_previous": True,
    }
    previous = client.get(f"/api/rounds/{round.pk}/previous/").json()
    assert previous["item"] == last and previous["position"] == 2

    response = post_answer(client, round, last, wnid=SHARK)

    assert response.status_code == 200 and response.json()["next"]["done"] is True
    assert Answer.objects.get(round_image__public_id=last).synset_id == SHARK


def test_a_done_round_that_forbids_changes_offers_none(client, annotator, images):
    round = make_round(images[:1], [annotator], allow_change_previous=False)
    post_answer(client, round, next_item(client, round)["item"])
    assert next_item(client, round)["can_change_previous"] is False
    assert client.get(f"/api/rounds/{round.pk}/previous/").status_code == 404


def test_no_previous_item_before_the_first_answer_or_when_the_round_forbids_changes(
    client, annotator, images
):
    round = make_round(images, [annotator], allow_change_previous=False)
    assert client.get(f"/api/rounds/{round.pk}/previous/").status_code == 404
    first = next_item(client, round)["item"]
    post_answer(client, round, first)
    response = client.get(f"/api/rounds/{round.pk}/previous/")
    assert response.status_code == 404 and response.json()["detail"]
    assert next_item(client, round)["can_change_previous"] is False
    assert post_answer(client, round, first, wnid=SHARK).status_code == 409


@pytest.mark.parametrize(
    ("wnid", "message"),
    [("n99999999", "Unknown wnid"), ("n01317541", "not one of the 1000"), ("dog", "Unknown")],
)
def test_a_wnid_that_is_not_a_class_is_rejected(client, evaluation, wnid, message):
    if wnid == "n01317541":  # an ancestor node (domestic animal), not a class
        from labeling.taxonomy.models import Synset

        Synset.objects.create(
            wnid=wnid,
            nltk_name="domestic_animal.n.01",
            name="domestic animal",
            display_name="domestic animal",
        )
    item = next_item(client, evaluation)["item"]
    response = post_answer(client, evaluation, item, wnid=wnid)
    assert response.status_code == 400
    assert message in response.json()["wnid"][0]
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item": None}, "item"),
        ({"active_seconds": "soon"}, "active_seconds"),
        ({"events": "clicked"}, "events"),
        ({"events": [{"t": 1, "type": "teleport"}]}, "events"),
        ({"events": [{"t": -1, "type": "search"}]}, "events"),
        ({"events": [{"t": 1, "type": "search", "x": 1}]}, "events"),
        ({"events": [{"t": 1, "type": "search", "q": "q" * 201}]}, "events"),
        ({"events": [{"t": 1, "type": "zoom"}] * 5001}, "events"),
        ({"picker": "telepathy"}, "picker"),
        ({"flag": "boring"}, "flag"),
        ({"note": "n" * 2001}, "note"),
        ({"note": 5}, "note"),  # a number is no text (DRF would store "5")
    ],
)
def test_malformed_answers_are_400_with_the_field_at_fault(client, evaluation, change, field):
    item = next_item(client, evaluation)["item"]
    body = {"item": item, "wnid": GOLDFISH, "active_seconds": 2, "events": [], **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post(
        f"/api/rounds/{evaluation.pk}/answers/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Answer.objects.exists()


def test_events_larger_than_the_limit_are_400(client, evaluation):
    item = next_item(client, evaluation)["item"]
    events = [{"t": n, "type": "search", "q": "x" * 200} for n in range(1500)]  # ~300 KB
    response = post_answer(client, evaluation, item, events=events)
    assert response.status_code == 400 and response.json()["detail"]
    assert not Answer.objects.exists()


@pytest.mark.parametrize("key", [None, "", "x" * 101, "naïve", "tab\there"])
def test_an_answer_needs_a_valid_idempotency_key(client, evaluation, key):
    item = next_item(client, evaluation)["item"]
    headers = {} if key is None else {"Idempotency-Key": key}
    response = client.post(
        f"/api/rounds/{evaluation.pk}/answers/",
        {"item": item, "wnid": GOLDFISH, "active_seconds": 1, "events": []},
        format="json",
        headers=headers,
    )
    assert response.status_code == 400 and "Idempotency-Key" in str(response.json())


def test_active_seconds_are_clamped_to_the_time_since_serving_and_the_raw_figure_is_kept(
    client, annotator, evaluation
):
    item = next_item(client, evaluation)["item"]
    Serving.objects.filter(labeler=annotator).update(
        served_at=timezone.now() - timedelta(seconds=10)
    )
    response = post_answer(client, evaluation, item, active_seconds=3600)
    assert 10 <= response.json()["active_seconds"] < 12
    log = InteractionLog.objects.get()
    assert log.client_active_seconds == 3600
    assert (
        post_answer(
            client, evaluation, next_item(client, evaluation)["item"], active_seconds=-5
        ).json()["active_seconds"]
        == 0
    )


def test_a_body_that_is_not_json_is_refused_with_a_json_error(client, evaluation):
    item = next_item(client, evaluation)["item"]
    response = client.post(
        f"/api/rounds/{evaluation.pk}/answers/",
        "item=" + item,
        content_type="text/plain",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 415 and response.json()["detail"]


def test_an_item_never_served_cannot_be_answered(client, annotator, evaluation):
    first = items_of(evaluation)[0]
    response = post_answer(client, evaluation, first.public_id)
    assert response.status_code == 409 and "never served" in response.json()["detail"]


# --- Reading answers ------------------------------------------------------------------------------


def test_annotators_cannot_read_the_answers(client, evaluation):
    response = client.get(f"/api/rounds/{evaluation.pk}/answers/")
    assert response.status_code == 403 and response.json()["detail"]


def test_researchers_read_every_answer_with_cursor_pages_and_a_labeler_filter(
    annotator, researcher, images, evaluation
):
    other = make_user("bert", "annotator")
    from labeling.rounds.services import round_assign

    round_assign(round=evaluation, users=[other])
    for user, count in ((annotator, 3), (other, 2)):
        client = api_client_for(user)
        for _ in range(count):
            post_answer(client, evaluation, next_item(client, evaluation)["item"], wnid=TENCH)
    reader = api_client_for(researcher)

    page = reader.get(f"/api/rounds/{evaluation.pk}/answers/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"] and page["previous"] is None
    rest = reader.get(page["next"]).json()
    rest2 = reader.get(rest["next"]).json()
    assert len(rest["results"]) + len(rest2["results"]) == 3
    row = page["results"][0]
    assert row["labeler"] == "anna" and row["wnid"] == TENCH and row["position"] == 1
    assert row["image"] == images[0].public_id and row["image_name"] == images[0].original_name
    assert {"served_at", "answered_at", "active_seconds", "picker", "flag", "note"} <= set(row)

    bert = reader.get(f"/api/rounds/{evaluation.pk}/answers/", {"labeler": "bert"}).json()
    assert [r["labeler"] for r in bert["results"]] == ["bert", "bert"]
    bad = reader.get(f"/api/rounds/{evaluation.pk}/answers/", {"page_size": 0})
    assert bad.status_code == 400 and "page_size" in bad.json()
    assert reader.get("/api/rounds/987654/answers/").status_code == 404


def test_progress_estimates_the_time_left_from_the_labelers_own_median(client, evaluation):
    progress = client.get(f"/api/rounds/{evaluation.pk}/progress/").json()
    assert progress == {"done": 0, "total": 5, "median_active_seconds": None, "eta_seconds": None}
    for _ in range(3):
        post_answer(client, evaluation, next_item(client, evaluation)["item"], active_seconds=0)
    progress = client.get(f"/api/rounds/{evaluation.pk}/progress/").json()
    assert progress["done"] == 3 and progress["median_active_seconds"] == 0
    assert progress["eta_seconds"] == 0


# --- Speed: the two hot endpoints -------------------------------------------------------------


def test_next_runs_a_fixed_handful_of_queries(client, evaluation, django_assert_max_num_queries):
    # The token with its user and roles, the assignment with its round, the two items with the
    # serving, recording the serving.
    next_item(client, evaluation)
    with django_assert_max_num_queries(4):
        next_item(client, evaluation)


def test_next_from_a_browser_session_runs_as_few(
    annotator, evaluation, django_assert_max_num_queries
):
    # The session with its user and roles (three queries before), then as above.
    browser = APIClient()  # with a session cookie, as the screen sends it
    browser.force_login(annotator)
    next_item(browser, evaluation)
    with django_assert_max_num_queries(4):
        next_item(browser, evaluation)


def test_answering_from_a_browser_session_runs_as_few(
    annotator, evaluation, django_assert_max_num_queries
):
    taxonomy_snapshot()
    browser = APIClient()  # JSON bodies, sent with a session cookie as the screen does
    browser.force_login(annotator)
    for _ in range(2):
        item = next_item(browser, evaluation)["item"]
        with django_assert_max_num_queries(9 + 1):
            assert post_answer(browser, evaluation, item).status_code == 201


def test_answering_runs_a_fixed_handful_of_queries(
    client, evaluation, django_assert_max_num_queries
):
    # The token with its user and roles, the assignment with its round, the current item with
    # the next two and when it was served; then in one transaction (a savepoint here: its
    # SAVEPOINT and RELEASE count) the cursor moved, the answer, its log and the next item's
    # serving. At most one more query checks that the in-memory class tree is current (every
    # few seconds); the timing task is enqueued on commit, which a test transaction never
    # reaches.
    taxonomy_snapshot()  # a running server has built it long ago
    queries = 9 + 1
    for _ in range(3):
        item = next_item(client, evaluation)["item"]
        with django_assert_max_num_queries(queries):
            assert post_answer(client, evaluation, item).status_code == 201


def test_changing_the_previous_answer_runs_a_bounded_number_of_queries(
    client, evaluation, django_assert_max_num_queries
):
    taxonomy_snapshot()
    first = next_item(client, evaluation)["item"]
    post_answer(client, evaluation, first)
    with django_assert_max_num_queries(16):
        assert post_answer(client, evaluation, first, wnid=TENCH).status_code == 200


# --- Schema -------------------------------------------------------------------------------------


def test_the_schema_lists_every_error_response_of_the_rounds_api(study_admin):
    schema = api_client_for(study_admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    expected = {
        ("/api/rounds/{round_id}/next/", "get"): {"401", "403", "404", "409"},
        ("/api/rounds/{round_id}/previous/", "get"): {"401", "403", "404", "409"},
        ("/api/rounds/{round_id}/answers/", "post"): {"400", "401", "403", "404", "409", "415"},
        ("/api/rounds/{round_id}/answers/", "get"): {"400", "401", "403", "404"},
        ("/api/rounds/", "get"): {"401", "403"},
    }
    for (path, method), codes in expected.items():
        responses = paths[path][method]["responses"]
        assert codes <= set(responses), (path, method)
        for code in codes:
            assert "application/json" in responses[code]["content"], (path, method, code)
    post = paths["/api/rounds/{round_id}/answers/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    get = paths["/api/rounds/{round_id}/answers/"]["get"]
    assert {"labeler", "cursor", "page_size"} <= {p["name"] for p in get["parameters"]}


@pytest.mark.django_db(transaction=True)
def test_the_same_answer_sent_twice_at_once_is_stored_once(annotator, evaluation):
    """A double click, or a retry while the first request is still in flight: two requests with
    one Idempotency-Key race on two connections; one answer is stored, both get its body."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing races")

    item = next_item(api_client_for(annotator), evaluation)["item"]
    responses = sent_twice_at_once(
        annotator, lambda client: post_answer(client, evaluation, item, key="double-click")
    )

    assert sorted(response.status_code for response in responses) == [200, 201]
    assert responses[0].json() == responses[1].json()
    assert Answer.objects.count() == 1 and InteractionLog.objects.count() == 1
