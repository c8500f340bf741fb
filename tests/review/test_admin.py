"""Admins see a review round's change report and agreement, apply its consensus rule and
adjudicate what the rule left open, seeing every judgment; they create both kinds of review
round on pages of their own, getting the rounds the commands make."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from labeling.audit.models import AuditEntry
from labeling.review.models import Decision, ImageLabel, LabelChange, ReviewRound, RoundCandidate
from labeling.review.services import final_review_create, image_labels_replace
from labeling.rounds.models import Round
from labeling.taxonomy.models import Synset
from tests.helpers import login
from tests.review.conftest import GOLDFISH, NAMES, SHARK, TENCH
from tests.review.factories import make_review_round
from tests.review.test_services import (
    evaluation,  # noqa: F401  (a fixture)
    judge_all,
    many_predictions,  # noqa: F401  (a fixture)
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(images, reviewers):
    """Everyone agrees except on goldfish of image 1 (rev3 says wrong)."""
    round = make_review_round(images, reviewers)
    for reviewer in reviewers[:2]:
        judge_all(round, reviewer, {TENCH: "correct", GOLDFISH: "correct"})
    judge_all(round, reviewers[2], {TENCH: "correct"})
    return round


def test_the_review_round_page_shows_the_change_report_and_agreement(judged, study_admin):
    client = login(study_admin)
    url = f"/admin/review/reviewround/{judged.pk}/adjudicate/"
    assert client.post(url, {"apply": "1"}).status_code == 302
    page = client.get(f"/admin/review/reviewround/{judged.pk}/change/").content.decode()
    assert "1 images labeled: 0 unchanged, 1 with labels added" in page
    assert "Fleiss&#x27; kappa" in page or "Fleiss' kappa" in page
    assert "rev1 / rev2: 1.000 over 6 candidates" in page


def test_an_admin_adjudicates_seeing_every_judgment(judged, study_admin, images):
    client = login(study_admin)
    url = f"/admin/review/reviewround/{judged.pk}/adjudicate/"
    client.post(url, {"apply": "1"})
    page = client.get(url).content.decode()
    assert page.count("<section") == 2  # goldfish of images 1 and 2
    assert "rev1: correct" in page and "rev3: wrong" in page
    for rc in RoundCandidate.objects.filter(round=judged, decision__isnull=True):
        response = client.post(url, {"candidate": rc.public_id, "state": "correct", "note": "fins"})
        assert response.status_code == 302
    assert Decision.objects.filter(how="adjudication").count() == 2
    assert (
        ImageLabel.objects.filter(image=images[1], synset__wnid=GOLDFISH).get().state == "correct"
    )
    change = LabelChange.objects.get(image=images[1], synset__wnid=GOLDFISH)
    assert (change.changed_by, change.old_state, change.new_state) == (study_admin, "", "correct")
    assert "adjudication by adam: fins" in change.source
    assert "Nothing waits" in client.get(url).content.decode()
    audited = AuditEntry.objects.filter(action="adjudication.decided")
    assert audited.count() == 2
    assert {(entry.actor, entry.details["state"]) for entry in audited} == {
        (study_admin, "correct")
    }


def test_a_reviewer_cannot_open_the_adjudication_page(judged, reviewers):
    response = login(reviewers[0]).get(f"/admin/review/reviewround/{judged.pk}/adjudicate/")
    assert response.status_code == 302  # to the admin login


def test_the_rounds_admin_page_links_to_its_review_page(judged, study_admin):
    page = login(study_admin).get(f"/admin/rounds/round/{judged.pk}/change/").content.decode()
    assert f"/admin/review/reviewround/{judged.pk}/change/" in page


def test_an_admin_marks_an_image_problematic_instead_of_deciding_its_classes(
    judged, study_admin, images
):
    client = login(study_admin)
    url = f"/admin/review/reviewround/{judged.pk}/adjudicate/"
    client.post(url, {"apply": "1"})
    assert client.get(url).content.decode().count('name="problematic"') == 2  # once per image
    refused = client.post(
        url,
        {"problematic": "1", "item": judged.items.get(image=images[1]).public_id, "reason": " "},
        follow=True,
    )
    assert "Say why the image is problematic" in refused.content.decode()
    item = judged.items.get(image=images[0])
    response = client.post(url, {"problematic": "1", "item": item.public_id, "reason": "drawn"})
    assert response.status_code == 302
    images[0].refresh_from_db()
    images[1].refresh_from_db()
    assert images[0].problematic and not images[1].problematic
    assert client.get(url).content.decode().count("<section") == 1  # image 1's goldfish only
    assert AuditEntry.objects.filter(action="adjudication.problematic", actor=study_admin).exists()
    page = client.get(f"/admin/review/reviewround/{judged.pk}/change/").content.decode()
    assert "1 marked problematic in adjudication" in page


def test_a_final_reviews_page_shows_the_seed_it_was_drawn_with(evaluation, reviewers, study_admin):  # noqa: F811
    final = final_review_create(
        source_round=evaluation, name="Final", reviewers=reviewers[2:], seed=987654
    )
    page = login(study_admin).get(f"/admin/review/reviewround/{final.pk}/change/").content.decode()
    assert "987654" in page


# --- Creating review rounds ------------------------------------------------------------------

ANNOTATION_PAGE = "/admin/review/reviewround/create-annotation-review/"
FINAL_PAGE = "/admin/review/reviewround/create-final-review/"


def command(*args: str) -> Round:
    """The round a command creates (its id is the last line of its output)."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return Round.objects.get(pk=int(out.getvalue().split()[-1]))


