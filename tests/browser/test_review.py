"""The review screen in a real browser: a reviewer judges every candidate of two images with the
keyboard only; each candidate is a group named by its class with verdict radios."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from labeling.accounts.roles import Role
from labeling.images.copies import annotator_copy_create
from labeling.images.services import image_create
from labeling.review.models import Judgment
from labeling.taxonomy.models import Synset
from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user
from tests.images.factories import picture, val_source
from tests.review.factories import make_review_round, predict
from tests.taxonomy.factories import make_imagenet_classes

pytestmark = pytest.mark.browser

TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01484850"


@pytest.fixture
def review(transactional_db, serialized_db):
    make_imagenet_classes()
    reviewer = make_user("rev1", Role.ANNOTATOR)
    tench = Synset.objects.get(wnid=TENCH)
    images = []
    for n in range(2):
        image = image_create(
            source=val_source(),
            original_name=f"ILSVRC2012_val_{900 + n:08d}.JPEG",
            original_label=tench,
            data=picture(seed=n),
        )
        annotator_copy_create(image=image)
        images.append(image)
    predict(images[0], {"net-a": [GOLDFISH], "net-b": [SHARK]})
    round = make_review_round(images, [reviewer])
    return round, serialized_db


def test_a_reviewer_judges_two_images_with_the_keyboard_only(page: Page, live_server, review):
    round, db = review
    log_in(page, live_server, "rev1", f"/label/{round.pk}/")
    expect(page.locator("#review-position")).to_have_text("Image 1 of 2")
    groups = page.locator("#review-candidates > [role=group]")
    expect(groups).to_have_count(3)
    goldfish = page.get_by_role("group", name="goldfish", exact=True)
    expect(goldfish.get_by_role("radio", name="correct")).to_be_visible()
    expect(goldfish).to_contain_text("1 models")

    page.keyboard.press("n")  # nothing judged yet: stays
    expect(page.locator("#review-notice")).to_contain_text("3 left")
    for key in ("1", "c", "2", "w", "3", "u"):
        page.keyboard.press(key)
    expect(goldfish.get_by_role("radio", name="correct")).to_be_checked()
    expect(page.locator("#review-notice")).to_contain_text("Every candidate judged")
    page.keyboard.press("n")

    expect(page.locator("#review-position")).to_have_text("Image 2 of 2")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "1")
    expect(groups).to_have_count(1)
    page.keyboard.press("1")
    page.keyboard.press("c")
    expect(
        page.get_by_role("group", name="tench").get_by_role("radio", name="correct")
    ).to_be_checked()
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="Review finished")).to_be_visible()

    with db:
        verdicts = sorted(
            Judgment.objects.values_list(
                "round_candidate__position", "round_candidate__candidate__synset__wnid", "verdict"
            )
        )
    assert verdicts == sorted(
        [
            (1, GOLDFISH, "correct"),
            (1, SHARK, "wrong"),
            (1, TENCH, "unclear"),
            (2, TENCH, "correct"),
        ]
    )
    assert not problems_of(page), problems_of(page)


def test_the_review_screen_fits_a_phone(open_page, live_server, review):
    round, _ = review
    page = open_page(width=390, height=844)
    log_in(page, live_server, "rev1", f"/label/{round.pk}/")
    expect(page.get_by_role("group", name="goldfish", exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert not problems_of(page), problems_of(page)
