"""A short training round in a real browser: each Confirm shows the feedback (right; then wrong,
with the chosen and the correct class side by side and the note between them), "Next image"
goes on, and the labeler's dashboard then shows the learning curve and a suggestion.

Runs in both passes of scripts/test: the statistics come from the eager task or the worker."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from labeling.accounts.roles import Role
from labeling.guide.models import DistinctionNote
from labeling.images.copies import annotator_copy_create
from labeling.images.services import image_create, reference_thumbnail_create
from labeling.rounds.models import RoundKind
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from labeling.training.models import AnswerStat
from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user, wait_until
from tests.images.factories import make_references, picture, val_source
from tests.rounds.factories import make_round

pytestmark = pytest.mark.browser
NORFOLK, NORWICH = "n02094114", "n02094258"


@pytest.fixture
def practice(transactional_db, serialized_db):
    call_command("load_taxonomy", verbosity=0)
    taxonomy_snapshot_clear()
    anna = make_user("anna", Role.ANNOTATOR)
    norfolk, norwich = Synset.objects.get(wnid=NORFOLK), Synset.objects.get(wnid=NORWICH)
    for synset in (norfolk, norwich):
        for reference in make_references(synset, [1, 2]):
            reference_thumbnail_create(reference=reference)
    note = DistinctionNote.objects.create(title="Norfolk or Norwich: the ears", text="Ears.")
    note.synsets.set([norfolk, norwich])
    images = []
    for n in (1, 2):
        image = image_create(
            source=val_source(),
            original_name=f"ILSVRC2012_val_{880 + n:08d}.JPEG",
            original_label=norfolk,
            data=picture(seed=880 + n),
        )
        annotator_copy_create(image=image)
        images.append(image)
    round = make_round(images, [anna], name="Terriers", kind=RoundKind.TRAINING)
    return round, serialized_db


def answer(page: Page, text: str, name: str) -> None:
    page.wait_for_function(
        "() => { const i = document.getElementById('label-image');"
        " return Boolean(i) && i.complete && i.naturalWidth > 0; }"
    )
    page.get_by_role("combobox", name="Search classes").fill(text)
    page.get_by_role("listbox").get_by_role("option", name=re.compile(f"^{name}")).click()
    expect(page.locator("#label-answer-name")).to_have_text(name)
    page.get_by_role("button", name="Confirm").click()


def test_a_training_round_with_feedback_then_the_dashboard(page: Page, live_server, practice):
    round, db = practice
    log_in(page, live_server, "anna", f"/label/{round.pk}/")
    feedback = page.get_by_role("status", name="Feedback on your answer")
    expect(feedback).to_be_hidden()

    answer(page, "norfolk", "Norfolk terrier")
    expect(feedback).to_be_visible()
    expect(feedback.locator("#label-feedback-title")).to_have_text("Right: Norfolk terrier")
    expect(feedback.get_by_role("list", name="Correct classes")).to_contain_text("Norfolk terrier")
    page.get_by_role("button", name="Next image").click()
    expect(feedback).to_be_hidden()
    expect(page.locator("#label-position")).to_have_text("Image 2 of 2")

    answer(page, "norwich", "Norwich terrier")
    expect(feedback.locator("#label-feedback-title")).to_have_text(
        "Not quite: you chose Norwich terrier"
    )
    expect(feedback.get_by_role("link", name="Norfolk or Norwich: the ears").first).to_be_visible()
    side_by_side = feedback.locator(".feedback-column")
    expect(
        side_by_side.nth(0).get_by_role("heading", level=2, name=re.compile("^Norwich"))
    ).to_be_visible()
    expect(
        side_by_side.nth(1).get_by_role("heading", level=2, name=re.compile("^Norfolk"))
    ).to_be_visible()
    expect(feedback.get_by_role("button", name="Choose")).to_have_count(0)
    feedback.get_by_role("button", name="Ask for practice on these two").click()
    expect(feedback.locator(".feedback-request-status")).to_contain_text("Asked")
    page.get_by_role("button", name="Next image").click()
    expect(page.get_by_role("heading", name="Round finished")).to_be_visible()

    def stats() -> int:
        with db:
            return AnswerStat.objects.filter(round=round).count()

    wait_until(lambda: stats() == 2)
    page.goto(f"{live_server.url}/training/me/")
    curve = page.get_by_role("img", name=re.compile("^Your accuracy per group"))
    expect(curve).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('.training-curve');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    suggestion = page.get_by_role(
        "button", name="Ask for practice on Norfolk terrier and Norwich terrier"
    )
    expect(suggestion).to_be_visible()
    expect(page.get_by_role("table", name="Per training round")).to_contain_text("1 / 2")
    assert not problems_of(page), problems_of(page)
