"""The labeling screen in a real browser: annotators label images with the search picker only,
with the hierarchy only and with the keyboard only; a reload or another browser resumes at the
same image; the stored timing is plausible; controls are found by their roles and names; the
screen works at phone width; and nothing the page loads in an evaluation round gives the answer
away.

Runs in both passes of scripts/test. The test makes the annotator copies of its images and the
reference thumbnails itself, so the worker of the PostgreSQL pass finds them made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from labeling.accounts.roles import Role
from labeling.guide.models import DistinctionNote, GuideEntry
from labeling.images.copies import annotator_copy_create
from labeling.images.models import Image
from labeling.images.services import image_create, reference_thumbnail_create
from labeling.rounds.models import Answer, InteractionLog, Round, RoundImage, Serving
from labeling.taxonomy.models import Synset
from labeling.taxonomy.snapshot import taxonomy_snapshot, taxonomy_snapshot_clear
from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user
from tests.images.factories import make_references, probe_picture, val_source
from tests.rounds.factories import make_round

pytestmark = pytest.mark.browser
T = TypeVar("T")

NORFOLK, NORWICH, TENCH, GOLDFISH = "n02094114", "n02094258", "n01440764", "n01443537"
IMAGES = 4
SECRET = "leakprobe-7f3a"
IMAGE_LOADED = """() => {
    const image = document.getElementById('label-image');
    return Boolean(image) && image.complete && image.naturalWidth > 0;
}"""


@dataclass
class Labeling:
    """The round, and the test's reads of the database while the page may be loading (taking
    turns with the live server: see `serialized_db`)."""

    round: Round
    images: list[Image]
    db: AbstractContextManager

    def read(self, query: Callable[[], T]) -> T:
        with self.db:
            return query()

    def item_at(self, position: int) -> RoundImage:
        return self.read(
            lambda: RoundImage.objects.select_related("image").get(
                round=self.round, position=position
            )
        )

    def answers(self) -> list[Answer]:
        """The round's answers by position, with their logs and change audit."""
        return self.read(
            lambda: list(
                Answer.objects.filter(round_image__round=self.round)
                .select_related("round_image")
                .prefetch_related("logs", "changes")
                .order_by("round_image__position")
            )
        )


@pytest.fixture
def labeling(transactional_db, serialized_db) -> Labeling:
    """The whole class tree, two terriers with reference images and guide texts, and an open
    evaluation round of four images (all originally labeled tench) assigned to anna."""
    call_command("load_taxonomy", verbosity=0)
    taxonomy_snapshot_clear()
    anna = make_user("anna", Role.ANNOTATOR)
    tench = Synset.objects.get(wnid=TENCH)
    norfolk, norwich = Synset.objects.get(wnid=NORFOLK), Synset.objects.get(wnid=NORWICH)
    for synset in (norfolk, norwich):
        for reference in make_references(synset, [1, 2, 3, 4]):
            reference_thumbnail_create(reference=reference)
    GuideEntry.objects.create(synset=norfolk, text="Ears **fold forward** at the tip.")
    GuideEntry.objects.create(synset=norwich, text="Ears *stand up*, pointed.")
    note = DistinctionNote.objects.create(
        title="Norfolk or Norwich: look at the ears", text="Dropped ears: Norfolk. Prick: Norwich."
    )
    note.synsets.set([norfolk, norwich])
    images = []
    for n in range(1, IMAGES + 1):
        name = f"ILSVRC2012_val_{770 + n:08d}.JPEG"
        image = image_create(
            source=val_source(),
            original_name=name,
            original_label=tench,
            data=probe_picture(f"{SECRET} {TENCH} {name}", width=320 + 40 * n),
            file_name=name,
        )
        annotator_copy_create(image=image)
        images.append(image)
    round = make_round(images, [anna], name="Evaluation A")
    return Labeling(round=round, images=images, db=serialized_db)


def screen_url(labeling: Labeling) -> str:
    return f"/label/{labeling.round.pk}/"


def expect_image(page: Page, labeling: Labeling, position: int) -> None:
    """The screen shows the round's image at this position, decoded and painted, and knows it
    as the server's current item (the image appears at Confirm, its item id with the answer's
    response)."""
    expect(page.locator("#label-position")).to_have_text(f"Image {position} of {IMAGES}")
    item = labeling.item_at(position)
    expect(page.locator("#label-screen")).to_have_attribute("data-item", item.public_id)
    image = page.get_by_role("img", name="Image to label")
    public_id = item.image.public_id
    expect(image).to_have_attribute("src", re.compile(f"/files/images/{public_id}/$"))
    page.wait_for_function(IMAGE_LOADED)
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("aria-valuenow", str(position - 1))
    expect(progress).to_have_attribute("aria-valuemax", str(IMAGES))


