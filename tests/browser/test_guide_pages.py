"""The guide in a real browser: the editor previews as one types, and the index's live filter
hides what does not match, card by card, at desktop and at phone width.

Runs in both passes of scripts/test; the test data is made before the pages are opened.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from labeling.accounts.roles import Role
from labeling.guide.models import GuideEntry
from labeling.guide.services import distinction_note_save, guide_entry_save
from tests.browser.helpers import problems_of
from tests.helpers import login, make_user
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def annotator_cookie(transactional_db) -> str:
    """Two entries and a note; the annotator's session."""
    annotator = make_user("anna", Role.ANNOTATOR)
    norfolk, norwich, laptop = make_class("norfolk"), make_class("norwich"), make_class("laptop")
    guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator)
    guide_entry_save(synset=laptop, text="A hinged screen.", author=annotator)
    distinction_note_save(
        title="Ears: drop or prick", text="x", synsets=[norfolk, norwich], author=annotator
    )
    return login(annotator).cookies["sessionid"].value


def open_page(page: Page, live_server, cookie: str, path: str) -> None:
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
    page.goto(f"{live_server.url}{path}")


def test_the_editor_previews_as_you_type(page: Page, live_server, annotator_cookie):
    open_page(page, live_server, annotator_cookie, "/guide/entries/n02094114/edit/")
    page.fill(
        "textarea[name=text]", "**Prick** ears unlike [[n02094258]] <img src=x onerror=alert(1)>"
    )
    preview = page.locator(".guide-preview")
    expect(preview.locator("strong", has_text="Prick")).to_be_visible()
    expect(preview.locator("a.class-link[href='/classes/n02094258/']")).to_have_text(
        "Norwich terrier"
    )
    expect(preview.locator("img")).to_have_count(0)
    page.fill("input[name=comment]", "ears")
    page.click("form.guide-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/guide/entries/n02094114/")
    assert not problems_of(page), problems_of(page)
    entry = GuideEntry.objects.get(synset__wnid="n02094114")
    assert entry.text.startswith("**Prick** ears") and entry.revisions.count() == 2


@pytest.mark.parametrize("width", [1280, 390])
def test_the_index_filter_hides_empty_cards_and_counts_what_it_shows(
    page: Page, live_server, annotator_cookie, width
):
    page.set_viewport_size({"width": width, "height": 900})
    open_page(page, live_server, annotator_cookie, "/guide/")
    entries = page.locator("[data-filter-group]", has_text="Class entries")
    notes = page.locator("[data-filter-group]", has_text="Distinction notes")
    nothing = page.locator("#guide-filter-empty")
    expect(entries.locator("[data-filter-count]")).to_have_text("2")
    expect(notes.locator("[data-filter-count]")).to_have_text("1")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.fill("#guide-q", "norw")  # only the note is about the Norwich terrier
    expect(entries).to_be_hidden()
    expect(notes).to_be_visible()
    expect(notes.locator("[data-filter-count]")).to_have_text("1")

    page.fill("#guide-q", "Lapt")  # case does not matter
    expect(entries).to_be_visible()
    expect(entries.locator("[data-filter-count]")).to_have_text("1")
    expect(entries.locator("li:visible")).to_have_count(1)
    expect(entries.locator("li:visible")).to_contain_text("laptop")
    expect(notes).to_be_hidden()
    expect(nothing).to_be_hidden()

    page.fill("#guide-q", "zebra")
    expect(entries).to_be_hidden()
    expect(notes).to_be_hidden()
    expect(nothing).to_be_visible()
    expect(nothing).to_contain_text("“zebra”")

    page.fill("#guide-q", "")
    expect(entries.locator("[data-filter-count]")).to_have_text("2")
    expect(notes.locator("[data-filter-count]")).to_have_text("1")
    expect(nothing).to_be_hidden()
    # At phone width too: nothing pushed off the side, the search fits on the screen.
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    box = page.locator(".guide-search button[type=submit]").bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    assert not problems_of(page), problems_of(page)
