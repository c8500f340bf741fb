from __future__ import annotations

from collections.abc import Iterator

import pytest

from labeling.guide.services import guide_entry_save
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from tests.taxonomy.factories import make_imagenet_classes


@pytest.fixture(autouse=True)
def fresh_class_search() -> Iterator[None]:
    """The guide's search runs the class search, which keeps the class tree in memory and looks
    for changes every few seconds: each test makes its own classes."""
    taxonomy_snapshot_clear()
    yield
    taxonomy_snapshot_clear()


@pytest.fixture
def many_entries(annotator) -> None:
    """All 1000 classes, 110 of them (many terriers among them) with an entry."""
    classes = make_imagenet_classes()
    for wnid in list(classes)[150:260]:
        guide_entry_save(synset=classes[wnid], text="Unlike [[n02094114]].", author=annotator)