def search_and_view(page: Page, text: str, name: str) -> None:
    box = page.get_by_role("combobox", name="Search classes")
    box.fill(text)
    page.get_by_role("listbox").get_by_role("option", name=re.compile(f"^{name}")).click()
    expect(page.locator("#label-answer-name")).to_have_text(name)


def path_to(wnid: str) -> set[str]:
    return {node.wnid for path in taxonomy_snapshot().paths(wnid) for node in path}


def open_in_tree(page: Page, wnid: str) -> None:
    """Click down the hierarchy from the root to the class, then click the class."""
    on_path = path_to(wnid)
    tree = page.get_by_role("tree", name="Class hierarchy")
    item = tree.get_by_role("treeitem").first
    expect(item).to_have_attribute("aria-expanded", "true")
    while True:
        kids = item.locator(":scope > [role=group] > [role=treeitem]")
        expect(kids.first).to_be_visible()
        wnids = kids.evaluate_all("items => items.map((item) => item.dataset.wnid)")
        index = (
            wnids.index(wnid)
            if wnid in wnids
            else next(i for i, w in enumerate(wnids) if w in on_path)
        )
        kid = kids.nth(index)
        kid.locator(":scope > .tree-row").click()
        if wnids[index] == wnid:
            expect(kid).to_have_attribute("aria-selected", "true")
            return
        expect(kid).to_have_attribute("aria-expanded", "true")
        item = kid


def assert_plausible_timing(answer: Answer, *, picker: str) -> InteractionLog:
    assert answer.answered_at and answer.served_at and answer.active_time is not None
    wall = answer.answered_at - answer.served_at
    assert timedelta(0) < answer.active_time <= wall
    assert answer.picker == picker
    (log,) = answer.logs.all()
    # The page counts from the moment the image appeared, which (shown optimistically at the
    # previous Confirm) may precede the server's served_at by that answer's round trip.
    assert 0 < log.client_active_seconds <= wall.total_seconds() + 2
    types = [event["type"] for event in log.events]
    assert types[-1] == "confirm" and log.events[-1]["picker"] == picker
    assert "candidate_view" in types
    times = [event["t"] for event in log.events]
    assert times == sorted(times) and times[0] >= 0
    return log


def test_labeling_with_the_search_picker_only(page: Page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    box = page.get_by_role("combobox", name="Search classes")
    expect(box).to_be_focused()

    box.fill("norfolk")
    listbox = page.get_by_role("listbox")
    first = listbox.get_by_role("option").first
    expect(first).to_contain_text("Norfolk terrier")
    expect(first).to_contain_text("dog")  # its group
    expect(first).to_contain_text("terrier \u203a Norfolk terrier")  # its short path
    expect(first).to_have_attribute("aria-selected", "true")  # active as you type
    expect(box).to_have_attribute("aria-activedescendant", f"result-{NORFOLK}")
    thumbnails = first.locator(".result-thumbs img")
    expect(thumbnails).to_have_count(3)
    first.click()
    panel = page.locator("#label-candidate")
    expect(panel.get_by_role("heading", name=re.compile("^Norfolk terrier"))).to_be_visible()
    expect(panel).to_contain_text("fold forward")  # the guide entry, rendered
    expect(panel).to_contain_text("Norfolk or Norwich: look at the ears")  # the note
    expect(panel.locator("[data-gallery] button.thumb")).to_have_count(4)
    assert labeling.read(Answer.objects.count) == 0  # viewing is not answering

    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    expect(box).to_have_value("")
    expect(page.locator("#label-answer-name")).to_have_text("none chosen yet")

    # Ctrl+Enter right after typing, before the results arrive, answers the first result.
    box.fill("norwich")
    page.keyboard.press("Control+Enter")
    expect_image(page, labeling, 3)

    first_answer, second_answer = labeling.answers()
    assert (first_answer.synset_id, second_answer.synset_id) == (NORFOLK, NORWICH)
    log = assert_plausible_timing(first_answer, picker="search")
    assert {"q": "norfolk"}.items() <= next(e for e in log.events if e["type"] == "search").items()
    assert_plausible_timing(second_answer, picker="search")
    assert not problems_of(page), problems_of(page)


def test_labeling_with_the_hierarchy_only(page: Page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    page.get_by_role("button", name="Browse the hierarchy").click()
    tree = page.get_by_role("tree", name="Class hierarchy")
    root = tree.get_by_role("treeitem").first
    expect(root).to_have_accessible_name(re.compile(r"^entity, 1000 classes$"))

    open_in_tree(page, NORWICH)
    crumbs = page.get_by_role("navigation", name="Path in the hierarchy")
    expect(crumbs).to_contain_text("terrier")
    expect(page.locator("#label-candidate")).to_contain_text("stand up")
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)

    # The tree stays open where it was; the next class is a sibling.
    tree.locator(f"[role=treeitem][data-wnid='{NORFOLK}'] > .tree-row").click()
    expect(page.locator("#label-answer-name")).to_have_text("Norfolk terrier")
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 3)

    first, second = labeling.answers()
    assert (first.synset_id, second.synset_id) == (NORWICH, NORFOLK)
    log = assert_plausible_timing(first, picker="hierarchy")
    opened = [event["wnid"] for event in log.events if event["type"] == "node_open"]
    assert len(opened) >= 5 and opened[-1] in path_to(NORWICH)
    assert_plausible_timing(second, picker="hierarchy")
    assert not problems_of(page), problems_of(page)


