"""The guide over the REST API: who may read and write, revisions, 409 while frozen, files."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from labeling.guide.models import DistinctionNote, GuideEntry, GuideFreeze, GuideRevision
from labeling.guide.services import distinction_note_save, guide_entry_save, guide_freeze
from labeling.taxonomy.text import WNID
from tests.helpers import api_client_for
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes():
    return make_class("norfolk"), make_class("norwich"), make_class("laptop")


@pytest.fixture
def guide(classes, annotator):
    norfolk, norwich, _ = classes
    guide_entry_save(synset=norfolk, text="Drop ears. Unlike [[n02094258]].", author=annotator)
    note = distinction_note_save(
        title="Norwich vs Norfolk terrier: ears",
        text="Norwich: **prick** ears.",
        synsets=[norfolk, norwich],
        author=annotator,
    )
    return note


# --- Permissions ------------------------------------------------------------------------------

READ_URLS = [
    "/api/guide/entries/",
    "/api/guide/entries/n02094114/",
    "/api/guide/entries/n02094114/revisions/",
    "/api/guide/notes/",
    "/api/guide/notes/{note}/",
    "/api/guide/notes/{note}/revisions/",
    "/api/guide/export/?format=json",
    "/api/guide/freeze/",
]


@pytest.mark.parametrize("persona", ["annotator", "study_admin", "researcher"])
def test_every_role_reads_the_guide(persona, guide, request):
    client = api_client_for(request.getfixturevalue(persona))
    for url in READ_URLS:
        response = client.get(url.format(note=guide.pk))
        assert response.status_code == 200, (url, response.content)


def test_users_without_a_role_and_anonymous_ones_read_nothing(guide, outsider):
    client = api_client_for(outsider)
    for url in READ_URLS:
        response = client.get(url.format(note=guide.pk))
        assert response.status_code == 403, url
        assert "role" in response.json()["detail"]
    for url in READ_URLS:
        assert APIClient().get(url.format(note=guide.pk)).status_code == 401, url


@pytest.mark.parametrize("persona", ["annotator", "study_admin"])
def test_annotators_and_admins_edit_entries_and_notes(persona, guide, request):
    client = api_client_for(request.getfixturevalue(persona))
    response = client.put(
        "/api/guide/entries/n02094114/", {"text": "Drop ears, v2.", "comment": "c"}, format="json"
    )
    assert response.status_code == 200, response.content
    response = client.put(
        f"/api/guide/notes/{guide.pk}/",
        {"title": "Ears", "text": "t", "wnids": ["n02094114", "n02094258"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    response = client.post(
        "/api/guide/notes/",
        {"title": "Screens", "text": "t", "wnids": ["n03642806", "n02094114"]},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_researchers_only_read(guide, researcher):
    client = api_client_for(researcher)
    revisions = GuideRevision.objects.count()
    responses = [
        client.put("/api/guide/entries/n02094114/", {"text": "x"}, format="json"),
        client.put(
            f"/api/guide/notes/{guide.pk}/",
            {"title": "t", "text": "x", "wnids": ["n02094114", "n02094258"]},
            format="json",
        ),
        client.patch(f"/api/guide/notes/{guide.pk}/", {"text": "x"}, format="json"),
        client.post(
            "/api/guide/notes/",
            {"title": "t", "text": "x", "wnids": ["n02094114", "n02094258"]},
            format="json",
        ),
        client.post("/api/guide/import/", {"format": 1, "entries": []}, format="json"),
        client.post("/api/guide/freeze/", {"name": "r"}, format="json"),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    assert GuideRevision.objects.count() == revisions
    assert GuideFreeze.objects.count() == 0


def test_annotators_cannot_import_freeze_or_release(guide, annotator, study_admin):
    client = api_client_for(annotator)
    assert client.post("/api/guide/import/", {"format": 1}, format="json").status_code == 403
    assert client.post("/api/guide/freeze/", {"name": "r"}, format="json").status_code == 403
    freeze = guide_freeze(name="Round 1", by=study_admin)
    assert client.post(f"/api/guide/freeze/{freeze.pk}/release/").status_code == 403
    assert GuideFreeze.objects.get().is_active


# --- Entries ----------------------------------------------------------------------------------


def test_entries_list_carries_safe_html_and_filters_by_group(guide, annotator):
    guide_entry_save(synset=make_class("laptop"), text="<script>x</script>A laptop.", author=None)
    client = api_client_for(annotator)
    body = client.get("/api/guide/entries/").json()
    assert body["count"] == 2
    norfolk, laptop = body["results"]
    assert norfolk["wnid"] == "n02094114" and norfolk["name"] == "Norfolk terrier"
    assert norfolk["revision"] == 1 and norfolk["updated_by"] == "anna"
    assert '<a class="class-link" href="/classes/n02094258/"' in norfolk["html"]
    assert "<script" not in laptop["html"] and "A laptop." in laptop["html"]
    dogs = client.get("/api/guide/entries/?group=dog").json()
    assert [e["wnid"] for e in dogs["results"]] == ["n02094114"]
    assert client.get("/api/guide/entries/?group=cats").status_code == 400
    assert client.get("/api/guide/entries/?search=laptop").json()["count"] == 1
    assert client.get("/api/guide/entries/?page_size=1").json()["next"] is not None


def test_putting_an_entry_creates_it_then_adds_revisions(classes, annotator, study_admin):
    client = api_client_for(annotator)
    assert client.get("/api/guide/entries/n03642806/").status_code == 404
    response = client.put(
        "/api/guide/entries/n03642806/",
        {"text": "A laptop.\r\nFolds.\r\n", "comment": "first"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["text"] == "A laptop.\nFolds."  # browsers' CRLF stored as LF
    assert response.json()["html"] == "<p>A laptop.\nFolds.</p>"
    api_client_for(study_admin).put(
        "/api/guide/entries/n03642806/", {"text": "A portable computer."}, format="json"
    )
    # The same text again adds nothing.
    client.put("/api/guide/entries/n03642806/", {"text": "A portable computer."}, format="json")
    revisions = client.get("/api/guide/entries/n03642806/revisions/").json()["results"]
    assert [(r["number"], r["author"], r["comment"]) for r in revisions] == [
        (2, "adam", ""),
        (1, "anna", "first"),
    ]
    assert revisions[0]["text"] == "A portable computer."


def test_entries_exist_only_for_classes(classes, annotator):
    make_ancestor()
    client = api_client_for(annotator)
    for wnid in ["n99999999", "n02092468", "nonsense"]:
        response = client.put(f"/api/guide/entries/{wnid}/", {"text": "x"}, format="json")
        assert response.status_code == 404, wnid
        assert "detail" in response.json()
    response = client.put("/api/guide/entries/n02094114/", {}, format="json")
    assert response.status_code == 400 and "text" in response.json()


def test_numbers_where_the_guide_wants_text_are_400_and_nothing_is_written(
    classes, annotator, study_admin
):
    client = api_client_for(annotator)
    writes = [
        ("put", "/api/guide/entries/n02094114/", {"text": 0}, "text"),
        ("put", "/api/guide/entries/n02094114/", {"text": "", "comment": 0}, "comment"),
        (
            "post",
            "/api/guide/notes/",
            {"title": 5, "text": "x", "wnids": ["n02094114", "n02094258"]},
            "title",
        ),
    ]
    for method, url, body, field in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json() == {field: ["Not a valid string."]}
    response = api_client_for(study_admin).post("/api/guide/freeze/", {"name": 0}, format="json")
    assert response.status_code == 400 and response.json() == {"name": ["Not a valid string."]}
    assert not GuideEntry.objects.exists()
    assert not DistinctionNote.objects.exists()
    assert not GuideFreeze.objects.exists()


# --- Notes ------------------------------------------------------------------------------------


def test_notes_are_created_listed_changed_and_keep_revisions(classes, annotator, study_admin):
    client = api_client_for(annotator)
    response = client.post(
        "/api/guide/notes/",
        {
            "title": "Norwich vs Norfolk terrier: ears",
            "text": "Prick vs drop. <img src=x onerror=alert(1)>",
            "wnids": ["n02094258", "n02094114"],
            "comment": "from training batch 3",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["wnids"] == ["n02094114", "n02094258"]
    assert [c["name"] for c in note["classes"]] == ["Norfolk terrier", "Norwich terrier"]
    assert note["html"] == "<p>Prick vs drop. </p>"
    assert note["revision"] == 1

    admin = api_client_for(study_admin)
    response = admin.patch(f"/api/guide/notes/{note['id']}/", {"text": "Ears."}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    response = admin.put(
        f"/api/guide/notes/{note['id']}/",
        {"title": "Ears", "text": "Ears.", "wnids": ["n02094114", "n03642806"]},
        format="json",
    )
    assert response.json()["wnids"] == ["n02094114", "n03642806"]
    revisions = client.get(f"/api/guide/notes/{note['id']}/revisions/").json()["results"]
    assert [(r["number"], r["title"], r["author"]) for r in revisions] == [
        (3, "Ears", "adam"),
        (2, "Norwich vs Norfolk terrier: ears", "adam"),
        (1, "Norwich vs Norfolk terrier: ears", "anna"),
    ]
    by_class = client.get("/api/guide/notes/?wnid=n03642806").json()
    assert [n["id"] for n in by_class["results"]] == [note["id"]]
    assert client.get("/api/guide/notes/?wnid=n02094258").json()["count"] == 0


def test_bad_notes_are_refused_with_json_errors(classes, annotator):
    client = api_client_for(annotator)
    cases = [
        ({"title": "t", "text": "x", "wnids": ["n02094114"]}, "wnids"),
        ({"title": "t", "text": "x", "wnids": ["n02094114", "n02094114"]}, "wnids"),
        ({"title": "t", "text": "x", "wnids": ["n02094114", "n99999999"]}, "wnids"),
        ({"title": "", "text": "x", "wnids": ["n02094114", "n02094258"]}, "title"),
        ({"title": "a\nb", "text": "x", "wnids": ["n02094114", "n02094258"]}, "title"),
    ]
    for payload, field in cases:
        response = client.post("/api/guide/notes/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), response.json()
    assert DistinctionNote.objects.count() == 0
    assert client.get("/api/guide/notes/999/").status_code == 404
    assert client.get("/api/guide/notes/999/revisions/").status_code == 404


# --- Freeze -----------------------------------------------------------------------------------


def test_a_frozen_guide_answers_409_with_the_freeze_name(guide, annotator, study_admin):
    admin = api_client_for(study_admin)
    response = admin.post(
        "/api/guide/freeze/", {"name": "Evaluation round 1", "reason": "test"}, format="json"
    )
    assert response.status_code == 201, response.content
    freeze = response.json()
    assert freeze["active"] and freeze["snapshot"]["entries"][0]["revision"] == 1

    client = api_client_for(annotator)
    responses = [
        client.put("/api/guide/entries/n02094114/", {"text": "changed"}, format="json"),
        client.put("/api/guide/entries/n03642806/", {"text": "new"}, format="json"),
        client.patch(f"/api/guide/notes/{guide.pk}/", {"text": "changed"}, format="json"),
        client.post(
            "/api/guide/notes/",
            {"title": "t", "text": "x", "wnids": ["n02094114", "n02094258"]},
            format="json",
        ),
        admin.post("/api/guide/import/", {"format": 1, "entries": [], "notes": []}, format="json"),
    ]
    for response in responses:
        assert response.status_code == 409, response.content
        body = response.json()
        assert "Evaluation round 1" in body["detail"]
        assert body["freeze"] == {"id": freeze["id"], "name": "Evaluation round 1"}
    assert GuideEntry.objects.get(synset__wnid="n02094114").text.startswith("Drop ears.")

    # Everyone with a role sees the active freeze; a second one is refused.
    listing = api_client_for(annotator).get("/api/guide/freeze/").json()
    assert listing["active"]["name"] == "Evaluation round 1" and listing["count"] == 1
    assert "snapshot" not in listing["results"][0]
    second = admin.post("/api/guide/freeze/", {"name": "Round 2"}, format="json")
    assert second.status_code == 409

    response = admin.post(f"/api/guide/freeze/{freeze['id']}/release/")
    assert response.status_code == 200 and response.json()["active"] is False
    assert response.json()["released_by"] == "adam"
    again = admin.post(f"/api/guide/freeze/{freeze['id']}/release/")
    assert again.status_code == 409
    assert again.json() == {"detail": "This freeze was already released."}
    assert GuideFreeze.objects.filter(pk=freeze["id"], released_by__username="adam").exists()
    assert api_client_for(annotator).get("/api/guide/freeze/").json()["active"] is None
    response = client.put("/api/guide/entries/n02094114/", {"text": "changed"}, format="json")
    assert response.status_code == 200
    detail = client.get(f"/api/guide/freeze/{freeze['id']}/").json()
    assert detail["snapshot"]["entries"][0]["text"].startswith("Drop ears.")
    assert client.get("/api/guide/freeze/999/").status_code == 404
    assert admin.post("/api/guide/freeze/999/release/").status_code == 404
    assert admin.post("/api/guide/freeze/", {"name": ""}, format="json").status_code == 400


# --- Files ------------------------------------------------------------------------------------


def test_export_downloads_either_format(guide, researcher):
    client = api_client_for(researcher)
    response = client.get("/api/guide/export/?format=markdown")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="labeling-guide-')
    assert response["Content-Disposition"].endswith('.md"')
    assert response.content.decode().startswith(
        "# Labeling guide\n\n## Norfolk terrier (n02094114)"
    )
    response = client.get("/api/guide/export/?format=json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["notes"][0]["wnids"] == ["n02094114", "n02094258"]
    assert client.get("/api/guide/export/").status_code == 200  # JSON by default
    response = client.get("/api/guide/export/?format=pdf")
    assert response.status_code == 400
    assert response.json() == {"format": ['"pdf" is not a valid choice.']}


def test_admins_import_an_uploaded_file_or_a_posted_document(guide, study_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client_for(study_admin)
    exported = client.get("/api/guide/export/?format=markdown").content
    edited = exported.replace(b"Drop ears.", b"Drop ears, folded forward.")
    response = client.post(
        "/api/guide/import/",
        {"file": SimpleUploadedFile("guide.md", edited, content_type="text/markdown")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["summary"]["entries_updated"] == 1
    assert response.json()["summary"]["notes_unchanged"] == 1
    assert GuideEntry.objects.get(synset__wnid="n02094114").updated_by == study_admin

    # Without a telling extension, the content decides; `replace` deletes what the file lacks.
    document = {"format": 1, "entries": [], "notes": []}
    response = client.post(
        "/api/guide/import/",
        {
            "file": SimpleUploadedFile("guide", json.dumps(document).encode()),
            "replace": "true",
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["summary"]["notes_deleted"] == 1

    response = client.post(
        "/api/guide/import/?replace=false",
        {"format": 1, "entries": [{"wnid": "n03642806", "text": "A laptop."}], "notes": []},
        format="json",
    )
    assert response.json()["summary"]["entries_created"] == 1


def test_a_rejected_import_lists_every_problem_and_writes_nothing(guide, study_admin):
    client = api_client_for(study_admin)
    revisions = GuideRevision.objects.count()
    response = client.post(
        "/api/guide/import/",
        {
            "format": 1,
            "entries": [
                {"wnid": "n02094114", "text": "would change"},
                {"wnid": "n99999999", "text": "x"},
            ],
            "notes": [{"title": "t", "text": "x", "wnids": ["n02094114"]}],
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "nothing was written" in body["detail"]
    assert len(body["problems"]) == 2
    assert GuideRevision.objects.count() == revisions
    response = client.post("/api/guide/import/", {"something": "else"}, format="json")
    assert response.status_code == 400


# --- Query parameters: validated and documented by the same serializers -----------------------


def guide_operations(client) -> dict[tuple[str, str], dict]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return {
        (method, path): operation
        for path, operations in response.json()["paths"].items()
        if path.startswith("/api/guide/")
        for method, operation in operations.items()
    }


def query_parameters(operation: dict) -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def test_the_schema_lists_the_query_parameters_of_each_guide_endpoint(researcher):
    operations = guide_operations(api_client_for(researcher))
    notes = query_parameters(operations["get", "/api/guide/notes/"])
    assert {"wnid", "search", "page", "page_size"} <= set(notes)
    assert notes["wnid"]["schema"]["pattern"] == f"^{WNID}$"
    assert notes["search"]["schema"]["maxLength"] == 200
    entries = query_parameters(operations["get", "/api/guide/entries/"])
    assert {"group", "search", "page", "page_size"} <= set(entries)
    assert set(entries["group"]["schema"]["enum"]) == {"dog", "organism", "object"}
    export = query_parameters(operations["get", "/api/guide/export/"])
    assert export["format"]["schema"]["enum"] == ["json", "markdown", "md"]
    replace = query_parameters(operations["post", "/api/guide/import/"])["replace"]
    assert replace["schema"]["type"] == "boolean" and replace["schema"]["default"] is False
    # Whatever takes query parameters or a body documents its 400, what names a class, note or
    # freeze its 404, and every write its 409 (the guide is frozen; a release: already released).
    for (method, path), operation in operations.items():
        responses = operation["responses"]
        if query_parameters(operation) or "requestBody" in operation:
            assert "400" in responses, (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method != "get":
            assert "409" in responses, (method, path)
    release = operations["post", "/api/guide/freeze/{id}/release/"]
    assert "requestBody" not in release and "400" not in release["responses"]


def test_a_bad_query_parameter_is_a_400_naming_it(guide, annotator, study_admin):
    client = api_client_for(annotator)
    for url, field in [
        ("/api/guide/notes/?wnid=terrier", "wnid"),
        ("/api/guide/notes/?search=" + "x" * 201, "search"),
        ("/api/guide/entries/?group=cats", "group"),
        ("/api/guide/export/?format=pdf", "format"),
    ]:
        response = client.get(url)
        assert response.status_code == 400, url
        assert response["Content-Type"] == "application/json"
        assert list(response.json()) == [field], url
    response = api_client_for(study_admin).post(
        "/api/guide/import/?replace=perhaps",
        {"format": 1, "entries": [], "notes": []},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["replace"]
    assert DistinctionNote.objects.count() == 1  # nothing was replaced


def test_notes_are_listed_by_class_or_search(guide, annotator):
    client = api_client_for(annotator)
    about = client.get("/api/guide/notes/?wnid=n02094258").json()
    assert [note["id"] for note in about["results"]] == [guide.pk]
    assert client.get("/api/guide/notes/?wnid=n03642806").json()["count"] == 0
    assert client.get("/api/guide/notes/?search=prick").json()["count"] == 1  # in its text
    assert client.get("/api/guide/notes/?search=norwhich").json()["count"] == 1  # a typo


def test_listing_and_searching_entries_takes_a_fixed_number_of_queries(
    many_entries, annotator, django_assert_max_num_queries
):
    client = api_client_for(annotator)
    client.get("/api/guide/entries/?search=terrier")  # builds the class search index
    for url in ("/api/guide/entries/?search=terrier", "/api/guide/entries/"):
        # token, roles, count, page, class names (+ the class tree's fingerprint now and then)
        with django_assert_max_num_queries(6):
            assert client.get(url).status_code == 200
