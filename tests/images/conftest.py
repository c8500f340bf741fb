from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_root(request, settings, tmp_path):
    """Store files in a fresh folder per test, except where a real worker must read them.

    A worker is another process that only knows the MEDIA_ROOT of its environment, so the worker
    test keeps the configured one when tasks are not eager (and cleans up after itself).
    """
    if request.node.get_closest_marker("worker") and not settings.CELERY_TASK_ALWAYS_EAGER:
        return settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
