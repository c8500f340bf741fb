"""Reference galleries write files: each API test gets its own media folder. (Each test's cache
keys are its own already, by the `fresh_cache` fixture of tests/conftest.py: never cache.clear(),
which in the PostgreSQL pass would empty the Celery broker's Redis database.)"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
