"""Admins run rounds in the Django admin; every change goes through the services."""

from __future__ import annotations

import pytest

from labeling.rounds.models import Assignment, Round, RoundImage, RoundState
from tests.helpers import api_client_for, login, make_user
from tests.rounds.conftest import VAL_NAMES
from tests.rounds.factories import make_round
from tests.rounds.helpers import next_item, post_answer

pytestmark = pytest.mark.django_db


def add_form(**fields) -> dict:
    return {
        "name": "Evaluation A",
        "kind": "evaluation",
        "shuffle": "on",
        "seed": "",
        "allow_change_previous": "on",
        "idle_limit_seconds": "120",
        "add_images": "",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
        **fields,
    }


def test_an_admin_creates_a_round_by_pasting_image_names(study_admin, annotator, images):
    names = "\n".join(["# the sample", *VAL_NAMES[:3]])
    response = login(study_admin).post(
        "/admin/rounds/round/add/",
        add_form(add_images=names, add_labelers=[annotator.pk], seed="4"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    round = Round.objects.get()
    assert (round.state, round.seed, round.created_by) == (RoundState.DRAFT, 4, study_admin)
    assert RoundImage.objects.filter(round=round).count() == 3
    assert list(Assignment.objects.values_list("user__username", flat=True)) == ["anna"]


def test_unknown_names_are_listed_on_the_form_and_nothing_is_created(study_admin, images):
    response = login(study_admin).post(
        "/admin/rounds/round/add/",
        add_form(add_images=f"{VAL_NAMES[0]}\nILSVRC2012_val_77777777.JPEG\n{VAL_NAMES[0]}"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "line 2: no image named" in page and "line 3:" in page
    assert not Round.objects.exists()


def test_images_are_pasted_into_a_draft_and_it_is_opened_and_closed_by_actions(study_admin, images):
    draft = make_round(images[:1], open=False, shuffle=True, seed=1)
    client = login(study_admin)
    page = client.get(f"/admin/rounds/round/{draft.pk}/change/")
    assert page.status_code == 200 and "add_images" in page.content.decode()
    response = client.post(
        f"/admin/rounds/round/{draft.pk}/change/",
        {
            "name": "Renamed",
            "allow_change_previous": "on",
            "idle_limit_seconds": "90",
            "add_images": "\n".join(VAL_NAMES[1:3]),
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert (draft.name, draft.idle_limit_seconds) == ("Renamed", 90)
    assert RoundImage.objects.filter(round=draft).count() == 3

    changelist = "/admin/rounds/round/"
    client.post(changelist, {"action": "open_rounds", "_selected_action": [draft.pk]})
    assert Round.objects.get(pk=draft.pk).state == RoundState.OPEN
    client.post(changelist, {"action": "close_rounds", "_selected_action": [draft.pk]})
    assert Round.objects.get(pk=draft.pk).state == RoundState.CLOSED
    response = client.post(
        changelist, {"action": "open_rounds", "_selected_action": [draft.pk]}, follow=True
    )
    assert "not opened again" in response.content.decode()


def test_an_open_rounds_rules_are_fixed_but_it_can_be_renamed(study_admin, images):
    round = make_round(images)
    client = login(study_admin)
    response = client.post(
        f"/admin/rounds/round/{round.pk}/change/",
        {"name": "New name", "assignments-TOTAL_FORMS": "0", "assignments-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    round.refresh_from_db()
    assert round.name == "New name" and round.idle_limit_seconds == 120


def test_the_round_page_shows_each_labelers_progress(study_admin, annotator, evaluation):
    client = api_client_for(annotator)
    post_answer(client, evaluation, next_item(client, evaluation)["item"], active_seconds=0)
    page = login(study_admin).get(f"/admin/rounds/round/{evaluation.pk}/change/")
    text = page.content.decode()
    assert "anna" in text and "1 / 5" in text and "0.0 s" in text


def test_a_labeler_is_taken_off_only_before_answering(study_admin, annotator, evaluation):
    other = make_user("bert", "annotator")
    make_round([], [other], name="unrelated", open=False)
    from labeling.rounds.services import round_assign

    round_assign(round=evaluation, users=[other])
    client = api_client_for(annotator)
    post_answer(client, evaluation, next_item(client, evaluation)["item"])
    assignments = list(Assignment.objects.filter(round=evaluation).order_by("user__username"))
    form = {
        "name": evaluation.name,
        "assignments-TOTAL_FORMS": "2",
        "assignments-INITIAL_FORMS": "2",
    }
    for n, assignment in enumerate(assignments):
        form[f"assignments-{n}-id"] = str(assignment.pk)
        form[f"assignments-{n}-round"] = str(evaluation.pk)
        form[f"assignments-{n}-DELETE"] = "on"
    response = login(study_admin).post(
        f"/admin/rounds/round/{evaluation.pk}/change/", form, follow=True
    )
    assert "has answered" in response.content.decode()
    remaining = Assignment.objects.filter(round=evaluation).values_list("user__username", flat=True)
    assert list(remaining) == ["anna"]


def test_answers_logs_and_timings_are_read_only_in_the_admin(study_admin, evaluation):
    client = login(study_admin)
    for model in ("answer", "interactionlog", "answertiming"):
        assert client.get(f"/admin/rounds/{model}/").status_code == 200
        assert client.get(f"/admin/rounds/{model}/add/").status_code == 403


def test_the_admin_refuses_evaluation_images_for_a_training_round_on_the_form(
    study_admin, evaluation
):
    response = login(study_admin).post(
        "/admin/rounds/round/add/",
        add_form(name="Practice", kind="training", add_images=VAL_NAMES[0]),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Training and evaluation images are kept apart" in page and VAL_NAMES[0] in page
    assert Round.objects.count() == 1