def test_labeling_with_the_keyboard_only(page: Page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    box = page.get_by_role("combobox", name="Search classes")
    expect(box).to_be_focused()
    keyboard = page.keyboard

    # ? lists the keys; Escape closes the list.
    keyboard.press("Escape")  # leave the search box (nothing typed, no list)
    keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_visible()
    keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_hidden()

    # / searches; arrows move through the results; Enter views; p pins (outside the box).
    keyboard.press("/")
    expect(box).to_be_focused()
    keyboard.type("terrier")
    expect(box).to_have_attribute("aria-activedescendant", re.compile("^result-"))
    first_active = box.get_attribute("aria-activedescendant")
    keyboard.press("ArrowDown")
    expect(box).not_to_have_attribute("aria-activedescendant", first_active)
    keyboard.press("ArrowUp")
    expect(box).to_have_attribute("aria-activedescendant", first_active)
    keyboard.press("Control+a")
    keyboard.type("norwich")
    expect(box).to_have_attribute("aria-activedescendant", f"result-{NORWICH}")
    keyboard.press("Enter")
    expect(page.locator("#label-answer-name")).to_have_text("Norwich terrier")
    keyboard.press("p")  # typed into the search box: no shortcut while typing
    expect(box).to_have_value("norwichp")
    keyboard.press("Backspace")
    keyboard.press("Escape")
    keyboard.press("Escape")
    expect(box).not_to_be_focused()
    keyboard.press("p")
    keyboard.press("/")
    keyboard.type("norfolk")
    expect(box).to_have_attribute("aria-activedescendant", f"result-{NORFOLK}")
    keyboard.press("Enter")
    keyboard.press("Escape")
    keyboard.press("Escape")
    keyboard.press("p")
    expect(page.get_by_role("list", name="Pinned classes").get_by_role("listitem")).to_have_count(2)
    keyboard.press("c")
    compare = page.get_by_role("region", name="Pinned classes side by side")
    expect(compare.locator(".compare-col")).to_have_count(2)
    expect(compare).to_contain_text("fold forward")
    expect(compare).to_contain_text("stand up")
    keyboard.press("c")

    # f flags, with a note, all from the keyboard.
    keyboard.press("f")
    dialog = page.get_by_role("dialog", name="Flag this image")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio", name="No flag")).to_be_focused()
    keyboard.press("ArrowDown")
    expect(dialog.get_by_role("radio", name=re.compile("^Unclear"))).to_be_checked()
    keyboard.press("Tab")
    keyboard.type("ears hidden")
    keyboard.press("Tab")
    keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#label-flag-status")).to_have_text("Flagged unclear: ears hidden")

    # + zooms; arrows pan while zoomed; 0 fits.
    stage = page.locator("#label-stage")
    keyboard.press("+")
    expect(stage).to_have_attribute("data-zoom", "125")
    keyboard.press("ArrowLeft")
    keyboard.press("0")
    expect(stage).to_have_attribute("data-zoom", "100")

    keyboard.press("Control+Enter")
    expect_image(page, labeling, 2)
    expect(box).to_be_focused()

    # b opens the hierarchy with the focus in it; arrows follow the WAI-ARIA tree pattern.
    keyboard.press("Escape")
    keyboard.press("b")
    tree = page.get_by_role("tree", name="Class hierarchy")
    root = tree.get_by_role("treeitem").first
    expect(root).to_be_focused()
    expect(root).to_have_attribute("aria-expanded", "true")
    keyboard.press("ArrowLeft")
    expect(root).to_have_attribute("aria-expanded", "false")
    keyboard.press("ArrowRight")
    expect(root).to_have_attribute("aria-expanded", "true")
    keyboard.press("ArrowRight")
    first_child = root.locator(":scope > [role=group] > [role=treeitem]").first
    expect(first_child).to_be_focused()
    keyboard.press("ArrowLeft")
    expect(root).to_be_focused()
    # Shift+Enter in the search box shows a result in the tree; Enter there views it.
    keyboard.press("/")
    keyboard.type("norfolk")
    expect(box).to_have_attribute("aria-activedescendant", f"result-{NORFOLK}")
    keyboard.press("Shift+Enter")
    norfolk_item = tree.locator(f"[role=treeitem][data-wnid='{NORFOLK}']")
    expect(norfolk_item).to_be_focused()
    keyboard.press("Enter")
    expect(norfolk_item).to_have_attribute("aria-selected", "true")
    keyboard.press("Control+Enter")
    expect_image(page, labeling, 3)

    first, second = labeling.answers()
    assert (first.synset_id, first.flag, first.note) == (NORFOLK, "unclear", "ears hidden")
    log = assert_plausible_timing(first, picker="search")
    types = {event["type"] for event in log.events}
    assert {"search", "candidate_view", "pin", "compare", "flag", "zoom", "confirm"} <= types
    assert (second.synset_id, second.flag) == (NORFOLK, "")
    assert_plausible_timing(second, picker="hierarchy")
    assert not problems_of(page), problems_of(page)


def test_a_reload_or_another_browser_resumes_at_the_same_image(
    page: Page, live_server, labeling, open_page
):
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    search_and_view(page, "norfolk", "Norfolk terrier")
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    second = labeling.item_at(2)
    served_at = labeling.read(lambda: Serving.objects.get(round_image=second).served_at)

    page.reload()
    expect_image(page, labeling, 2)
    other = open_page()
    log_in(other, live_server, "anna", screen_url(labeling))
    expect_image(other, labeling, 2)
    # Shown again, the image still counts from when it was first served.
    assert labeling.read(lambda: Serving.objects.get(round_image=second).served_at) == served_at

    search_and_view(other, "norwich", "Norwich terrier")
    other.get_by_role("button", name="Confirm").click()
    expect_image(other, labeling, 3)
    assert [a.synset_id for a in labeling.answers()] == [NORFOLK, NORWICH]
    assert not problems_of(page), problems_of(page)
    assert not problems_of(other), problems_of(other)


def test_the_previous_answer_can_be_changed_with_an_empty_picker(page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    change = page.get_by_role("button", name="Change previous answer")
    expect(change).to_be_hidden()  # nothing answered yet
    search_and_view(page, "norfolk", "Norfolk terrier")
    page.get_by_role("button", name="Pin", exact=True).click()
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)

    change.click()
    image = page.get_by_role("img", name="Image to label")
    first_id = labeling.item_at(1).image.public_id
    expect(image).to_have_attribute("src", re.compile(f"/files/images/{first_id}/$"))
    expect(page.locator("#label-previous-banner")).to_be_visible()
    # Nothing of the earlier answer comes back: no class chosen, nothing pinned, empty box.
    expect(page.locator("#label-answer-name")).to_have_text("none chosen yet")
    expect(page.get_by_role("combobox", name="Search classes")).to_have_value("")
    expect(page.locator("#label-pins")).to_be_hidden()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "1")

    search_and_view(page, "norwich", "Norwich terrier")
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    (answer,) = labeling.answers()
    assert answer.synset_id == NORWICH and answer.change_count == 1
    (change,) = answer.changes.all()
    assert change.old_synset_id == NORFOLK
    assert not problems_of(page), problems_of(page)


