"""The results page in a real browser at phone width: the figure loads (its SVG's own styles
allowed), nothing breaks the Content-Security-Policy, and the page never scrolls sideways (the
tables scroll in their own boxes)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import log_in, problems_of
from tests.helpers import make_user
from tests.scoring.factories import make_scored_round

pytestmark = pytest.mark.browser

OVERFLOW = "() => document.documentElement.scrollWidth"


def test_the_results_page_fits_a_phone_and_shows_the_figure(
    transactional_db, imagenet_classes, live_server, serialized_db, open_page
):
    from labeling.accounts.roles import Role

    with serialized_db:
        scored = make_scored_round()
        make_user("researcher-maria", Role.RESEARCHER)
    page = open_page(width=390, height=844)
    path = f"/results/{scored.round.pk}/"
    log_in(page, live_server, "researcher-maria", path)
    figure = page.locator(".results-figure img")
    figure.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", figure.element_handle())
    assert page.evaluate(OVERFLOW) <= 390
    assert page.get_by_role("region", name="Table 1").is_visible()
    assert page.get_by_role("link", name="Results").is_visible()
    assert not problems_of(page), problems_of(page)
