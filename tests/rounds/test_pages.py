"""The labeling screen's pages as the server renders them: who may open a round's screen, what
the page embeds (the current item, served once), the class panel it loads, and the annotator's
home page with their rounds."""

from __future__ import annotations

import json
import re

import pytest
from django.core.cache import cache

from labeling.accounts.roles import Role
from labeling.guide.models import DistinctionNote, GuideEntry
from labeling.rounds.models import RoundImage, RoundKind, Serving
from labeling.rounds.services import round_close
from tests.helpers import api_client_for, login, make_user
from tests.images.factories import make_images, make_references
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, next_item, post_answer
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH = "n02094114", "n02094258"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # the thumbnail enqueue guard remembers reference ids, which repeat


def page_config(response) -> dict:
    match = re.search(
        r'<script id="label-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page embeds its configuration"
    return json.loads(match.group(1))


# --- The screen -----------------------------------------------------------------------------


def test_the_screen_opens_at_the_current_item_and_records_its_serving(annotator, evaluation):
    client = api_client_for(annotator)
    post_answer(client, evaluation, next_item(client, evaluation)["item"])
    response = login(annotator).get(f"/label/{evaluation.pk}/")

    assert response.status_code == 200
    second = RoundImage.objects.get(round=evaluation, position=2)
    config = page_config(response)
    assert config["item"]["item"] == second.public_id
    assert config["item"]["position"] == 2 and config["item"]["total"] == 5
    assert config["item"]["image"].endswith(f"/files/images/{second.image.public_id}/")
    assert config["idle_limit_seconds"] == 120
    # The labeler's own median, as the server clamped it (to the time since the image was served).
    assert 0 < config["median_active_seconds"] <= 3.5
    assert config["urls"]["answers"] == f"/api/rounds/{evaluation.pk}/answers/"
    assert Serving.objects.filter(round_image=second, labeler=annotator).count() == 1
    html = response.content.decode()
    assert 'alt="Image to label"' in html
    assert 'role="combobox"' in html and 'role="progressbar"' in html
    assert 'aria-valuenow="1"' in html and 'aria-valuemax="5"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_idle_limit_is_the_rounds(annotator, images):
    round = make_round(images, [annotator], idle_limit_seconds=45)
    assert page_config(login(annotator).get(f"/label/{round.pk}/"))["idle_limit_seconds"] == 45


def test_a_finished_round_says_so(annotator, images):
    round = make_round(images[:1], [annotator])
    client = api_client_for(annotator)
    post_answer(client, round, next_item(client, round)["item"])
    response = login(annotator).get(f"/label/{round.pk}/")
    assert response.status_code == 200
    assert page_config(response)["item"] == {
        "done": True,
        "total": 1,
        "can_change_previous": True,
    }
    assert "Round finished" in response.content.decode()


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_a_round_that_is_not_open_is_a_409_page(annotator, images, state):
    round = make_round(images, [annotator], open=state != "draft")
    if state == "closed":
        round_close(round=round)
    response = login(annotator).get(f"/label/{round.pk}/")
    assert response.status_code == 409
    assert "Back to your rounds" in response.content.decode()
    assert not Serving.objects.exists()


def test_only_the_assigned_annotator_sees_the_screen(
    client, annotator, evaluation, study_admin, researcher
):
    other = make_user("bert", Role.ANNOTATOR)
    for user in (other, study_admin, researcher):
        assert login(user).get(f"/label/{evaluation.pk}/").status_code == 404
    assert login(annotator).get("/label/999999/").status_code == 404
    response = client.get(f"/label/{evaluation.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_screen_takes_a_bounded_number_of_queries(
    annotator, evaluation, django_assert_max_num_queries
):
    client = login(annotator)
    client.get(f"/label/{evaluation.pk}/")
    with django_assert_max_num_queries(12):
        assert client.get(f"/label/{evaluation.pk}/").status_code == 200


# --- The class panel ------------------------------------------------------------------------


def test_the_class_panel_shows_guide_notes_and_references(annotator):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    make_references(norfolk, [1, 2, 3])
    GuideEntry.objects.create(synset=norfolk, text="Ears **fold forward**.")
    note = DistinctionNote.objects.create(title="Look at the ears", text="Dropped: Norfolk.")
    note.synsets.set([norfolk, norwich])

    response = login(annotator).get(f"/label/classes/{NORFOLK}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-name="Norfolk terrier"' in html
    assert "<strong>fold forward</strong>" in html
    assert "Look at the ears" in html
    assert html.count('class="thumb"') == 3
    assert 'data-action="pin"' in html and 'data-action="choose"' not in html
    compact = login(annotator).get(f"/label/classes/{NORFOLK}/?compact=1").content.decode()
    assert 'data-action="choose"' in compact


def test_the_class_panel_caps_its_gallery(annotator):
    make_references(make_class("norfolk"), range(1, 31))
    html = login(annotator).get(f"/label/classes/{NORFOLK}/").content.decode()
    assert html.count('class="thumb"') == 24
    compact = login(annotator).get(f"/label/classes/{NORFOLK}/?compact=1").content.decode()
    assert compact.count('class="thumb"') == 8


def test_the_class_panel_is_for_classes_and_roles_only(annotator, outsider):
    make_ancestor()
    assert login(annotator).get("/label/classes/n02092468/").status_code == 404
    assert login(annotator).get("/label/classes/n99999999/").status_code == 404
    make_class("norfolk")
    assert login(outsider).get(f"/label/classes/{NORFOLK}/").status_code == 403


# --- The home page --------------------------------------------------------------------------


def test_the_home_page_lists_the_annotators_rounds_with_progress(annotator, images):
    started = make_round(images, [annotator], name="Started round")
    practice = make_images(["ILSVRC2012_val_00000901.JPEG", "ILSVRC2012_val_00000902.JPEG"])
    # Its own images: training and evaluation images are kept apart.
    fresh = make_round(practice.values(), [annotator], name="Fresh round", kind=RoundKind.TRAINING)
    closed = make_round(images[:3], [annotator], name="Closed round")
    round_close(round=closed)
    make_round(images, [annotator], name="Draft round", open=False)
    make_round(images, [make_user("bert", Role.ANNOTATOR)], name="Bert's round")
    client = api_client_for(annotator)
    post_answer(client, started, next_item(client, started)["item"], wnid=GOLDFISH)

    page = login(annotator).get("/").content.decode()
    html = page[
        page.index('id="panel-rounds"') : page.index("</section>", page.index("panel-rounds"))
    ]

    assert "Your rounds" in html
    assert '<progress max="5" value="1"' in html and "1 / 5 done" in html
    assert f'href="/label/{started.pk}/">Continue</a>' in html
    assert f'href="/label/{fresh.pk}/">Start</a>' in html
    assert "Closed round" in html and f"/label/{closed.pk}/" not in html
    assert "Draft round" not in html and "Bert's round" not in html
    assert "accuracy" not in html.lower() and "%" not in html


def test_the_home_page_of_an_annotator_without_rounds_says_so(annotator):
    assert "No round is assigned to you yet" in login(annotator).get("/").content.decode()


def test_admins_and_researchers_get_no_rounds_panel(study_admin, researcher):
    for user in (study_admin, researcher):
        assert "Your rounds" not in login(user).get("/").content.decode()
