"""Personas (annotator, study admin, researcher, outsider) for every test module; the helpers
they are built from are in `tests/helpers.py`.

The suite runs twice (see scripts/test): on SQLite with eager Celery, and on PostgreSQL with Redis
and a real worker process. Tests that need a task's effect use `wait_until`, which passes at once in
eager mode and polls while the worker runs the task in the other pass.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from labeling.accounts.roles import Role
from labeling.images.models import Image
from labeling.taxonomy.models import Synset
from tests.helpers import make_user
from tests.images.factories import make_images
from tests.taxonomy.factories import make_imagenet_classes

STUDY_SAMPLE = Path(__file__).resolve().parent / "fixtures_data" / "image_labels_sample.json"


@pytest.fixture(autouse=True, scope="session")
def media_root(tmp_path_factory) -> Path:
    """Files the tests store. scripts/test sets MEDIA_ROOT for the test process and the worker
    alike, so both see the same files; a bare `pytest` run gets a temporary folder instead of the
    developer's var/media."""
    if not os.environ.get("MEDIA_ROOT"):
        settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher costs ~0.4 s per user here; tests check roles, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test its own keys in the shared cache, so login failures counted in one test cannot
    lock out the next test's logins. (Never cache.clear(): in the PostgreSQL pass the cache is
    the Celery broker's Redis database.)"""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def annotator(db):
    return make_user("anna", Role.ANNOTATOR)


@pytest.fixture
def study_admin(db):
    return make_user("adam", Role.ADMIN)


@pytest.fixture
def researcher(db):
    return make_user("rita", Role.RESEARCHER)


@pytest.fixture
def outsider(db):
    """Logged in, but with no role at all."""
    return make_user("otto")


@pytest.fixture
def eager() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(scope="session")
def sample() -> dict:
    """The study's published final multi-labels: 1000 entries (860 val, 140 ImageNetV2)."""
    return json.loads(STUDY_SAMPLE.read_text())


@pytest.fixture
def imagenet_classes(db) -> dict[str, Synset]:
    return make_imagenet_classes()


@pytest.fixture
def sample_images(imagenet_classes, sample) -> dict[str, Image]:
    """Rows (no files) for the images of the published sample."""
    return make_images(sample["data"])
