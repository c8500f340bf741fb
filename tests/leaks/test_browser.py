"""What the annotator's browser receives on the labeling screen, every request the page makes
while it is used (search, thumbnails, a class panel, the tree, compare, an answer, the previous
item, the home page): no original label, file name, source, annotations or predictions in any
HTML, JSON, header or image byte. The requests the other tests of this folder make one by one,
the browser makes here as a labeler would."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from labeling.review.services import image_labels_replace
from labeling.taxonomy.models import Synset
from tests.browser.conftest import browser, page, serialized_db  # noqa: F401  (fixtures)
from tests.browser.helpers import log_in, problems_of
from tests.browser.test_labeling import (  # noqa: F401  (labeling is a fixture)
    GOLDFISH,
    IMAGE_LOADED,
    NORFOLK,
    SECRET,
    TENCH,
    expect_image,
    labeling,
    screen_url,
    search_and_view,
)
from tests.images.factories import val_source

pytestmark = pytest.mark.browser


def test_nothing_the_page_loads_reveals_the_answer(page: Page, live_server, labeling):  # noqa: F811
    """In an evaluation round: no original label, file name, source, annotations or
    predictions in any HTML, JSON, header or image byte the annotator's browser receives."""
    image = labeling.images[0]
    model = classifier_model_get_or_create(name="leakynet-152")
    goldfish = Synset.objects.get(wnid=GOLDFISH)
    predictions_bulk_create(rows=[(model.pk, image.pk, goldfish.pk, 1, 0.9)])
    image_labels_replace(labels={image.pk: {goldfish.pk: "correct"}}, source="test")
    forbidden = [
        SECRET,
        TENCH,
        "tench",
        GOLDFISH,
        "goldfish",
        "leakynet",
        "ILSVRC2012",
        image.original_name,
        image.sha256,
        "imagenet-val",
        val_source().name,
    ]
    received: list[tuple[str, bytes]] = []

    def record(response) -> None:
        try:
            body = response.body()
        except PlaywrightError:  # a redirect or an aborted prefetch has no body
            body = b""
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        received.append((response.url, headers.encode() + b"\n" + body))

    page.on("response", record)
    log_in(page, live_server, "anna", screen_url(labeling))
    expect_image(page, labeling, 1)
    # Everything the screen can load: search and thumbnails, a class panel, the tree and a
    # path in it, the compare view, an answer with the next item, the previous item, progress.
    search_and_view(page, "norfolk", "Norfolk terrier")
    page.get_by_role("button", name="Pin", exact=True).click()
    page.get_by_role("button", name="Show in tree").click()
    expect(page.locator(f"#label-tree [data-wnid='{NORFOLK}']")).to_be_focused()
    page.get_by_role("button", name=re.compile("^Compare pinned")).click()
    expect(page.locator("#label-compare .compare-col")).to_have_count(1)
    page.get_by_role("button", name="Confirm").click()
    expect_image(page, labeling, 2)
    page.get_by_role("button", name="Change previous answer").click()
    expect(page.locator("#label-previous-banner")).to_be_visible()
    page.wait_for_function(IMAGE_LOADED)
    page.get_by_role("button", name="Back to the current image").click()
    expect_image(page, labeling, 2)
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Continue")).to_be_visible()

    urls = [url for url, _ in received]
    assert any("/files/images/" in url for url in urls)
    assert any("/api/references/" in url for url in urls)
    assert any(f"/api/rounds/{labeling.round.pk}/previous/" in url for url in urls)
    for url, payload in received:
        text = payload.decode("latin-1").lower()
        for secret in forbidden:
            assert secret.lower() not in text, f"{secret!r} reached the annotator in {url}"
    assert not problems_of(page), problems_of(page)
