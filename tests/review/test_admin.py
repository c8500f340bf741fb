"""Admins see a review round's change report and agreement, apply its consensus rule and
adjudicate what the rule left open, seeing every judgment."""

from __future__ import annotations

import pytest

from labeling.audit.models import AuditEntry
from labeling.review.models import Decision, ImageLabel, LabelChange, RoundCandidate
from labeling.review.services import final_review_create
from tests.helpers import login
from tests.review.conftest import GOLDFISH, TENCH
from tests.review.factories import make_review_round
from tests.review.test_services import evaluation, judge_all  # noqa: F401  (a fixture)

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
