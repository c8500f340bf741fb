"""The guide's pages: reading, editing with a preview, history and diffs, and freezing."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client

from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.selectors import guide_for_class
from labeling.guide.services import (
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_release,
)
from labeling.taxonomy.models import Synset
from tests.helpers import login
from tests.taxonomy.factories import make_class, make_imagenet_classes

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(annotator):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    make_class("laptop")
    guide_entry_save(synset=norfolk, text="Drop ears.\nWiry coat.", author=annotator)
    return distinction_note_save(
        title="Norwich vs Norfolk terrier: ears",
        text="Norwich: **prick** ears.",
        synsets=[norfolk, norwich],
        author=annotator,
    )


def read_urls(note) -> list[str]:
    return [
        "/guide/",
        "/guide/?q=norfolk",
        "/guide/entries/n02094114/",
        "/guide/entries/n03642806/",  # a class without an entry has a page too
        "/guide/entries/n02094114/history/",
        "/guide/entries/n02094114/history/?view=1",
        f"/guide/notes/{note.pk}/",
        f"/guide/notes/{note.pk}/history/",
    ]


EDIT_URLS = ["/guide/entries/n02094114/edit/", "/guide/notes/new/", "/guide/notes/{pk}/edit/"]


@pytest.mark.parametrize("persona", ["annotator", "study_admin", "researcher"])
def test_every_role_reads_the_guide_pages(persona, guide, request):
    client = login(request.getfixturevalue(persona))
    for url in read_urls(guide):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'href="/guide/">Guide</a>' in response.content  # the nav link


def test_outsiders_get_403_and_anonymous_users_the_login_page(guide, outsider):
    client = login(outsider)
    urls = read_urls(guide) + [u.format(pk=guide.pk) for u in EDIT_URLS] + ["/guide/freeze/"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/?next="
        ), url


def test_the_read_pages_serve_only_get_and_head(guide, annotator):
    client = login(annotator)
    for url in read_urls(guide):
        assert client.head(url).status_code == 200, url
        for method in (client.post, client.put, client.delete):
            assert method(url).status_code == 405, url


def test_researchers_see_no_edit_links_and_cannot_edit(guide, researcher):
    client = login(researcher)
    page = client.get("/guide/entries/n02094114/").content.decode()
    assert "/guide/entries/n02094114/edit/" not in page
    for url in EDIT_URLS:
        assert client.get(url.format(pk=guide.pk)).status_code == 403
    response = client.post("/guide/entries/n02094114/edit/", {"text": "x"})
    assert response.status_code == 403
    assert client.post("/guide/preview/", {"text": "x"}).status_code == 403
    assert client.get("/guide/freeze/").status_code == 403
    assert GuideRevision.objects.filter(text="x").count() == 0


def test_unknown_classes_and_notes_are_404(guide, annotator):
    client = login(annotator)
    for url in [
        "/guide/entries/n99999999/",
        "/guide/entries/n99999999/edit/",
        "/guide/notes/999/",
        "/guide/notes/999/edit/",
        "/guide/entries/n02094114/history/?a=1&b=7",
        "/guide/entries/n02094114/history/?view=x",
    ]:
        assert client.get(url).status_code == 404, url


def test_the_entry_page_shows_the_rendered_entry_and_the_notes_about_the_class(guide, annotator):
    guide_entry_save(
        synset=make_class("norfolk"),
        text="See [[n02094258]]. <script>alert(1)</script><b onclick=x>bold</b>",
        author=annotator,
    )
    page = login(annotator).get("/guide/entries/n02094114/").content.decode()
    assert '<a class="class-link" href="/classes/n02094258/"' in page
    assert "<script>alert" not in page and "onclick" not in page
    assert "Norwich vs Norfolk terrier: ears" in page
    assert "<strong>prick</strong>" in page
    assert 'href="/guide/entries/n02094114/edit/"' in page


def test_the_index_lists_and_searches_entries_and_notes(guide, annotator):
    client = login(annotator)
    page = client.get("/guide/").content.decode()
    assert "Norfolk terrier" in page and "Norwich vs Norfolk terrier: ears" in page
    page = client.get("/guide/?q=laptop").content.decode()
    assert 'href="/guide/entries/n02094114/"' not in page
    # A class without an entry is offered for writing one.
    assert 'href="/guide/entries/n03642806/edit/"' in page
    page = client.get("/guide/?q=norwich").content.decode()
    assert 'href="/guide/notes/' in page  # the note mentions Norwich


def test_saving_an_entry_in_the_editor_adds_a_revision(guide, annotator, study_admin):
    client = login(study_admin)
    form = client.get("/guide/entries/n02094114/edit/").content.decode()
    assert "Drop ears.\nWiry coat.</textarea>" in form
    assert 'data-preview-url="/guide/preview/"' in form
    assert "<p>Drop ears.\nWiry coat.</p>" in form  # the preview starts rendered
    response = client.post(
        "/guide/entries/n02094114/edit/",
        {"text": "Drop ears.\r\nHard coat.\r\n", "comment": "coat", "base_revision": "1"},
    )
    assert response.status_code == 302 and response["Location"] == "/guide/entries/n02094114/"
    latest = GuideRevision.objects.filter(entry__synset__wnid="n02094114").order_by("-number")[0]
    assert (latest.number, latest.text, latest.author, latest.comment) == (
        2,
        "Drop ears.\nHard coat.",
        study_admin,
        "coat",
    )


def test_a_save_on_top_of_someone_elses_newer_revision_is_held_back(guide, annotator, study_admin):
    client = login(annotator)
    client.get("/guide/entries/n02094114/edit/")  # opened at revision 1
    guide_entry_save(synset=make_class("norfolk"), text="Admin's version.", author=study_admin)
    response = client.post(
        "/guide/entries/n02094114/edit/", {"text": "Mine.", "base_revision": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "adam saved revision 2 while you were editing" in page
    assert "?a=1&amp;b=2" in page
    assert 'name="base_revision" value="2"' in page
    assert GuideEntry.objects.get(synset__wnid="n02094114").text == "Admin's version."
    # Saving again, now knowingly on top of revision 2, goes through.
    response = client.post(
        "/guide/entries/n02094114/edit/", {"text": "Mine.", "base_revision": "2"}
    )
    assert response.status_code == 302
    assert GuideEntry.objects.get(synset__wnid="n02094114").text == "Mine."


def test_writing_a_first_entry_and_creating_and_editing_a_note(guide, annotator):
    client = login(annotator)
    response = client.post("/guide/entries/n03642806/edit/", {"text": "A laptop."})
    assert response.status_code == 302
    assert GuideEntry.objects.get(synset__wnid="n03642806").text == "A laptop."

    page = client.get("/guide/notes/new/?wnids=n02094114").content.decode()
    assert 'value="n02094114"' in page
    response = client.post(
        "/guide/notes/new/",
        {"title": "Laptop vs terrier", "wnids": "n03642806, n02094114", "text": "Obvious."},
    )
    assert response.status_code == 302
    note = DistinctionNote.objects.get(title="Laptop vs terrier")
    assert response["Location"] == f"/guide/notes/{note.pk}/"
    response = client.post(
        f"/guide/notes/{note.pk}/edit/",
        {
            "title": "Laptop vs terrier",
            "wnids": "n03642806 n02094258",
            "text": "Still obvious.",
            "comment": "other terrier",
            "base_revision": "1",
        },
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert {s.wnid for s in note.synsets.all()} == {"n03642806", "n02094258"}
    assert [r.comment for r in note.revisions.order_by("number")] == ["", "other terrier"]


def test_a_bad_note_form_shows_its_errors(guide, annotator):
    client = login(annotator)
    for wnids, error in [
        ("n02094114", "at least two different classes"),
        ("n02094114, n99999999", "Not ImageNet classes: n99999999"),
        ("n02094114, terrier", "Not wnids"),
    ]:
        response = client.post("/guide/notes/new/", {"title": "t", "wnids": wnids, "text": "x"})
        assert response.status_code == 200
        assert error in response.content.decode()
    assert DistinctionNote.objects.count() == 1


def test_the_history_lists_revisions_and_the_diff_shows_the_changed_line(guide, annotator):
    norfolk = make_class("norfolk")
    guide_entry_save(
        synset=norfolk, text="Drop ears.\nHard <coat>.", author=annotator, comment="coat"
    )
    guide_entry_save(
        synset=norfolk, text="Drop ears.\nHard <coat>.\nSmall.", author=annotator, comment="size"
    )
    client = login(annotator)
    page = client.get("/guide/entries/n02094114/history/").content.decode()
    rows = [page.index(f"<td>{n}</td>") for n in (3, 2, 1)]
    assert rows == sorted(rows)  # newest first
    assert "<td>coat</td>" in page and "<td>size</td>" in page

    page = client.get("/guide/entries/n02094114/history/?a=1&b=2").content.decode()
    assert '<tr class="removed">' in page and '<tr class="added">' in page
    assert '<td class="line">Wiry coat.</td>' in page
    assert '<td class="line">Hard &lt;coat&gt;.</td>' in page  # escaped, not markup
    assert '<td class="line">Drop ears.</td>' in page  # context line
    # Revisions in either order compare older → newer.
    page = client.get("/guide/entries/n02094114/history/?a=3&b=1").content.decode()
    assert "Revision 1 → 3" in page
    page = client.get("/guide/entries/n02094114/history/?a=2&b=2").content.decode()
    assert "The texts are the same." in page


def test_note_history_shows_title_changes(guide, annotator):
    distinction_note_save(
        note=guide,
        title="Ears",
        text=guide.text,
        synsets=guide.synsets.all(),
        author=annotator,
    )
    page = login(annotator).get(f"/guide/notes/{guide.pk}/history/?a=1&b=2").content.decode()
    assert "<del>Norwich vs Norfolk terrier: ears</del> → <ins>Ears</ins>" in page


def test_the_preview_renders_safely(annotator):
    client = login(annotator)
    response = client.post(
        "/guide/preview/", {"text": "**b** <script>alert(1)</script><img src=x onerror=y>"}
    )
    assert response.status_code == 200
    assert response.json() == {"html": "<p><strong>b</strong> </p>"}
    assert client.get("/guide/preview/").status_code == 405
    assert client.post("/guide/preview/", {"text": "x" * 100_001}).status_code == 400


def test_the_preview_needs_the_csrf_token(annotator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(annotator)
    assert client.post("/guide/preview/", {"text": "x"}).status_code == 403


def test_a_frozen_guide_shows_why_and_offers_no_form(guide, annotator, study_admin):
    freeze = guide_freeze(name="Evaluation round 1", by=study_admin, reason="final")
    client = login(annotator)
    page = client.get("/guide/").content.decode()
    assert 'id="guide-freeze-banner"' in page and "Evaluation round 1" in page
    entry_page = client.get("/guide/entries/n02094114/").content.decode()
    assert "/edit/" not in entry_page
    for url in EDIT_URLS:
        response = client.get(url.format(pk=guide.pk))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'id="frozen-message"' in page and "<textarea" not in page
    response = client.post("/guide/entries/n02094114/edit/", {"text": "changed"})
    assert response.status_code == 409
    response = client.post(
        f"/guide/notes/{guide.pk}/edit/",
        {"title": "t", "wnids": "n02094114 n02094258", "text": "changed"},
    )
    assert response.status_code == 409
    assert GuideEntry.objects.get(synset__wnid="n02094114").text == "Drop ears.\nWiry coat."

    guide_release(freeze=freeze, by=study_admin)
    response = client.post("/guide/entries/n02094114/edit/", {"text": "changed"})
    assert response.status_code == 302
    assert GuideEntry.objects.get(synset__wnid="n02094114").text == "changed"


def test_admins_freeze_and_release_from_the_freeze_page(guide, study_admin, annotator):
    client = login(study_admin)
    page = client.get("/guide/freeze/").content.decode()
    assert 'id="freeze-guide"' in page
    response = client.post(
        "/guide/freeze/", {"action": "freeze", "name": "Round 1", "reason": "eval"}
    )
    assert response.status_code == 302
    freeze = GuideFreeze.objects.get()
    assert freeze.is_active and freeze.created_by == study_admin and freeze.reason == "eval"
    page = client.get("/guide/freeze/").content.decode()
    assert 'id="release-freeze"' in page and 'id="freeze-guide"' not in page

    # A second freeze (from a stale page) is refused.
    response = client.post("/guide/freeze/", {"action": "freeze", "name": "Round 2"})
    assert response.status_code == 409
    assert "already frozen" in response.content.decode()
    assert login(annotator).get("/guide/freeze/").status_code == 403

    response = client.post("/guide/freeze/", {"action": "release", "freeze_id": freeze.pk})
    assert response.status_code == 302
    freeze.refresh_from_db()
    assert not freeze.is_active and freeze.released_by == study_admin
    assert client.post("/guide/freeze/", {"action": "nonsense"}).status_code == 400
    response = client.post("/guide/freeze/", {"action": "freeze", "name": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_the_entry_panel_include_renders_for_a_class_page(guide):
    norwich = make_class("norwich")
    context = guide_for_class(synset=norwich)
    assert context["guide_entry"] is None
    assert [note.pk for note in context["guide_notes"]] == [guide.pk]
    html = render_to_string("guide/_entry_panel.html", context)
    assert "No guide entry for this class yet." in html
    assert "<strong>prick</strong>" in html

    context = guide_for_class(synset=make_class("norfolk"))
    html = render_to_string("guide/_entry_panel.html", context)
    assert "<p>Drop ears.\nWiry coat.</p>" in html
    assert 'href="/guide/entries/n02094114/history/"' in html


def test_the_static_files_exist_and_nothing_comes_from_a_cdn(guide, annotator):
    from django.contrib.staticfiles import finders

    assert finders.find("css/guide.css") and finders.find("js/guide.js")
    page = login(annotator).get("/guide/entries/n02094114/edit/").content.decode()
    assert '<script src="/static/js/guide.js" defer></script>' in page
    assert "//cdn" not in page and "https://" not in page


def test_a_release_without_a_valid_freeze_id_is_a_400_with_a_message(study_admin):
    client = login(study_admin)
    for freeze_id in ("abc", "", "-1", "1.5"):
        response = client.post("/guide/freeze/", {"action": "release", "freeze_id": freeze_id})
        assert response.status_code == 400, freeze_id
        assert "No freeze to release: the freeze id must be a number." in response.text
    assert client.post("/guide/freeze/", {"action": "release"}).status_code == 400
    response = client.post("/guide/freeze/", {"action": "release", "freeze_id": "999"})
    assert response.status_code == 404


def test_releasing_a_released_freeze_from_a_stale_page_says_so(study_admin):
    freeze = guide_freeze(name="Round 1", by=study_admin)
    guide_release(freeze=freeze, by=study_admin)
    response = login(study_admin).post(
        "/guide/freeze/", {"action": "release", "freeze_id": freeze.pk}
    )
    assert response.status_code == 409
    assert "This freeze was already released." in response.text


def test_the_index_search_forgives_typos_finds_wnid_prefixes_and_names_synonyms(annotator):
    classes = make_imagenet_classes()
    Synset.objects.filter(wnid="n01682714").update(
        lemmas=["American chameleon", "anole", "Anolis carolinensis"]
    )
    guide_entry_save(synset=classes["n01682714"], text="Green to brown.", author=annotator)
    guide_entry_save(synset=classes["n02094114"], text="Drop ears.", author=annotator)
    client = login(annotator)
    page = client.get("/guide/?q=anole").text
    assert 'href="/guide/entries/n01682714/"' in page
    assert '<span class="matched">matched: anole</span>' in page
    page = client.get("/guide/?q=norfok+terier").text
    assert 'href="/guide/entries/n02094114/"' in page
    page = client.get("/guide/?q=n01").text
    assert 'href="/guide/entries/n01682714/"' in page
    assert 'href="/guide/entries/n02094114/"' not in page
    assert "Write the entry for tench" in page


def test_a_search_that_lists_only_part_of_its_results_says_so(annotator, monkeypatch):
    classes = make_imagenet_classes()
    for wnid in ("n02094114", "n02094258", "n02093754"):  # Norfolk, Norwich, Border terrier
        guide_entry_save(synset=classes[wnid], text="A terrier.", author=annotator)
    monkeypatch.setattr("labeling.guide.views.SEARCH_SHOWN", 2)
    client = login(annotator)
    page = client.get("/guide/?q=terrier").text
    assert "Showing 2 of 3 — refine the search." in page
    assert '<span class="count" data-filter-count data-total="3">3</span>' in page
    assert page.count("Write the entry for") == 16  # the other terriers: all of them
    page = client.get("/guide/?q=n02").text
    assert page.count("Write the entry for") == 20
    assert re.search(r"Showing 20 of \d{3} — refine the search\.", page)
    # Without a search, every entry is listed.
    page = client.get("/guide/").text
    assert page.count('href="/guide/entries/n02') == 3 and "refine the search" not in page


def test_the_index_takes_a_fixed_number_of_queries(
    many_entries, annotator, django_assert_max_num_queries
):
    client = login(annotator)
    client.get("/guide/?q=terrier")  # builds the class search index
    for url in ("/guide/?q=terrier", "/guide/"):
        with django_assert_max_num_queries(9):
            assert client.get(url).status_code == 200
