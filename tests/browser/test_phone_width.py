"""Every main page fits a 390 px phone screen for each role, and so does the Django admin's
index and every model list for a study admin, and the pages that create review rounds: nothing
scrolls the page sideways, and "Log out" stays on screen. So does a review round's adjudication
page, where an admin marks an image problematic at that width. Also the API's Swagger UI renders
its operations from our own server alone.

Runs in both passes of scripts/test (see test_class_pages.py for the live server and the worker).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Locator, Page, expect

from labeling.accounts.roles import Role
from labeling.guide.services import guide_entry_save
from labeling.images.models import Image
from labeling.images.services import image_create
from labeling.review.services import review_consensus_apply
from labeling.rounds.models import Answer, Round
from labeling.taxonomy.models import Synset
from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user
from tests.images.factories import make_images, picture, v2_source, val_source
from tests.review.factories import make_review_round, predict
from tests.review.test_services import judge_all
from tests.rounds.factories import make_round
from tests.taxonomy.factories import make_imagenet_classes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NORFOLK, NORWICH, HUNTING_DOG = "n02094114", "n02094258", "n02087122"
TENCH, GOLDFISH = "n01440764", "n01443537"
# Page → what each role gets there (the freeze page is for admins; others see the 403 page).
PAGES = {
    "/": 200,
    "/classes/": 200,
    f"/classes/{NORFOLK}/": 200,
    "/classes/?group=dog": 200,
    "/classes/?q=terrier": 200,
    f"/classes/node/{HUNTING_DOG}/": 200,
    f"/classes/compare/?wnids={NORFOLK},{NORWICH}": 200,
    "/guide/": 200,
    f"/guide/entries/{NORFOLK}/": 200,
    f"/guide/entries/{NORFOLK}/history/": 200,
    "/guide/freeze/": {"annotator": 403, "researcher": 403, "admin": 200},
    "/training/me/": {"annotator": 200, "researcher": 403, "admin": 403},
    "/training/overview/": {"annotator": 403, "researcher": 200, "admin": 200},
    "/nope/": 404,
}
ROLES = {"annotator": Role.ANNOTATOR, "researcher": Role.RESEARCHER, "admin": Role.ADMIN}

OVERFLOW = """() => ({
    width: document.documentElement.scrollWidth,
    culprits: [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .slice(0, 5)
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
})"""


@pytest.fixture
def study(transactional_db, settings) -> None:
    """The whole taxonomy, a guide entry with two revisions, a user per role (with realistic,
    not tiny, user names: the name shows in the top bar)."""
    settings.DEBUG = False  # the error pages as a deployment shows them
    call_command("load_taxonomy", verbosity=0)
    for name, role in ROLES.items():
        make_user(f"{name}-maria", role)
    norfolk = Synset.objects.get(wnid=NORFOLK)
    for text in (
        "Ears **fold forward** at the tip; wiry coat, often red or grizzle.",
        "Ears **fold forward** at the tip (drop ears); compare the prick-eared "
        f"[[{NORWICH}]]. A very long unbroken word: Pneumonoultramicroscopicsilicovolcanoconiosis",
    ):
        guide_entry_save(synset=norfolk, text=text, author=None, comment="phone width test")


def fits(page: Page, control: str) -> list[str]:
    """What is wrong with the page at phone width: sideways scroll, the control off screen."""
    problems = []
    overflow = page.evaluate(OVERFLOW)
    if overflow["width"] > PHONE["width"]:
        problems.append(f"scrollWidth {overflow['width']} (wider: {overflow['culprits']})")
    found = page.get_by_role("button", name=control).or_(page.get_by_role("link", name=control))
    box = found.first.bounding_box()
    if box is None:
        problems.append(f"no visible {control!r}")
    elif box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] or box["y"] < 0:
        problems.append(f"{control!r} off screen at {box}")
    elif box["y"] + box["height"] > PHONE["height"]:
        problems.append(f"{control!r} below the first screen at {box}")
    return problems


def on_screen(control: Locator, name: str) -> list[str]:
    """What keeps a control from being used at phone width: hidden, or cut off at a side."""
    box = control.bounding_box()
    if box is None:
        return [f"no visible {name}"]
    if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
        return [f"{name} off screen at {box}"]
    return []


def test_every_main_page_fits_a_phone_for_each_role(browser, live_server, study):
    problems = []
    for name in ROLES:
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        try:
            log_in(page, live_server, f"{name}-maria")
            for path, expected in PAGES.items():
                status = expected[name] if isinstance(expected, dict) else expected
                response = page.goto(f"{live_server.url}{path}")
                if response.status != status:
                    problems.append(f"{name} {path}: status {response.status}, not {status}")
                problems += [f"{name} {path}: {p}" for p in fits(page, "Log out")]
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_login_and_error_pages_fit_a_phone_before_logging_in(browser, live_server, study):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems = []
    try:
        for path, status in {"/accounts/login/": 200, "/nope/": 404}.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status, path
            problems += [f"{path}: {p}" for p in fits(page, "Log in")]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_swagger_ui_lists_the_operations_from_our_own_server_alone(page: Page, live_server, db):
    make_user("rita", Role.RESEARCHER)
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/api/docs/")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    paths = set(operations.all_inner_texts())
    assert {"/api/classes/", "/api/classes/search/", "/api/guide/entries/"} <= {
        p.replace("\u200b", "") for p in paths
    }
    page.wait_for_load_state("networkidle")
    assert hosts == {urlsplit(live_server.url).netloc}, hosts
    assert not problems_of(page), problems_of(page)


def test_the_django_admin_fits_a_phone_for_a_study_admin(browser, live_server, study):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    problems = []
    try:
        log_in(page, live_server, "admin-maria", "/admin/")
        # Every model list the study admin may see, as the admin's index links them.
        lists = page.locator("#content-main th[scope=row] a").evaluate_all(
            "links => links.map((link) => link.getAttribute('href'))"
        )
        assert len(lists) >= 10, lists
        problems += [f"/admin/: {p}" for p in fits(page, "Log out")]
        # And the round add form, with its per-class draw and guide freeze.
        for path in [*lists, "/admin/rounds/round/add/"]:
            response = page.goto(f"{live_server.url}{path}")
            if response.status != 200:
                problems.append(f"{path}: status {response.status}")
                continue
            problems += [f"{path}: {p}" for p in fits(page, "Log out")]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def adjudication(transactional_db, serialized_db):
    """A review round whose consensus rule left goldfish on both its images for an admin to
    decide (two of three reviewers say correct), and the study admin who decides. One image is
    from ImageNetV2: its name is a 40-hex SHA-1, one long word on a phone."""
    make_imagenet_classes()
    make_user("admin-maria", Role.ADMIN)
    reviewers = [make_user(f"reviewer-{n}", Role.ANNOTATOR) for n in (1, 2, 3)]
    images = [
        image_create(
            source=source,
            original_name=name,
            original_label=Synset.objects.get(wnid=TENCH),
            data=picture(seed=seed),
        )
        for seed, (source, name) in enumerate(
            [
                (val_source(), "ILSVRC2012_val_00000901.JPEG"),
                (v2_source(), "024c53fd8983f39ba674e416ea275a197dbc5b8c"),
            ]
        )
    ]
    for image in images:
        predict(image, {"net-a": [GOLDFISH]})
    round = make_review_round(images, reviewers, name="Review of the December evaluation")
    for reviewer in reviewers[:2]:
        judge_all(round, reviewer, {TENCH: "correct", GOLDFISH: "correct"})
    judge_all(round, reviewers[2], {TENCH: "correct"})
    counts = review_consensus_apply(round=round)
    assert counts["adjudication"] == 2, counts
    return round, images[1], serialized_db


def test_an_admin_marks_an_image_problematic_on_the_adjudication_page_at_phone_width(
    open_page, live_server, adjudication
):
    round, image, db = adjudication
    position = round.items.get(image=image).position
    page = open_page(**PHONE)
    log_in(page, live_server, "admin-maria", f"/admin/review/reviewround/{round.pk}/change/")
    page.get_by_role("link", name="Apply the consensus rule and adjudicate").click()
    # Loaded, stylesheets too: a layout taken before them would measure an unstyled page.
    page.wait_for_url(f"**/admin/review/reviewround/{round.pk}/adjudicate/")
    form = page.get_by_role("form", name=f"mark image #{position} problematic")
    reason = form.get_by_role("textbox", name="mark the image problematic")
    button = form.get_by_role("button", name="Mark problematic")
    expect(button).to_be_visible()
    problems = fits(page, "Log out")
    problems += on_screen(reason, "the reason's textbox") + on_screen(button, "the button")
    assert not problems, "\n".join(problems)

    reason.fill("A drawing of a fish, not a photo.")
    button.click()
    expect(page.get_by_text("Marked the image problematic.")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for a decision (1)")).to_be_visible()
    expect(form).to_have_count(0)
    page.wait_for_load_state()
    assert not fits(page, "Log out")
    with db:
        marked = Image.objects.get(pk=image.pk)
    assert marked.problematic and "A drawing of a fish" in marked.problematic_reason


REVIEW_IMAGES = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in (701, 702)]


@pytest.fixture
def review_study(transactional_db, serialized_db) -> Round:
    """A study admin and an annotator, two val images with a model's prediction each, and an
    evaluation round in which the annotator answered both: enough for both review creation
    pages to make a round."""
    make_imagenet_classes()
    make_user("admin-maria", Role.ADMIN)
    annotator = make_user("annotator-maria", Role.ANNOTATOR)
    images = list(make_images(REVIEW_IMAGES).values())
    for image in images:
        predict(image, {"net-a": [GOLDFISH]})
    evaluation = make_round(images, [annotator], name="Evaluation Dec")
    for n, item in enumerate(evaluation.items.order_by("position")):
        Answer.objects.create(
            round_image=item, labeler=annotator, synset_id=TENCH, idempotency_key=f"k{n}"
        )
    return evaluation


def test_the_review_round_creation_pages_work_at_phone_width(open_page, live_server, review_study):
    page = open_page(**PHONE)
    problems = []
    log_in(page, live_server, "admin-maria", "/admin/review/reviewround/")

    page.get_by_role("link", name="Create an annotation review round").click()
    problems += [f"annotation review page: {p}" for p in fits(page, "Log out")]
    page.get_by_label("Name").fill("Review at 390 px")
    page.get_by_role("textbox", name="Images").fill("\n".join(REVIEW_IMAGES))
    page.get_by_role("checkbox", name="annotator-maria").check()
    page.get_by_role("button", name="Create an annotation review round").click()
    expect(page.get_by_text("'Review at 390 px': 2 images, 4 candidates.")).to_be_visible()
    problems += [f"after the annotation review: {p}" for p in fits(page, "Log out")]

    page.goto(f"{live_server.url}/admin/review/reviewround/")
    page.get_by_role("link", name="Create the final review of an evaluation round").click()
    problems += [f"final review page: {p}" for p in fits(page, "Log out")]
    page.get_by_label("Evaluation round").select_option(label="Evaluation Dec (open, 2 images)")
    page.get_by_label("Name").fill("Final at 390 px")
    page.get_by_role("checkbox", name="annotator-maria").check()
    page.get_by_label("Seed").fill("2019")
    page.get_by_role("button", name="Create the final review of an evaluation round").click()
    expect(page.get_by_text("2 images, 4 candidates, seed 2019.")).to_be_visible()
    problems += [f"after the final review: {p}" for p in fits(page, "Log out")]

    assert not problems, "\n".join(problems)
    assert not problems_of(page), problems_of(page)
