"""Admins run rounds in the Django admin; every change goes through the services."""

from __future__ import annotations

import pytest

from labeling.guide.selectors import guide_active_freeze
from labeling.rounds.models import Assignment, Round, RoundImage, RoundState
from labeling.rounds.sampling import evaluation_sample
from labeling.rounds.services import round_open
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


@pytest.mark.parametrize("kind", ["annotation_review", "final_review"])
def test_the_add_form_makes_no_review_round_and_points_to_the_review_round_pages(
    study_admin, images, kind
):
    client = login(study_admin)
    assert (
        "Create an annotation review round"
        in client.get("/admin/rounds/round/add/").content.decode()
    )
    response = client.post("/admin/rounds/round/add/", add_form(kind=kind, add_images=VAL_NAMES[0]))
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors["kind"])
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


def test_an_admin_draws_an_evaluation_round_per_class_and_freezes_the_guide_until_it_closes(
    study_admin, sampling_pool
):
    client = login(study_admin)
    form = client.get("/admin/rounds/round/add/").content.decode()
    assert 'name="sample_per_class"' in form and 'name="freeze_guide"' in form

    response = client.post(
        "/admin/rounds/round/add/",
        add_form(
            sample_per_class="1",
            sample_sources=["imagenet-val", "imagenetv2-matched-frequency"],
            seed="7",
            freeze_guide="on",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    round = Round.objects.get(kind="evaluation")
    expected = evaluation_sample(
        per_class=1, sources=["imagenet-val", "imagenetv2-matched-frequency"], seed=7
    ).image_ids
    drawn = RoundImage.objects.filter(round=round).values_list("image_id", flat=True)
    assert (round.seed, sorted(drawn)) == (7, sorted(expected))
    freeze = guide_active_freeze()
    assert freeze is not None and round.guide_freeze == freeze
    page = client.get(f"/admin/rounds/round/{round.pk}/change/").content.decode()
    assert f"{freeze.name}</a> (active until the round closes)" in page

    round_open(round=round)
    client.post("/admin/rounds/round/", {"action": "close_rounds", "_selected_action": [round.pk]})
    assert guide_active_freeze() is None


def test_a_per_class_draw_the_pool_cannot_supply_is_refused_on_the_form(study_admin, sampling_pool):
    response = login(study_admin).post(
        "/admin/rounds/round/add/",
        add_form(sample_per_class="4", sample_sources=["imagenet-val"], freeze_guide="on"),
    )
    assert response.status_code == 200
    assert "imagenet-val has 3 eligible image(s) of n01440764, fewer than 4" in (
        response.content.decode()
    )
    assert not Round.objects.filter(kind="evaluation").exists() and guide_active_freeze() is None


def test_drawing_per_class_is_for_a_new_evaluation_round_from_no_list(study_admin, sampling_pool):
    client = login(study_admin)
    training = client.post(
        "/admin/rounds/round/add/",
        add_form(kind="training", sample_per_class="1", sample_sources=["imagenet-val"]),
    )
    both = client.post(
        "/admin/rounds/round/add/",
        add_form(
            sample_per_class="1",
            sample_sources=["imagenet-val"],
            add_images="ILSVRC2012_val_00000001.JPEG",
        ),
    )
    assert "Only an evaluation round is drawn per class." in training.content.decode()
    assert "Either list the images or draw them, not both." in both.content.decode()
    assert not Round.objects.filter(name="Evaluation A").exists()


def test_an_admin_freezes_the_guide_for_a_round_with_an_action_and_is_told_when_it_is_frozen(
    study_admin, images
):
    first, second = make_round(images), make_round(images, name="Evaluation 2")
    client = login(study_admin)

    done = client.post(
        "/admin/rounds/round/",
        {"action": "freeze_guide", "_selected_action": [first.pk]},
        follow=True,
    ).content.decode()
    refused = client.post(
        "/admin/rounds/round/",
        {"action": "freeze_guide", "_selected_action": [second.pk]},
        follow=True,
    ).content.decode()

    assert "The guide is frozen (Evaluation round" in done
    assert "already frozen" in refused
    first.refresh_from_db()
    assert first.guide_freeze == guide_active_freeze()
    second.refresh_from_db()
    assert second.guide_freeze is None
