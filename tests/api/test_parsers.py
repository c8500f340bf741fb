"""A JSON body nested too deeply to read is a 400 like any malformed body, never a 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.helpers import api_client_for
from tests.images.factories import make_images
from tests.rounds.factories import make_round

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000


def test_a_deeply_nested_body_is_a_400_even_before_logging_in():
    client = APIClient(raise_request_exception=False)
    response = client.post("/api/auth/token/", data=DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_deeply_nested_answer_is_a_400(annotator, imagenet_classes):
    images = make_images(["ILSVRC2012_val_00000001.JPEG"])
    round = make_round(images.values(), [annotator])
    client = api_client_for(annotator)
    client.raise_request_exception = False
    response = client.post(
        f"/api/rounds/{round.pk}/answers/",
        data='{"events": ' + DEEP,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_deeply_nested_guide_import_is_a_400(study_admin):
    client = api_client_for(study_admin)
    client.raise_request_exception = False
    response = client.post("/api/guide/import/", data=DEEP, content_type="application/json")
    assert response.status_code == 400
