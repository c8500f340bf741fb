"""The class pages: the index, a class, a tree node and the side-by-side comparison."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from labeling.guide.models import DistinctionNote, GuideEntry
from labeling.images.services import reference_image_create, reference_thumbnail_create
from labeling.taxonomy.models import Synset
from tests.helpers import login
from tests.images.factories import picture
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

CHIHUAHUA, DOG, TOY_DOG = "n02085620", "n02084071", "n02085374"
CANINE, DOMESTIC_ANIMAL, ENTITY = "n02083346", "n01317541", "n00001740"
NORFOLK, NORWICH, CRANE_BIRD, LAPTOP = "n02094114", "n02094258", "n02012849", "n03642806"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def four_classes() -> list[Synset]:
    return [make_class(key) for key in ("norfolk", "norwich", "crane_bird", "laptop")]


@pytest.fixture
def terrier_note(four_classes) -> DistinctionNote:
    note = DistinctionNote.objects.create(
        title="Norfolk vs Norwich terrier", text="Norfolk ears **drop**; Norwich ears stand up."
    )
    note.synsets.set(four_classes[:2])
    return note


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def path_wnids(response) -> list[list[str]]:
    return [[node.wnid for node in path] for path in response.context["paths"]]


# --- The class page --------------------------------------------------------------------------


def test_the_class_page_shows_names_gloss_every_path_wikipedia_and_the_guide(loaded, annotator):
    chihuahua = Synset.objects.get(wnid=CHIHUAHUA)
    GuideEntry.objects.create(synset=chihuahua, text="Tiny; *apple-shaped* head.")

    response = login(annotator).get(f"/classes/{CHIHUAHUA}/")
    page = html(response)

    assert "<h1>Chihuahua</h1>" in page
    assert f"Class <strong>{chihuahua.class_index}</strong>" in page
    for lemma in chihuahua.lemmas:
        assert f"<li>{lemma}</li>" in page
    assert chihuahua.gloss in page
    assert '<a href="https://en.wikipedia.org/wiki/Chihuahua_(dog)"' in page
    assert ">Chihuahua (dog)</a>" in page
    # dog.n.01 has two parents, so the Chihuahua has two paths from the root, both shown.
    paths = path_wnids(response)
    assert len(paths) == 2
    assert all(path[0] == ENTITY and path[-3:] == [DOG, TOY_DOG, CHIHUAHUA] for path in paths)
    assert {path[-4] for path in paths} == {CANINE, DOMESTIC_ANIMAL}
    assert page.count('<ol class="path">') == 2
    for wnid in (ENTITY, CANINE, DOMESTIC_ANIMAL, DOG, TOY_DOG):
        assert f'href="/classes/node/{wnid}/"' in page
    # The guide entry, rendered from Markdown.
    assert "<em>apple-shaped</em>" in page
    assert 'href="/classes/"' in page  # the nav link


def test_the_class_page_shows_the_gallery_and_compare_suggestions(annotator, terrier_note):
    norfolk = Synset.objects.get(wnid=NORFOLK)
    references = [
        reference_image_create(
            synset=norfolk, original_name=f"r{i}", data=picture(300, 200, seed=i)
        )
        for i in range(3)
    ]
    reference_thumbnail_create(reference=references[0])

    page = html(login(annotator).get(f"/classes/{NORFOLK}/"))

    thumbs = re.findall(r'<button type="button" class="thumb"[^>]*>(<img [^>]*>)</button>', page)
    assert len(thumbs) == 3
    for reference, img in zip(references, thumbs, strict=True):
        assert f'src="/files/references/{reference.pk}/thumb/"' in img
        assert 'loading="lazy"' in img
        assert 'width="256" height="171"' in img  # made, or estimated for the layout
    assert f'data-full="/files/references/{references[1].pk}/"' in page
    assert '<dialog class="viewer" id="image-viewer"' in page
    assert "js/gallery.js" in page
    # The note's other class is offered for comparison.
    assert f'href="/classes/compare/?wnids={NORFOLK}%2C{NORWICH}"' in page
    assert "Norfolk vs Norwich terrier" in page
    assert 'name="with"' in page


def test_a_node_wnid_on_the_class_url_goes_to_the_node_page_and_unknown_ones_are_404(annotator):
    make_ancestor()
    client = login(annotator)
    response = client.get("/classes/n02092468/")
    assert response.status_code == 302 and response["Location"] == "/classes/node/n02092468/"
    assert client.get("/classes/n99999999/").status_code == 404
    assert client.get("/classes/node/n99999999/").status_code == 404
    assert client.get("/classes/nonsense/").status_code == 404
    make_class("norfolk")
    assert client.get(f"/classes/node/{NORFOLK}/")["Location"] == f"/classes/{NORFOLK}/"


# --- Node pages and the index ----------------------------------------------------------------


def test_the_node_page_lists_children_with_counts_and_the_classes_below(loaded, researcher):
    response = login(researcher).get(f"/classes/node/{DOG}/")
    page = html(response)
    assert "<h1>dog</h1>" in page
    children = {child.wnid: child.class_count for child in response.context["children"]}
    assert children[TOY_DOG] == Synset.objects.get(wnid=TOY_DOG).class_count > 0
    assert f'href="/classes/node/{TOY_DOG}/"' in page
    assert len(response.context["classes"]) == 118
    assert f'href="/classes/{CHIHUAHUA}/"' in page
    # Its own two paths link upwards.
    assert {path[-2] for path in path_wnids(response)} == {CANINE, DOMESTIC_ANIMAL}


def test_the_index_searches_and_lists_groups_with_counts(loaded, annotator):
    client = login(annotator)
    page = html(client.get("/classes/"))
    assert [(g["slug"], g["count"]) for g in client.get("/classes/").context["groups"]] == [
        ("dog", 118),
        ("organism", 410),
        ("object", 590),
    ]
    assert 'href="/classes/?group=dog"' in page and 'action="/classes/"' in page

    response = client.get("/classes/", {"q": "norwich"})
    assert [c.wnid for c in response.context["classes"]] == [NORWICH]
    assert f'href="/classes/{NORWICH}/"' in html(response)
    assert [c.wnid for c in client.get("/classes/", {"q": NORFOLK}).context["classes"]] == [NORFOLK]
    assert "No class matches" in html(client.get("/classes/", {"q": "zzqx"}))
    assert "The best 100 matches" in html(client.get("/classes/", {"q": "s"}))
    assert "The best 100 matches" not in html(client.get("/classes/", {"q": "norwich"}))

    dogs = client.get("/classes/", {"group": "dog"}).context["classes"]
    assert len(dogs) == 118 and all(c.group == "dog" for c in dogs)
    assert len(client.get("/classes/", {"group": "organism"}).context["classes"]) == 410
    assert "no group" in html(client.get("/classes/", {"group": "plants"}))


def test_the_index_says_what_a_result_matched(loaded, annotator):
    client = login(annotator)
    response = client.get("/classes/", {"q": "Carolina anole"})
    assert response.context["classes"][0].name == "American chameleon"
    page = html(response)
    assert re.search(r"American chameleon</a>\s*<span class=\"match\">as <mark>anole</mark>", page)
    typo = html(client.get("/classes/", {"q": "chiwawa"}))
    assert "spelling forgiven: <mark>chihuahua</mark>" in typo
    gloss = html(client.get("/classes/", {"q": "crane bird"}))
    assert "and its gloss: <mark>bird</mark>" in gloss


# --- Comparing -------------------------------------------------------------------------------


def test_comparing_two_classes_puts_their_shared_note_on_top(annotator, terrier_note):
    GuideEntry.objects.create(synset=Synset.objects.get(wnid=NORWICH), text="Prick ears.")
    response = login(annotator).get("/classes/compare/", {"wnids": f"{NORFOLK},{NORWICH}"})
    page = html(response)
    assert [c["synset"].wnid for c in response.context["columns"]] == [NORFOLK, NORWICH]
    assert page.count('class="card compare-column"') == 2
    assert [item["note"].pk for item in response.context["shared_notes"]] == [terrier_note.pk]
    assert page.index("Norfolk vs Norwich terrier") < page.index('class="card compare-column"')
    assert "<strong>drop</strong>" in page
    assert "Prick ears." in page
    assert '<dialog class="viewer"' in page


def test_comparing_four_classes(annotator, four_classes, terrier_note):
    wnids = [s.wnid for s in four_classes]
    reference_image_create(synset=four_classes[3], original_name="x", data=picture(seed=1))
    response = login(annotator).get("/classes/compare/", {"wnids": ",".join(wnids)})
    page = html(response)
    assert [c["synset"].wnid for c in response.context["columns"]] == wnids
    assert "compare-grid cols-4" in page
    assert len(response.context["columns"][3]["gallery"]) == 1
    assert response.context["can_add"] is False
    # The note covers two of the four: still shown as shared.
    assert len(response.context["shared_notes"]) == 1


@pytest.mark.parametrize(
    "wnids, message",
    [
        (NORFOLK, "Compare 2 to 4 different classes; 1 was given."),
        (f"{NORFOLK},{NORFOLK}", "1 was given"),
        ("", "0 were given"),
        (f"{NORFOLK},{NORWICH},{CRANE_BIRD},{LAPTOP},n03126707", "5 were given"),
        (f"{NORFOLK},n99999999", "Not an ImageNet class: n99999999."),
        (f"{NORFOLK},n02092468", "Not an ImageNet class: n02092468."),
        (f"{NORFOLK},zzqx", "No class other than those already compared matches “zzqx”."),
    ],
)
def test_compare_errors_are_readable_400_pages(annotator, four_classes, wnids, message):
    make_class("crane_machine")
    make_ancestor()
    response = login(annotator).get("/classes/compare/", {"wnids": wnids})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Cannot compare these classes" in page and message in page
    assert "<title>" in page  # a whole page, not a bare message


def test_the_compare_with_form_resolves_a_wnid_or_a_name_as_typed(annotator, four_classes):
    make_class("crane_machine")
    client = login(annotator)
    by_name = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "norwich terrier"})
    assert by_name.status_code == 302
    assert by_name["Location"] == f"/classes/compare/?wnids={NORFOLK}%2C{NORWICH}"
    by_wnid = client.get("/classes/compare/", {"wnids": NORFOLK, "with": f" {LAPTOP} "})
    assert by_wnid["Location"] == f"/classes/compare/?wnids={NORFOLK}%2C{LAPTOP}"
    by_start = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "norwich"})
    assert by_start["Location"] == f"/classes/compare/?wnids={NORFOLK}%2C{NORWICH}"
    by_typo = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "laptp"})
    assert by_typo["Location"] == f"/classes/compare/?wnids={NORFOLK}%2C{LAPTOP}"

    ambiguous = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "crane"})
    assert ambiguous.status_code == 400
    page = ambiguous.content.decode()
    assert "No single class is called “crane”: pick one." in page
    for wnid in (CRANE_BIRD, "n03126707"):
        assert f"?wnids={NORFOLK}%2C{wnid}" in page

    again = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "norfolk"})
    assert again.status_code == 400
    assert "“norfolk” is Norfolk terrier, already compared." in again.content.decode()

    nothing = client.get("/classes/compare/", {"wnids": NORFOLK, "with": "zzqx"})
    assert nothing.status_code == 400 and "matches “zzqx”" in nothing.content.decode()


def test_the_compare_url_takes_names_and_shows_the_canonical_one(annotator, four_classes):
    client = login(annotator)
    response = client.get("/classes/compare/", {"wnids": "norwich, Norfolk"})
    assert response.status_code == 302
    assert response["Location"] == f"/classes/compare/?wnids={NORWICH}%2C{NORFOLK}"
    assert client.get(response["Location"]).status_code == 200


def test_an_ambiguous_name_in_the_compare_url_offers_the_candidates(annotator, four_classes):
    make_class("crane_machine")
    response = login(annotator).get("/classes/compare/", {"wnids": f"crane,{LAPTOP}"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "No single class is called “crane”" in page
    # Each choice keeps the rest of the comparison.
    for wnid in (CRANE_BIRD, "n03126707"):
        assert f"?wnids={wnid}%2C{LAPTOP}" in page


# --- Who may look ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["annotator", "study_admin", "researcher"])
def test_every_role_may_browse_classes(request, persona, four_classes):
    client = login(request.getfixturevalue(persona))
    for url in [
        "/classes/",
        f"/classes/{NORFOLK}/",
        f"/classes/compare/?wnids={NORFOLK},{NORWICH}",
    ]:
        assert client.get(url).status_code == 200, url


def test_outsiders_are_refused_and_anonymous_users_sent_to_log_in(outsider, four_classes):
    make_ancestor()
    urls = [
        "/classes/",
        f"/classes/{NORFOLK}/",
        "/classes/node/n02092468/",
        f"/classes/compare/?wnids={NORFOLK},{NORWICH}",
    ]
    for url in urls:
        assert login(outsider).get(url).status_code == 403, url
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
