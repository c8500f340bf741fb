"""GET /api/classes/WNID/references/: a class's reference gallery for any role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from labeling.images.models import ReferenceImage
from labeling.images.services import reference_thumbnail_create
from tests.helpers import api_client_for, login
from tests.images.factories import make_image, make_references
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

NORFOLK = "n02094114"


def add_references(count: int, *, positions: list[int] | None = None) -> list[ReferenceImage]:
    return make_references(make_class("norfolk"), positions or list(range(1, count + 1)))


def test_the_gallery_lists_references_in_position_order_with_file_urls(annotator):
    references = add_references(3, positions=[3, 1, 2])
    reference_thumbnail_create(reference=references[1])  # position 1 has its thumbnail

    response = api_client_for(annotator).get(f"/api/classes/{NORFOLK}/references/")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"wnid", "count", "limit", "results"}
    assert (data["wnid"], data["count"], data["limit"]) == (NORFOLK, 3, 100)
    assert [item["position"] for item in data["results"]] == [1, 2, 3]
    first, second = data["results"][0], data["results"][1]
    assert set(first) == {
        "id",
        "position",
        "thumbnail_url",
        "thumbnail_width",
        "thumbnail_height",
        "url",
        "width",
        "height",
    }
    stored = ReferenceImage.objects.get(pk=references[1].pk)
    assert first == {
        "id": stored.pk,
        "position": 1,
        "thumbnail_url": f"http://testserver/files/references/{stored.pk}/thumb/",
        "thumbnail_width": stored.thumbnail_width,
        "thumbnail_height": stored.thumbnail_height,
        "url": f"http://testserver/files/references/{stored.pk}/",
        "width": 301,
        "height": 200,
    }
    assert first["thumbnail_width"] == 256
    # Not made yet: the URL is given anyway (the file view makes it), the size is not known.
    assert second["thumbnail_width"] is None and second["thumbnail_height"] is None
    assert second["thumbnail_url"].endswith(f"/files/references/{references[2].pk}/thumb/")


def test_the_thumbnail_urls_work_before_the_worker_made_them(annotator):
    (reference,) = add_references(1)
    data = api_client_for(annotator).get(f"/api/classes/{NORFOLK}/references/").json()
    thumbnail_url = data["results"][0]["thumbnail_url"]
    response = login(annotator).get(thumbnail_url.removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert ReferenceImage.objects.get(pk=reference.pk).thumbnail


def test_api_clients_follow_the_urls_with_their_token(researcher, outsider):
    add_references(1)
    client = api_client_for(researcher)
    item = client.get(f"/api/classes/{NORFOLK}/references/").json()["results"][0]
    for url in (item["url"], item["thumbnail_url"]):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert api_client_for(outsider).get(url).status_code == 403
        bad = APIClient()
        bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        assert bad.get(url).status_code == 403


def test_missing_thumbnails_are_enqueued_once_after_commit(
    researcher, django_capture_on_commit_callbacks
):
    references = add_references(3)
    reference_thumbnail_create(reference=references[0])
    client = api_client_for(researcher)
    # Not executed: in the PostgreSQL pass a real worker would look for rows it cannot see.
    with django_capture_on_commit_callbacks() as callbacks:
        client.get(f"/api/classes/{NORFOLK}/references/")
    assert len(callbacks) == 2  # the two without a thumbnail
    with django_capture_on_commit_callbacks() as callbacks:
        client.get(f"/api/classes/{NORFOLK}/references/")
    assert callbacks == []  # asked for a moment ago: not again


def test_the_gallery_is_capped_at_the_per_class_limit(study_admin, settings):
    settings.REFERENCE_IMAGES_PER_CLASS = 4
    add_references(4)
    settings.REFERENCE_IMAGES_PER_CLASS = 2  # lowered after the import
    data = api_client_for(study_admin).get(f"/api/classes/{NORFOLK}/references/").json()
    assert data["limit"] == 2 and data["count"] == 4
    assert [item["position"] for item in data["results"]] == [1, 2]


def test_a_class_without_references_has_an_empty_gallery(annotator):
    make_class("laptop")
    data = api_client_for(annotator).get("/api/classes/n03642806/references/").json()
    assert data == {"wnid": "n03642806", "count": 0, "limit": 100, "results": []}


@pytest.mark.parametrize("wnid", ["n99999999", "n02092468", "terrier"])
def test_unknown_wnids_and_ancestor_nodes_are_404_json(annotator, wnid):
    make_ancestor()  # n02092468 terrier: a node, not a class
    response = api_client_for(annotator).get(f"/api/classes/{wnid}/references/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_a_role_is_required(outsider):
    add_references(1)
    assert api_client_for(outsider).get(f"/api/classes/{NORFOLK}/references/").status_code == 403
    assert APIClient().get(f"/api/classes/{NORFOLK}/references/").status_code in (401, 403)


def test_the_query_count_does_not_grow_with_the_gallery(
    annotator, settings, django_assert_num_queries
):
    settings.REFERENCE_IMAGES_PER_CLASS = 5
    add_references(5)
    client = api_client_for(annotator)
    client.get(f"/api/classes/{NORFOLK}/references/")  # warm up anything cached per process
    # Token, user and roles in one, the class, its references, and (a full gallery) the count.
    with django_assert_num_queries(4):
        response = client.get(f"/api/classes/{NORFOLK}/references/")
    assert len(response.json()["results"]) == 5

    settings.REFERENCE_IMAGES_PER_CLASS = 100  # a short gallery needs no count
    with django_assert_num_queries(3):
        client.get(f"/api/classes/{NORFOLK}/references/")


def test_the_schema_documents_the_404_of_an_unknown_class(researcher):
    client = api_client_for(researcher)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/classes/{wnid}/", "/api/classes/{wnid}/references/"):
        assert set(schema["paths"][path]["get"]["responses"]) == {"200", "401", "403", "404"}, path


def test_no_gallery_shows_a_reference_that_is_also_an_image_to_label(annotator):
    # The services refuse such a pair now; one stored before they did must stay out of sight,
    # or the class's gallery would show an annotator the very image they label.
    first, second, third = add_references(3)
    image = make_image(seed=99, label=make_class("norwich"))
    ReferenceImage.objects.filter(pk=second.pk).update(sha256=image.sha256)
    client = api_client_for(annotator)

    gallery = client.get(f"/api/classes/{NORFOLK}/references/").json()["results"]
    previews = client.get(f"/api/references/?wnids={NORFOLK}&per_class=3").json()["results"]

    assert [item["id"] for item in gallery] == [first.pk, third.pk]
    assert [item["thumbnail_url"].split("/")[-3] for item in previews[NORFOLK]] == [
        str(first.pk),
        str(third.pk),
    ]
