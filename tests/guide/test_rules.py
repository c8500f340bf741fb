"""Each rule of the guide lives in its services; the page, the API, the admin and the import
command only check the shape of what they get, and show the service's message as it is."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from labeling.guide.models import DistinctionNote, GuideEntry, GuideRevision
from labeling.guide.services import (
    TEXT_MAX,
    UNSTORABLE,
    GuideImportError,
    distinction_note_save,
    guide_entry_save,
    guide_import,
)
from tests.helpers import api_client_for, login, make_user
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH = "n02094114", "n02094258"
TOO_LONG = "x" * (TEXT_MAX + 1)
TEXT_LIMIT = "The text is 100,001 characters long; the guide takes at most 100,000."
TWO_CLASSES = "A distinction note compares at least two different classes."
ONE_LINE = "The title must be one line."
NOT_CLASSES = "Not ImageNet classes: n02092468."


@pytest.fixture
def classes():
    return make_class("norfolk"), make_class("norwich"), make_ancestor()


@pytest.fixture
def superuser(db):
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def nothing_written() -> bool:
    return not (
        GuideEntry.objects.exists()
        or DistinctionNote.objects.exists()
        or GuideRevision.objects.exists()
    )


# --- The services ------------------------------------------------------------------------------


def test_the_services_refuse_a_text_over_the_limit_and_write_nothing(classes, annotator):
    norfolk, norwich, _ = classes
    with pytest.raises(ValidationError) as caught:
        guide_entry_save(synset=norfolk, text=TOO_LONG, author=annotator)
    assert caught.value.message_dict == {"text": [TEXT_LIMIT]}
    with pytest.raises(ValidationError) as caught:
        distinction_note_save(
            title="Ears", text=TOO_LONG, synsets=[norfolk, norwich], author=annotator
        )
    assert caught.value.message_dict == {"text": [TEXT_LIMIT]}
    with pytest.raises(GuideImportError) as caught:
        guide_import(
            document={"format": 1, "entries": [{"wnid": NORFOLK, "text": TOO_LONG}], "notes": []},
            author=annotator,
        )
    assert isinstance(caught.value, ValidationError)  # the import's error is a rule's error too
    assert caught.value.problems == [f"entries[0]: {TEXT_LIMIT}"]
    assert nothing_written()
    # At the limit exactly, the text is taken.
    guide_entry_save(synset=norfolk, text="x" * TEXT_MAX, author=annotator)


def test_the_services_name_the_field_each_rule_is_about(classes, annotator):
    norfolk, _, terrier = classes
    with pytest.raises(ValidationError) as caught:
        distinction_note_save(
            title="Two\nlines", text=TOO_LONG, synsets=[norfolk, terrier], author=annotator
        )
    assert caught.value.message_dict == {
        "title": [ONE_LINE],
        "text": [TEXT_LIMIT],
        "synsets": [NOT_CLASSES],
    }
    with pytest.raises(ValidationError) as caught:
        distinction_note_save(title="Ears", text="", synsets=[NORFOLK, NORFOLK], author=annotator)
    assert caught.value.message_dict == {"synsets": [TWO_CLASSES]}
    with pytest.raises(ValidationError) as caught:
        guide_entry_save(synset=terrier, text="An ancestor has no entry.", author=annotator)
    assert caught.value.message_dict == {"synset": [NOT_CLASSES]}
    assert nothing_written()


def test_a_note_takes_its_classes_as_rows_or_wnids(classes, annotator):
    norfolk, norwich, _ = classes
    note = distinction_note_save(
        title=" Ears ", text="", synsets=[norfolk, NORWICH, NORFOLK], author=annotator
    )
    assert note.title == "Ears"
    assert set(note.synsets.all()) == {norfolk, norwich}


# --- The same message on every surface ---------------------------------------------------------


def test_the_page_shows_the_services_messages(classes, annotator):
    client = login(annotator)
    response = client.post(f"/guide/entries/{NORFOLK}/edit/", {"text": TOO_LONG})
    assert response.status_code == 200
    assert TEXT_LIMIT in response.text
    response = client.post(
        "/guide/notes/new/", {"title": "Two\nlines", "wnids": f"{NORFOLK} {NORFOLK}", "text": ""}
    )
    assert response.status_code == 200
    assert TWO_CLASSES in response.text and ONE_LINE in response.text
    response = client.post("/guide/notes/new/", {"title": "", "wnids": NORFOLK, "text": ""})
    assert "A distinction note needs a title." in response.text
    assert nothing_written()


def test_the_api_answers_400_with_the_services_messages(classes, annotator):
    client = api_client_for(annotator)
    response = client.put(f"/api/guide/entries/{NORFOLK}/", {"text": TOO_LONG}, format="json")
    assert response.status_code == 400
    assert response.json() == {"text": [TEXT_LIMIT]}
    response = client.post(
        "/api/guide/notes/",
        {"title": "Ears", "text": TOO_LONG, "wnids": [NORFOLK, NORWICH]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"text": [TEXT_LIMIT]}
    response = client.post(
        "/api/guide/notes/",
        {"title": "Two\nlines", "text": "", "wnids": [NORFOLK]},
        format="json",
    )
    assert response.status_code == 400
    # The API takes a note's classes as `wnids`, and answers under that name.
    assert response.json() == {"title": [ONE_LINE], "wnids": [TWO_CLASSES]}
    assert nothing_written()


def test_the_api_refuses_a_longer_text_on_every_write(classes, annotator):
    client = api_client_for(annotator)
    note = distinction_note_save(
        title="Ears", text="short", synsets=[NORFOLK, NORWICH], author=annotator
    )
    for method in ("put", "patch"):
        response = getattr(client, method)(
            f"/api/guide/notes/{note.pk}/",
            {"title": "Ears", "text": TOO_LONG, "wnids": [NORFOLK, NORWICH]},
            format="json",
        )
        assert response.status_code == 400, method
        assert response.json() == {"text": [TEXT_LIMIT]}
    note.refresh_from_db()
    assert note.text == "short" and note.revisions.count() == 1


def test_a_body_over_the_upload_limit_is_a_json_413(classes, annotator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    body = json.dumps({"text": "x" * 1_000_001})
    response = api_client_for(annotator).generic(
        "PUT", f"/api/guide/entries/{NORFOLK}/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "1,000,000 bytes" in response.json()["detail"]
    assert nothing_written()


def test_the_admin_shows_the_services_messages(classes, superuser):
    norfolk, _, terrier = classes
    client = login(superuser)
    response = client.post("/admin/guide/guideentry/add/", {"synset": norfolk.pk, "text": TOO_LONG})
    assert response.status_code == 200
    assert TEXT_LIMIT in response.text
    response = client.post(
        "/admin/guide/distinctionnote/add/",
        {"title": "Ears", "text": "", "synsets": [norfolk.pk, terrier.pk]},
    )
    assert response.status_code == 200
    assert NOT_CLASSES in response.text
    response = client.post(
        "/admin/guide/distinctionnote/add/",
        {"title": "Ears", "text": "", "synsets": [norfolk.pk]},
    )
    assert TWO_CLASSES in response.text
    assert nothing_written()


def test_the_import_command_lists_the_services_messages(classes, tmp_path, capsys):
    path = tmp_path / "guide.json"
    path.write_text(
        json.dumps(
            {
                "format": 1,
                "entries": [{"wnid": NORFOLK, "text": TOO_LONG}],
                "notes": [{"title": "Two\nlines", "text": "", "wnids": [NORFOLK, NORFOLK]}],
            }
        )
    )
    with pytest.raises(CommandError, match="rejected, 3 problems"):
        call_command("import_guide", str(path))
    err = capsys.readouterr().err
    for message in (
        f"entries[0]: {TEXT_LIMIT}",
        f"notes[0]: {ONE_LINE}",
        f"notes[0]: {TWO_CLASSES}",
    ):
        assert message in err
    assert nothing_written()


def test_an_import_refuses_what_the_database_cannot_store(classes, annotator):
    document = {
        "format": 1,
        "entries": [{"wnid": NORFOLK, "text": "nul \x00"}, {"wnid": NORWICH, "text": "a\ud800b"}],
        "notes": [{"title": "Ears \x00", "text": "", "wnids": [NORFOLK, NORWICH]}],
    }
    with pytest.raises(GuideImportError) as caught:
        guide_import(document=document, author=annotator)
    assert caught.value.problems == [
        f"entries[0]: {UNSTORABLE}",
        f"entries[1]: {UNSTORABLE}",
        "notes[0]: " + UNSTORABLE.replace("text", "title"),
    ]
    assert nothing_written()
