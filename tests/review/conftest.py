from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from labeling.accounts.roles import Role
from labeling.images.models import Image
from tests.helpers import make_user
from tests.images.factories import make_images
from tests.review.factories import predict

TENCH, GOLDFISH, SHARK, TIGER_SHARK = "n01440764", "n01443537", "n01484850", "n01491361"
NAMES = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(201, 204)]


@pytest.fixture
def reviewers(db) -> list[User]:
    return [make_user(name, Role.ANNOTATOR) for name in ("rev1", "rev2", "rev3")]


@pytest.fixture
def images(imagenet_classes) -> list[Image]:
    """Three val images labeled tench; models predicted goldfish (2 models) and shark (1) for
    the first, goldfish for the second, nothing for the third."""
    by_name = make_images(NAMES, label=TENCH)
    found = [by_name[name] for name in NAMES]
    predict(found[0], {"resnet-alpha": [GOLDFISH], "vit-beta": [GOLDFISH], "effnet-gamma": [SHARK]})
    predict(found[1], {"resnet-alpha": [GOLDFISH]})
    return found
