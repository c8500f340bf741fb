"""The committed taxonomy fixture, parsed once, and a database with it loaded."""

from __future__ import annotations

import copy

import pytest

from labeling.taxonomy.fixture import taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.services import taxonomy_load
from labeling.taxonomy.snapshot import taxonomy_snapshot_clear
from labeling.taxonomy.wordnet import WordNetUnavailable, wordnet_corpus


@pytest.fixture(scope="session")
def committed_document() -> dict:
    return taxonomy_read(path=taxonomy_fixture_path())


@pytest.fixture
def document(committed_document) -> dict:
    """A copy each test may edit."""
    return copy.deepcopy(committed_document)


@pytest.fixture
def loaded(db, committed_document) -> dict:
    """The counts of loading the committed fixture."""
    return taxonomy_load(document=committed_document)


@pytest.fixture(scope="session")
def wordnet():
    """WordNet 3.0 as the build uses it. scripts/test installs it, so a missing WordNet fails."""
    try:
        return wordnet_corpus()
    except WordNetUnavailable as error:
        pytest.fail(str(error))


@pytest.fixture(autouse=True)
def fresh_snapshot():
    """The process-wide snapshot (search, paths) must not carry one test's classes into the next:
    a fingerprint check would notice, but only every few seconds."""
    taxonomy_snapshot_clear()
    yield
    taxonomy_snapshot_clear()
