"""The admin lists, searches and filters models and predictions."""

from __future__ import annotations

import pytest

from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from tests.helpers import login, make_user
from tests.images.factories import make_image
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


def test_prediction_admin_pages_list_search_and_filter():
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    model = classifier_model_get_or_create(name="resnet50", metadata={"year": 2015})
    image = make_image()
    predictions_bulk_create(rows=[(model.pk, image.pk, make_class("norwich").pk, 1, 0.7)])
    client = login(user)
    for url in [
        "/admin/predictions/classifiermodel/?q=resnet",
        f"/admin/predictions/classifiermodel/{model.pk}/change/",
        f"/admin/predictions/modelprediction/?model__id__exact={model.pk}&rank=1",
        f"/admin/predictions/modelprediction/?q={image.public_id}",
        "/admin/predictions/modelprediction/?q=n02094258",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert (
        image.public_id.encode()
        in client.get(f"/admin/predictions/modelprediction/?q={image.original_name}").content
    )
