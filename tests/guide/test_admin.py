"""Saving the guide through the Django admin keeps revisions, like every other way of saving."""

from __future__ import annotations

import pytest

from labeling.guide.models import DistinctionNote, GuideEntry, GuideRevision
from labeling.guide.services import distinction_note_save, guide_entry_save
from tests.helpers import login, make_user
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


def with_history(data: dict, revisions: int) -> dict:
    """Form data as the browser sends it, with the read-only revisions inline's management form."""
    return {**data, "revisions-TOTAL_FORMS": revisions, "revisions-INITIAL_FORMS": revisions}


@pytest.fixture
def superuser():
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_adding_and_editing_an_entry_in_the_admin_keeps_revisions(superuser):
    norfolk = make_class("norfolk")
    client = login(superuser)
    response = client.post(
        "/admin/guide/guideentry/add/",
        {"synset": norfolk.pk, "text": "Drop ears.", "revision_comment": "first"},
    )
    assert response.status_code == 302, response.content
    entry = GuideEntry.objects.get(synset=norfolk)
    response = client.post(
        f"/admin/guide/guideentry/{entry.pk}/change/",
        with_history({"text": "Drop ears, folded forward.", "revision_comment": "more precise"}, 1),
    )
    assert response.status_code == 302, response.content
    revisions = list(GuideRevision.objects.filter(entry=entry).order_by("number"))
    assert [(r.number, r.comment, r.author) for r in revisions] == [
        (1, "first", superuser),
        (2, "more precise", superuser),
    ]
    # Saving the form unchanged adds no revision.
    response = client.post(
        f"/admin/guide/guideentry/{entry.pk}/change/",
        with_history({"text": "Drop ears, folded forward."}, 2),
    )
    assert response.status_code == 302, response.content
    assert GuideRevision.objects.filter(entry=entry).count() == 2


def test_a_note_with_one_class_is_refused_by_the_admin_form(superuser):
    response = login(superuser).post(
        "/admin/guide/distinctionnote/add/",
        {"title": "Ears", "text": "x", "synsets": [make_class("norfolk").pk]},
    )
    assert response.status_code == 200
    assert "A distinction note compares at least two different classes." in response.text
    assert DistinctionNote.objects.count() == 0


def test_a_note_saved_in_the_admin_gets_revisions(superuser):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    client = login(superuser)
    response = client.post(
        "/admin/guide/distinctionnote/add/",
        {"title": "Ears", "text": "x", "synsets": [norfolk.pk, norwich.pk]},
    )
    assert response.status_code == 302, response.content
    note = DistinctionNote.objects.get()
    response = client.post(
        f"/admin/guide/distinctionnote/{note.pk}/change/",
        with_history({"title": "Ears", "text": "y", "synsets": [norfolk.pk, norwich.pk]}, 1),
    )
    assert response.status_code == 302, response.content
    assert [r.number for r in note.revisions.order_by("number")] == [1, 2]
    assert set(note.synsets.all()) == {norfolk, norwich}


def test_guide_admin_pages_list_search_and_filter(superuser, annotator):
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    entry = guide_entry_save(synset=norfolk, text="Drop ears.", author=annotator)
    note = distinction_note_save(
        title="Ears", text="x", synsets=[norfolk, norwich], author=annotator
    )
    revision = GuideRevision.objects.filter(entry=entry).get()
    client = login(superuser)
    for url in [
        "/admin/guide/guideentry/?q=n02094114&synset__group__exact=dog",
        f"/admin/guide/guideentry/{entry.pk}/change/",
        "/admin/guide/distinctionnote/?q=Ears&synsets__group__exact=dog",
        f"/admin/guide/distinctionnote/{note.pk}/change/",
        "/admin/guide/guiderevision/?q=ears",
        "/admin/guide/guiderevision/?entry__isempty=0",
        f"/admin/guide/guiderevision/{revision.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/admin/guide/guiderevision/add/").status_code == 403


def test_a_frozen_guide_is_refused_by_the_admin_form_with_the_freeze_named(superuser):
    from labeling.guide.services import guide_freeze

    norfolk = make_class("norfolk")
    guide_entry_save(synset=norfolk, text="Drop ears.", author=superuser)
    entry = GuideEntry.objects.get(synset=norfolk)
    guide_freeze(name="Evaluation December", by=superuser)
    response = login(superuser).post(
        f"/admin/guide/guideentry/{entry.pk}/change/",
        with_history({"text": "Changed during the evaluation."}, 1),
    )
    assert response.status_code == 200
    assert "frozen (Evaluation December)" in response.content.decode()
    entry.refresh_from_db()
    assert entry.text == "Drop ears."


def test_an_admin_can_release_a_freeze_from_the_freeze_list(superuser):
    from labeling.guide.models import GuideFreeze
    from labeling.guide.services import guide_freeze

    freeze = guide_freeze(name="Evaluation December", by=superuser)
    response = login(superuser).post(
        "/admin/guide/guidefreeze/",
        {"action": "release", "_selected_action": [freeze.pk]},
        follow=True,
    )
    assert "Released Evaluation December." in response.content.decode()
    assert GuideFreeze.objects.get(pk=freeze.pk).released_by == superuser


def test_releasing_an_already_released_freeze_in_the_admin_warns_by_name(superuser):
    from labeling.guide.models import GuideFreeze
    from labeling.guide.services import guide_freeze, guide_release

    freeze = guide_release(freeze=guide_freeze(name="Evaluation November", by=None), by=None)
    response = login(superuser).post(
        "/admin/guide/guidefreeze/",
        {"action": "release", "_selected_action": [freeze.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Evaluation November: This freeze was already released." in page
    assert "Released Evaluation November." not in page
    assert GuideFreeze.objects.get(pk=freeze.pk).released_by is None