def test_the_last_answer_can_be_changed_from_the_done_view(page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    for position in range(1, IMAGES + 1):
        expect_image(page, labeling, position)
        search_and_view(page, "norfolk", "Norfolk terrier")
        page.get_by_role("button", name="Confirm").click()
    done = page.get_by_role("heading", name="Round finished")
    expect(done).to_be_visible()
    change = page.get_by_role("button", name="Change previous answer")
    expect(change).to_be_visible()

    change.click()
    expect(done).to_be_hidden()
    last_id = labeling.item_at(IMAGES).image.public_id
    image = page.get_by_role("img", name="Image to label")
    expect(image).to_have_attribute("src", re.compile(f"/files/images/{last_id}/$"))
    expect(page.locator("#label-previous-banner")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", str(IMAGES))
    # Going back without answering returns to the done view; the offer stays.
    page.get_by_role("button", name="Back to the current image").click()
    expect(done).to_be_visible()
    expect(page.locator("#label-layout")).to_be_hidden()

    change.click()
    expect(page.locator("#label-previous-banner")).to_be_visible()
    search_and_view(page, "norwich", "Norwich terrier")
    page.get_by_role("button", name="Confirm").click()
    expect(done).to_be_visible()
    expect(change).to_be_visible()  # the last answer stays changeable while the round is open
    expect(page.locator("#label-previous-banner")).to_be_hidden()
    answers = labeling.answers()
    assert [a.synset_id for a in answers] == [NORFOLK] * (IMAGES - 1) + [NORWICH]
    assert answers[-1].change_count == 1
    assert not page.problems, page.problems


def test_a_refused_answer_shows_a_clear_error(page: Page, live_server, labeling, open_page):
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    # Meanwhile this image and the next are answered in another browser: it is neither the
    # current item nor the previous one any more.
    other = open_page()
    log_in(other, live_server, "anna", screen_url(labeling))
    for position in (1, 2):
        expect_image(other, labeling, position)
        search_and_view(other, "norwich", "Norwich terrier")
        other.get_by_role("button", name="Confirm").click()
    expect_image(other, labeling, 3)

    search_and_view(page, "norfolk", "Norfolk terrier")
    page.get_by_role("button", name="Confirm").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This answer was not taken")
    alert.get_by_role("button", name="Go to the current image").click()
    expect_image(page, labeling, 3)
    assert [a.synset_id for a in labeling.answers()] == [NORWICH, NORWICH]
    assert problems_of(page).failed == [
        f"409 {live_server.url}/api/rounds/{labeling.round.pk}/answers/"
    ]


def test_a_lost_connection_is_retried_with_the_same_idempotency_key(page, live_server, labeling):
    log_in(page, live_server, "anna", screen_url(labeling))
    keys: list[str] = []

    def flaky(route):
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/answers/", flaky)
    search_and_view(page, "norfolk", "Norfolk terrier")
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    assert len(keys) == 2 and keys[0] == keys[1]
    (answer,) = labeling.answers()
    assert answer.idempotency_key == keys[0]
    assert all("ERR_CONNECTION_RESET" in message for message in problems_of(page).console)
    assert not problems_of(page).exceptions


def test_the_screen_works_at_phone_width(live_server, labeling, open_page):
    page = open_page(width=390, height=844)
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll)
    box = page.get_by_role("combobox", name="Search classes")
    box.fill("terrier")
    expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    search_and_view(page, "norfolk", "Norfolk terrier")
    expect(page.locator("#label-candidate")).to_contain_text("fold forward")
    page.get_by_role("button", name="Browse the hierarchy").click()
    expect(
        page.get_by_role("tree", name="Class hierarchy").get_by_role("treeitem").first
    ).to_be_visible()
    assert page.evaluate(no_sideways_scroll)
    # Stacked: the image above the picker, both as wide as the screen allows.
    image_box = page.locator("#label-stage").bounding_box()
    picker_box = box.bounding_box()
    assert image_box["y"] + image_box["height"] <= picker_box["y"]
    assert image_box["x"] >= 0 and image_box["x"] + image_box["width"] <= 390
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    assert not problems_of(page), problems_of(page)


def test_time_idle_beyond_the_rounds_limit_is_not_counted(page: Page, live_server, labeling):
    Round.objects.filter(pk=labeling.round.pk).update(idle_limit_seconds=1)
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    search_and_view(page, "norfolk", "Norfolk terrier")
    page.wait_for_timeout(3500)  # hands off: idle after one second
    page.keyboard.press("Control+Enter")
    expect_image(page, labeling, 2)

    (answer,) = labeling.answers()
    (log,) = answer.logs.all()
    types = [event["type"] for event in log.events]
    assert types.index("idle") < types.index("active") < types.index("confirm")
    wall = (answer.answered_at - answer.served_at).total_seconds()
    assert wall > 3.5
    assert 0 < log.client_active_seconds <= wall - 2
    assert not problems_of(page), problems_of(page)
