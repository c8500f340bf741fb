from __future__ import annotations

from collections.abc import Iterator

import pytest

from labeling.taxonomy.search_index import taxonomy_snapshot_clear


@pytest.fixture(autouse=True)
def fresh_class_search() -> Iterator[None]:
    """The guide's search runs the class search, which keeps the class tree in memory and looks
    for changes every few seconds: each test makes its own classes."""
    taxonomy_snapshot_clear()
    yield
    taxonomy_snapshot_clear()
