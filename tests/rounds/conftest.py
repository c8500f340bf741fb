from __future__ import annotations

import pytest

from labeling.images.models import Image
from labeling.rounds.models import Round
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import TENCH

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