def made_on_the_page(client: Client, page: str, data: dict[str, Any]) -> tuple[Round, str]:
    """The round the page created, and the message shown on the round's page it leads to."""
    response = client.post(page, data, follow=True)
    assert response.redirect_chain, response.content.decode()
    round = Round.objects.latest("pk")
    assert response.redirect_chain[-1][0] == f"/admin/review/reviewround/{round.pk}/change/"
    return round, " ".join(str(message) for message in response.context["messages"])


def everything_of(round: Round) -> dict[str, Any]:
    """All that makes a review round what it is, but its name, id and time."""
    review = ReviewRound.objects.get(round=round)
    return {
        "kind": round.kind,
        "state": round.state,
        "reviewers": sorted(round.assignments.values_list("user__username", flat=True)),
        "settings": (
            review.hide_model_counts,
            review.consensus_rule,
            review.source_round_id,
            review.seed,
        ),
        "images": list(round.items.order_by("position").values_list("image_id", flat=True)),
        "candidates": list(
            RoundCandidate.objects.filter(round=round)
            .order_by("position", "order")
            .values_list("position", "order", "candidate__synset__wnid", "candidate__model_count")
        ),
    }


def test_the_review_rounds_list_links_to_both_creation_pages(study_admin):
    page = login(study_admin).get("/admin/review/reviewround/").content.decode()
    assert f'href="{ANNOTATION_PAGE}">Create an annotation review round<' in page
    assert f'href="{FINAL_PAGE}">Create the final review of an evaluation round<' in page


def test_an_annotation_review_made_on_the_page_is_the_round_the_command_makes(
    images, reviewers, study_admin, tmp_path
):
    listed = "# to review\n" + "\n".join(NAMES) + "\n"
    round, message = made_on_the_page(
        login(study_admin),
        ANNOTATION_PAGE,
        {
            "name": "Review A",
            "images": listed,
            "reviewers": [reviewers[0].pk, reviewers[1].pk],
            "consensus_rule": "majority",
        },
    )
    assert message == (
        "Created and opened annotation review round 'Review A': 3 images, 6 candidates."
    )
    assert round.name == "Review A" and round.created_by == study_admin
    assert AuditEntry.objects.filter(action="round.opened", actor=study_admin).exists()
    (tmp_path / "images.txt").write_text(listed)
    by_command = command(
        "create_review_round",
        "--name=Review B",
        f"--images={tmp_path / 'images.txt'}",
        "--reviewers=rev1,rev2",
        "--consensus=majority",
    )
    assert everything_of(round) == everything_of(by_command)


def test_hiding_model_counts_on_the_page_lists_candidates_with_a_seed_it_shows(
    images, reviewers, study_admin
):
    round, message = made_on_the_page(
        login(study_admin),
        ANNOTATION_PAGE,
        {
            "name": "Blind",
            "images": NAMES[0],
            "reviewers": [reviewers[0].pk],
            "hide_model_counts": "on",
            "consensus_rule": "unanimous",
        },
    )
    review = ReviewRound.objects.get(round=round)
    assert review.hide_model_counts and review.seed is not None
    assert message.endswith(f"1 images, 3 candidates, seed {review.seed}.")


@pytest.mark.parametrize("seed", ["1234", ""])
def test_a_final_review_made_on_the_page_has_the_candidates_the_command_gives_for_its_seed(
    many_predictions,  # noqa: F811
    reviewers,
    study_admin,
    seed,
):
    round, message = made_on_the_page(
        login(study_admin),
        FINAL_PAGE,
        {
            "source_round": many_predictions.pk,
            "name": "Final",
            "reviewers": [reviewers[1].pk, reviewers[2].pk],
            "seed": seed,
            "models_per_image": "2",
            "consensus_rule": "unanimous",
        },
    )
    drawn = ReviewRound.objects.get(round=round).seed
    assert drawn is not None and (seed == "" or drawn == int(seed))
    assert message == (
        f"Created and opened final review round 'Final': 2 images, 6 candidates, seed {drawn}."
    )
    by_command = command(
        "create_final_review",
        f"--from-round={many_predictions.pk}",
        "--name=Final again",
        "--reviewers=rev2,rev3",
        f"--seed={drawn}",
        "--models-per-image=2",
    )
    assert everything_of(round) == everything_of(by_command)


def test_the_final_review_page_offers_the_evaluation_rounds_only(
    evaluation,  # noqa: F811
    images,
    reviewers,
    study_admin,
):
    make_review_round(images, reviewers, name="Not an evaluation")
    page = login(study_admin).get(FINAL_PAGE).content.decode()
    offered = re.findall(r'<option value="(\d+)"', page)
    assert offered == [str(evaluation.pk)]


