"""The class tree loaded (terriers under terrier, dogs under dog, …) and images labeled with
classes inside and outside the terrier subtree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labeling.images.models import Image
from labeling.taxonomy.fixture import taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.services import taxonomy_load
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.images.factories import make_images

TERRIER = "n02092468"
NORFOLK, NORWICH, BORDER = "n02094114", "n02094258", "n02093754"
CHIHUAHUA, TENCH, LAPTOP = "n02085620", "n01440764", "n03642806"
TERRIERS = (NORFOLK, NORWICH, BORDER)
OTHERS = (CHIHUAHUA, TENCH, LAPTOP)


@pytest.fixture(scope="session")
def tree_document() -> dict:
    return taxonomy_read(path=taxonomy_fixture_path())


@pytest.fixture
def tree(db, tree_document) -> Iterator[None]:
    taxonomy_snapshot_clear()
    taxonomy_load(document=tree_document)
    yield
    taxonomy_snapshot_clear()


@pytest.fixture
def labeled(tree) -> dict[str, list[Image]]:
    """Three val images per class, by class: terriers and others."""
    images: dict[str, list[Image]] = {}
    for n, wnid in enumerate((*TERRIERS, *OTHERS)):
        names = [f"ILSVRC2012_val_{n * 10 + k + 1:08d}.JPEG" for k in range(3)]
        by_name = make_images(names, label=wnid)
        images[wnid] = [by_name[name] for name in names]
    return images
