from __future__ import annotations

import pytest

from labeling.images.models import Image
from labeling.review.services import image_labels_replace
from labeling.rounds.models import Round, RoundKind
from labeling.taxonomy.models import Synset
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH

VAL_NAMES = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(101, 106)]


@pytest.fixture
def images(imagenet_classes) -> list[Image]:
    """Five ImageNet val rows (no files), all labeled tench, in name order."""
    by_name = make_images(VAL_NAMES, label=TENCH)
    return [by_name[name] for name in VAL_NAMES]


@pytest.fixture
def evaluation(images, annotator) -> Round:
    """An open evaluation round of the five images, in that order, assigned to the annotator."""
    return make_round(images, [annotator])


def stored(names: list[str], wnid: str, *, annotated: bool = True) -> list[Image]:
    images = list(make_images(names, label=wnid).values())
    if annotated:
        synset = Synset.objects.get(wnid=wnid)
        image_labels_replace(labels={i.pk: {synset.pk: "correct"} for i in images}, source="test")
    return images


@pytest.fixture
def sampling_pool(imagenet_classes) -> dict[str, list[Image]]:
    """Per source and class three eligible images, and one image of each ineligible kind."""
    eligible = {}
    for n, wnid in enumerate((TENCH, GOLDFISH)):
        eligible[f"val-{wnid}"] = stored(
            [f"ILSVRC2012_val_{100 * n + k:08d}.JPEG" for k in range(1, 4)], wnid
        )
        eligible[f"v2-{wnid}"] = stored([f"{100 * n + k:040x}" for k in range(1, 4)], wnid)
    unannotated = stored(["ILSVRC2012_val_00000900.JPEG"], TENCH, annotated=False)
    problematic = stored(["ILSVRC2012_val_00000901.JPEG"], TENCH)
    Image.objects.filter(pk=problematic[0].pk).update(problematic=True, problematic_reason="x")
    trained = stored(["ILSVRC2012_val_00000902.JPEG"], TENCH)
    make_round(trained, name="Training 1", kind=RoundKind.TRAINING)
    return {**eligible, "ineligible": unannotated + problematic + trained}
