"""GET /api/references/?wnids=…: the first reference thumbnails of several classes at once, as
the labeling picker shows them beside its search results."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from labeling.images.models import ReferenceImage
from labeling.images.services import reference_thumbnail_create
from tests.helpers import api_client_for, login
from tests.images.factories import make_references
from tests.taxonomy.factories import make_ancestor, make_class

pytestmark = pytest.mark.django_db

NORFOLK, NORWICH, LAPTOP = "n02094114", "n02094258", "n03642806"


def add_references(key: str, positions: list[int]) -> list[ReferenceImage]:
    return make_references(make_class(key), positions)


def previews(user, query: str):
    return api_client_for(user).get(f"/api/references/?{query}")


def test_each_class_gets_its_first_thumbnails_in_gallery_order(annotator):
    norfolk = add_references("norfolk", [5, 2, 9, 7])
    add_references("norwich", [1])
    reference_thumbnail_create(reference=norfolk[1])

    response = previews(annotator, f"wnids={NORFOLK},{NORWICH}&per_class=3")

    assert response.status_code == 200
    results = response.json()["results"]
    assert list(results) == [NORFOLK, NORWICH]
    ids = [norfolk[1].pk, norfolk[0].pk, norfolk[3].pk]  # positions 2, 5, 7
    assert [item["thumbnail_url"] for item in results[NORFOLK]] == [
        f"http://testserver/files/references/{pk}/thumb/" for pk in ids
    ]
    first, made = results[NORFOLK][0], ReferenceImage.objects.get(pk=norfolk[1].pk)
    assert (first["thumbnail_width"], first["thumbnail_height"]) == (
        made.thumbnail_width,
        made.thumbnail_height,
    )
    # Not made yet: the box is estimated so the picker can reserve it before the image loads.
    assert (results[NORFOLK][1]["width"], results[NORFOLK][1]["thumbnail_width"]) == (305, 256)
    assert len(results[NORWICH]) == 1


def test_three_thumbnails_by_default_and_empty_lists_for_classes_without_any(annotator):
    add_references("norfolk", [1, 2, 3, 4])
    make_class("laptop")
    results = previews(annotator, f"wnids={NORFOLK},{LAPTOP},n99999999").json()["results"]
    assert [len(results[w]) for w in (NORFOLK, LAPTOP, "n99999999")] == [3, 0, 0]


def test_the_thumbnail_urls_are_served_to_the_annotator(annotator):
    add_references("norfolk", [1])
    item = previews(annotator, f"wnids={NORFOLK}").json()["results"][NORFOLK][0]
    response = login(annotator).get(item["thumbnail_url"].removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "wnids=",
        "wnids=terrier",
        "wnids=n02094114&per_class=0",
        "wnids=n02094114&per_class=11",
        "wnids=n02094114&per_class=x",
        "wnids=" + ",".join(f"n{i:08d}" for i in range(51)),
    ],
)
def test_bad_parameters_are_a_400_with_a_json_body(annotator, query):
    response = previews(annotator, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()


def test_a_role_is_required(outsider):
    make_ancestor()
    assert previews(outsider, f"wnids={NORFOLK}").status_code == 403
    assert APIClient().get(f"/api/references/?wnids={NORFOLK}").status_code in (401, 403)


def test_one_query_fetches_every_class(annotator, django_assert_num_queries):
    for key in ("norfolk", "norwich"):
        add_references(key, [1, 2, 3, 4])
    for reference in add_references("laptop", [1]):
        reference_thumbnail_create(reference=reference)
    client = api_client_for(annotator)
    client.get(f"/api/references/?wnids={NORFOLK}")
    # Token, user and roles in one, the references of all three classes.
    with django_assert_num_queries(2):
        response = client.get(f"/api/references/?wnids={NORFOLK},{NORWICH},{LAPTOP}")
    assert [len(v) for v in response.json()["results"].values()] == [3, 3, 1]
