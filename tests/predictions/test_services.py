"""Predictions are imported in bulk, and importing the same rows again changes nothing."""

from __future__ import annotations

import pytest

from labeling.predictions.models import ClassifierModel, ModelPrediction
from labeling.predictions.services import classifier_model_get_or_create, predictions_bulk_create
from tests.images.factories import make_image
from tests.taxonomy.factories import make_class

pytestmark = pytest.mark.django_db


def test_a_model_is_created_once_and_found_by_name_afterwards():
    first = classifier_model_get_or_create(name="resnet50", metadata={"year": 2015})
    again = classifier_model_get_or_create(name="resnet50")
    assert again == first and again.metadata == {"year": 2015}
    assert ClassifierModel.objects.count() == 1


def test_new_metadata_for_a_known_model_replaces_the_old():
    classifier_model_get_or_create(name="resnet50", metadata={"year": 2015})
    model = classifier_model_get_or_create(name="resnet50", metadata={"year": 2015, "top1": 76.1})
    assert ClassifierModel.objects.get(pk=model.pk).metadata == {"year": 2015, "top1": 76.1}


def test_importing_the_same_predictions_twice_stores_them_once():
    model = classifier_model_get_or_create(name="resnet50")
    norfolk, norwich = make_class("norfolk"), make_class("norwich")
    images = [make_image(seed=seed) for seed in range(3)]
    rows = [(model.pk, image.pk, norfolk.pk, 1, 0.9) for image in images]
    rows.append((model.pk, images[0].pk, norwich.pk, 2, 0.05))

    assert predictions_bulk_create(rows=rows, batch_size=2) == 4
    assert predictions_bulk_create(rows=iter(rows), batch_size=2) == 0
    assert ModelPrediction.objects.count() == 4
    top2 = ModelPrediction.objects.get(image=images[0], rank=2)
    assert (top2.synset, top2.score) == (norwich, 0.05)


def test_a_partly_known_import_reports_only_the_new_rows():
    resnet = classifier_model_get_or_create(name="resnet50")
    effnet = classifier_model_get_or_create(name="efficientnet-b7")
    norfolk = make_class("norfolk")
    images = [make_image(seed=seed) for seed in range(2)]
    predictions_bulk_create(rows=[(resnet.pk, images[0].pk, norfolk.pk, 1, None)])
    rows = [(m.pk, i.pk, norfolk.pk, 1, None) for m in (resnet, effnet) for i in images]
    assert predictions_bulk_create(rows=rows) == 3
    assert ModelPrediction.objects.count() == 4


def test_nothing_to_import_is_zero_rows():
    assert predictions_bulk_create(rows=[]) == 0


def test_a_rank_below_one_is_refused():
    model = classifier_model_get_or_create(name="resnet50")
    with pytest.raises(ValueError, match="rank"):
        predictions_bulk_create(rows=[(model.pk, make_image().pk, make_class("norfolk").pk, 0, 1)])