def test_unknown_image_names_are_shown_and_nothing_is_created(images, reviewers, study_admin):
    response = login(study_admin).post(
        ANNOTATION_PAGE,
        {
            "name": "R",
            "images": f"{NAMES[0]}\nnope.JPEG\n{NAMES[0]}",
            "consensus_rule": "unanimous",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 2: no image named &#x27;nope.JPEG&#x27;" in page
    assert (
        "line 3: &#x27;ILSVRC2012_val_00000201.JPEG&#x27; is listed again (first on line 1)" in page
    )
    assert not Round.objects.exists()


def test_a_refusal_of_the_service_is_shown_and_nothing_is_half_created(
    images, reviewers, study_admin
):
    """The service creates the round, then refuses to open it without images: its transaction
    takes the round back."""
    response = login(study_admin).post(
        ANNOTATION_PAGE, {"name": "Empty", "images": "# none yet", "consensus_rule": "unanimous"}
    )
    assert "Empty has no images yet" in response.content.decode()
    assert not Round.objects.exists() and not ReviewRound.objects.exists()


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"models_per_image": "0"}, "At least one model prediction per image."),
        ({"seed": "-1"}, "The seed is a non-negative integer."),
        ({"seed": str(2**63)}, "The seed is a non-negative integer."),
    ],
)
def test_the_final_review_page_shows_what_the_service_refuses_by_its_field(
    evaluation,  # noqa: F811
    reviewers,
    study_admin,
    change,
    shown,
):
    data = {
        "source_round": evaluation.pk,
        "name": "Final",
        "models_per_image": "2",
        "consensus_rule": "unanimous",
        **change,
    }
    response = login(study_admin).post(FINAL_PAGE, data)
    field = next(iter(change))
    assert shown in str(response.context["form"].errors[field])
    assert shown in response.content.decode()
    assert not Round.objects.exclude(pk=evaluation.pk).exists()


def test_a_final_review_of_answers_all_judged_already_is_refused_on_the_page(
    evaluation,  # noqa: F811
    images,
    study_admin,
):
    goldfish, shark, tench = (Synset.objects.get(wnid=w) for w in (GOLDFISH, SHARK, TENCH))
    image_labels_replace(
        labels={
            images[0].pk: {goldfish.pk: "correct", shark.pk: "wrong"},
            images[1].pk: {tench.pk: "correct"},
        },
        source="import:y",
    )
    response = login(study_admin).post(
        FINAL_PAGE,
        {
            "source_round": evaluation.pk,
            "name": "Final",
            "models_per_image": "2",
            "consensus_rule": "unanimous",
        },
    )
    assert response.context["form"].non_field_errors() == [
        f"Every answer of {evaluation.name} is judged already."
    ]
    assert not Round.objects.exclude(pk=evaluation.pk).exists()


@pytest.mark.parametrize("page", [ANNOTATION_PAGE, FINAL_PAGE])
def test_only_study_admins_reach_the_creation_pages(
    page,
    evaluation,  # noqa: F811
    reviewers,
    researcher,
):
    # What either page would take from a study admin (each reads its own fields).
    data = {
        "name": "R",
        "images": NAMES[0],
        "source_round": evaluation.pk,
        "models_per_image": "2",
        "consensus_rule": "unanimous",
    }
    for user in (reviewers[0], researcher):
        response = login(user).post(page, data)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    # Staff without the study admin's permissions (an admin-site account of another kind).
    staff = User.objects.create_user("stan", is_staff=True)
    assert login(staff).get(page).status_code == 403
    assert login(staff).post(page, data).status_code == 403
    assert list(Round.objects.all()) == [evaluation]


def test_the_annotation_review_page_can_take_the_images_awaiting_review(
    images, reviewers, study_admin
):
    client = login(study_admin)
    round, message = made_on_the_page(
        client,
        ANNOTATION_PAGE,
        {
            "name": "Pool",
            "awaiting_sources": ["imagenet-val"],
            "awaiting_limit": "1",
            "reviewers": [reviewers[0].pk],
            "consensus_rule": "unanimous",
        },
    )
    assert message.startswith("Created and opened annotation review round 'Pool': 1 images")
    assert list(round.items.values_list("image_id", flat=True)) == [images[0].pk]

    both = client.post(
        ANNOTATION_PAGE,
        {
            "name": "Both",
            "images": NAMES[1],
            "awaiting_sources": ["imagenet-val"],
            "reviewers": [reviewers[0].pk],
            "consensus_rule": "unanimous",
        },
    ).content.decode()
    neither = client.post(
        ANNOTATION_PAGE,
        {"name": "Neither", "reviewers": [reviewers[0].pk], "consensus_rule": "unanimous"},
    ).content.decode()
    assert "Either list the images or take those awaiting." in both
    assert "Neither has no images yet" in neither
    assert not Round.objects.filter(name__in=["Both", "Neither"]).exists()
