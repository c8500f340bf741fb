"""The class page and the comparison in a real browser: the gallery's viewer works by mouse and by
keyboard, and nothing errs in the console.

Runs in both passes of scripts/test. In the PostgreSQL pass the live server (a thread of this
process) and the Celery worker share the test database, so the test makes its thumbnails itself
and keeps the worker out of it (see `class_data`).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from labeling.accounts.roles import Role
from labeling.guide.models import DistinctionNote, GuideEntry
from labeling.images.models import ReferenceImage
from labeling.images.services import reference_image_create, reference_thumbnail_create
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user
from tests.images.factories import picture

pytestmark = pytest.mark.browser

NORFOLK, NORWICH = "n02094114", "n02094258"
SIZES = [(640, 480), (360, 480), (500, 300)]
VIEWER_IMAGE_LOADED = """() => {
    const image = document.querySelector('#image-viewer .viewer-image');
    return image.complete && image.naturalWidth > 0;
}"""
THUMBNAILS_LOADED = """(selector) => [...document.querySelectorAll(selector)]
    .every((image) => image.complete && image.naturalWidth > 0)"""


@pytest.fixture
def class_data(transactional_db) -> dict[str, list[ReferenceImage]]:
    """The whole taxonomy, two terriers with three reference images each, their guide texts."""
    # Thumbnails are made right here rather than awaited from the worker (whose task, sent on
    # commit, then finds them made: the services are idempotent).
    call_command("load_taxonomy", verbosity=0)
    # The server process keeps the class tree of an earlier test for a few seconds; read this one.
    taxonomy_snapshot_clear()
    make_user("anna", Role.ANNOTATOR)
    references: dict[str, list[ReferenceImage]] = {}
    for offset, wnid in enumerate([NORFOLK, NORWICH]):
        synset = Synset.objects.get(wnid=wnid)
        references[wnid] = []
        for i, (width, height) in enumerate(SIZES):
            reference = reference_image_create(
                synset=synset,
                original_name=f"{wnid}_{i}.JPEG",
                data=picture(width, height, seed=offset * 10 + i + 1),
            )
            references[wnid].append(reference_thumbnail_create(reference=reference))
    norfolk, norwich = Synset.objects.get(wnid=NORFOLK), Synset.objects.get(wnid=NORWICH)
    GuideEntry.objects.create(synset=norfolk, text="Ears **fold forward** at the tip.")
    GuideEntry.objects.create(synset=norwich, text="Ears *stand up*, pointed.")
    note = DistinctionNote.objects.create(
        title="Norfolk or Norwich: look at the ears", text="Dropped ears: Norfolk. Prick: Norwich."
    )
    note.synsets.set([norfolk, norwich])
    return references


def test_the_class_page_and_its_image_viewer(page: Page, live_server, class_data, tmp_path):
    norfolk = class_data[NORFOLK]
    log_in(page, live_server, "anna", f"/classes/{NORFOLK}/")

    expect(page.locator("h1")).to_have_text("Norfolk terrier")
    expect(page.locator(".about .gloss")).to_contain_text("grizzled coat and dropped ears")
    # dog.n.01 is both a canine and a domestic animal: two paths from the root.
    paths = page.locator("ol.paths > li")
    expect(paths).to_have_count(2)
    expect(paths.nth(0)).to_contain_text("entity")
    expect(page.locator("ol.paths")).to_contain_text("domestic animal")
    expect(page.locator("ol.paths")).to_contain_text("canine")
    expect(page.locator(".guide-panel")).to_contain_text("fold forward")
    expect(page.locator(".guide-panel strong")).to_have_text("fold forward")
    expect(page.locator(".partners")).to_contain_text("Norwich terrier")

    thumbs = page.locator(".gallery button.thumb")
    expect(thumbs).to_have_count(3)
    thumbs.first.scroll_into_view_if_needed()
    page.wait_for_function(THUMBNAILS_LOADED, arg=".gallery button.thumb img")
    screenshot = tmp_path / "class-page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0

    # Click: the first image, full size.
    viewer = page.locator("dialog#image-viewer")
    viewer_image = viewer.locator("img.viewer-image")
    caption = viewer.locator(".viewer-caption")
    thumbs.first.click()
    expect(viewer).to_be_visible()
    page.wait_for_function(VIEWER_IMAGE_LOADED)
    expect(caption).to_have_text("Norfolk terrier — 1 / 3")
    assert viewer_image.get_attribute("src") == f"/files/references/{norfolk[0].pk}/"
    assert viewer_image.evaluate("image => image.naturalWidth") == SIZES[0][0]
    shot_open = tmp_path / "class-page-viewer.png"
    page.screenshot(path=str(shot_open))
    assert shot_open.stat().st_size > 0

    # ArrowRight: the next one.
    page.keyboard.press("ArrowRight")
    expect(caption).to_have_text("Norfolk terrier — 2 / 3")
    expect(viewer_image).to_have_attribute("src", f"/files/references/{norfolk[1].pk}/")
    page.wait_for_function(VIEWER_IMAGE_LOADED)
    assert viewer_image.evaluate("image => image.naturalWidth") == SIZES[1][0]

    # Escape closes, and focus goes back to the thumbnail that opened the viewer.
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    page.wait_for_function("document.activeElement === document.querySelector('button.thumb')")

    # Keyboard only: a focused thumbnail opens with Enter; ArrowRight wraps around at the end.
    thumbs.nth(2).focus()
    page.keyboard.press("Enter")
    expect(viewer).to_be_visible()
    expect(caption).to_have_text("Norfolk terrier — 3 / 3")
    page.keyboard.press("ArrowRight")
    expect(caption).to_have_text("Norfolk terrier — 1 / 3")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    assert not problems_of(page), problems_of(page)


def test_the_compare_view_shows_both_classes_with_their_galleries(
    page: Page, live_server, class_data, tmp_path
):
    log_in(page, live_server, "anna", f"/classes/{NORFOLK}/")
    # The "Compare with…" form takes an exact name.
    page.fill("#compare-with", "Norwich terrier")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/classes/compare/?wnids={NORFOLK}%2C{NORWICH}")

    columns = page.locator(".compare-column")
    expect(columns).to_have_count(2)
    expect(columns.nth(0).locator("h2")).to_have_text("Norfolk terrier")
    expect(columns.nth(1).locator("h2")).to_have_text("Norwich terrier")
    expect(columns.nth(1)).to_contain_text("stand up")
    expect(page.locator(".shared-notes")).to_contain_text("Norfolk or Norwich: look at the ears")
    for column in range(2):
        expect(columns.nth(column).locator("button.thumb")).to_have_count(3)
    page.wait_for_function(THUMBNAILS_LOADED, arg=".compare-column button.thumb img")
    screenshot = tmp_path / "compare.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0

    # The viewer moves within the column's own gallery.
    columns.nth(1).locator("button.thumb").first.click()
    caption = page.locator("#image-viewer .viewer-caption")
    expect(caption).to_have_text("Norwich terrier — 1 / 3")
    page.wait_for_function(VIEWER_IMAGE_LOADED)
    page.keyboard.press("ArrowLeft")
    expect(caption).to_have_text("Norwich terrier — 3 / 3")
    expect(page.locator("#image-viewer .viewer-image")).to_have_attribute(
        "src", f"/files/references/{class_data[NORWICH][2].pk}/"
    )
    page.keyboard.press("Escape")
    expect(page.locator("dialog#image-viewer")).to_be_hidden()

    assert not problems_of(page), problems_of(page)
