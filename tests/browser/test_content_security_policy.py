"""The Content-Security-Policy breaks nothing: every main page, the Django admin, the browsable API
and Swagger UI load in Chromium with no policy violation and no console error, and the pages'
scripts still work (the guide's live preview, Swagger UI's operations).

Runs in both passes of scripts/test (see test_class_pages.py for the live server and the worker).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page

from labeling.accounts.roles import Role
from labeling.guide.services import guide_entry_save
from labeling.images.services import reference_image_create, reference_thumbnail_create
from labeling.taxonomy.models import Synset
from tests.browser.helpers import log_in
from tests.helpers import make_user
from tests.images.factories import picture

pytestmark = pytest.mark.browser

NORFOLK, NORWICH, HUNTING_DOG = "n02094114", "n02094258", "n02087122"
# Recorded by the page itself: every violation fires this event, whatever the console says.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
    window.__violations.push(
        `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} `
        + `(${event.sourceFile || 'page'}:${event.lineNumber})`);
});
"""


@pytest.fixture
def study(transactional_db, settings) -> dict:
    settings.DEBUG = False  # the error pages as a deployment shows them
    call_command("load_taxonomy", verbosity=0)
    user = make_user("maria", Role.ANNOTATOR, Role.ADMIN, Role.RESEARCHER)
    norfolk = Synset.objects.get(wnid=NORFOLK)
    for i in range(2):
        reference = reference_image_create(
            synset=norfolk, original_name=f"{NORFOLK}_{i}.JPEG", data=picture(320, 240, seed=i)
        )
        reference_thumbnail_create(reference=reference)
    guide_entry_save(synset=norfolk, text="Ears **fold forward**.", author=None, comment="csp test")
    return {"user": user, "reference": reference}


def watch(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, from now on."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations || []")


def visit(page: Page, url: str, problems: list[str], expected_status: int = 200) -> list[str]:
    response = page.goto(url)
    assert response is not None  # a navigation, not an anchor change
    page.wait_for_load_state("networkidle")
    found = [f"{url}: {v}" for v in violations(page)]
    if response.status != expected_status:
        found.append(f"{url}: status {response.status}, not {expected_status}")
    # The console of an error page also reports its status; only other errors count.
    found += [f"{url}: {p}" for p in problems if "the server responded with a status" not in p]
    problems.clear()
    return found


def test_the_pages_and_the_admin_load_with_no_policy_violation(page: Page, live_server, study):
    problems = watch(page)
    user, reference = study["user"], study["reference"]
    found = visit(page, f"{live_server.url}/accounts/login/", problems)
    log_in(page, live_server, "maria")
    pages = [
        "/",
        "/classes/",
        f"/classes/{NORFOLK}/",
        f"/classes/node/{HUNTING_DOG}/",
        f"/classes/compare/?wnids={NORFOLK},{NORWICH}",
        "/guide/",
        f"/guide/entries/{NORFOLK}/",
        f"/guide/entries/{NORFOLK}/edit/",
        f"/guide/entries/{NORFOLK}/history/",
        "/guide/freeze/",
        "/accounts/password/",
        "/admin/",
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{user.pk}/change/",
        f"/admin/auth/user/{user.pk}/password/",
        "/admin/accounts/apitoken/",
        "/admin/images/referenceimage/",
        f"/admin/images/referenceimage/{reference.pk}/change/",
        "/api/",
        "/api/classes/?group=dog",
    ]
    for path in pages:
        found += visit(page, f"{live_server.url}{path}", problems)
    found += visit(page, f"{live_server.url}/nope/", problems, expected_status=404)
    assert not found, "\n".join(found)


def test_the_guides_live_preview_still_works(page: Page, live_server, study):
    problems = watch(page)
    log_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/guide/entries/{NORFOLK}/edit/")
    editor = page.locator(".guide-editor textarea").first
    editor.fill("Look at the **ears** and the _coat_.")
    page.locator(".guide-preview strong", has_text="ears").wait_for()
    assert not violations(page) and not problems, (violations(page), problems)


def test_swagger_ui_runs_under_the_policy(page: Page, live_server, study):
    problems = watch(page)
    log_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/api/docs/")
    operations = page.locator(".opblock-summary-path")
    operations.first.wait_for()
    page.locator(".opblock-summary", has_text="/api/classes/search/").first.click()
    page.get_by_role("button", name="Try it out").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert not violations(page) and not problems, (violations(page), problems)


def test_the_locked_login_page_loads_with_no_policy_violation(page: Page, live_server, study):
    problems = watch(page)
    for i in range(6):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "maria")
        page.fill("#id_password", f"wrong-{i}")
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Logging in is locked" in page.content()
    found = violations(page)
    found += [p for p in problems if "the server responded with a status of 429" not in p]
    assert not found, found
