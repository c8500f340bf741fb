"""With Redis unreachable the shared cache degrades to no cache: reads miss, writes are dropped,
and pages and logins keep working instead of failing."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.test import Client

from labeling.cache import ResilientRedisCache
from tests.helpers import PASSWORD

# Nothing listens on port 1: a real refused connection, not a stand-in.
UNREACHABLE: dict[str, Any] = {
    "BACKEND": "labeling.cache.ResilientRedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}


def test_an_unreachable_redis_reads_as_misses_and_drops_writes(caplog):
    cache = ResilientRedisCache(UNREACHABLE["LOCATION"], {"OPTIONS": UNREACHABLE["OPTIONS"]})
    ResilientRedisCache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="labeling.cache"):
        assert cache.get("k", "default") == "default"
        assert cache.add("k", 1, 60) is False
        cache.set("k", 1, 60)
        assert cache.incr("k") == 1
        assert cache.get_many(["k", "l"]) == {}
        assert cache.get_or_set("k", 5, 60) == 5
        assert cache.touch("k", 60) is False
        cache.delete_many(["k"])
    # One warning, not one per call; and Redis is left alone for a while after a failure.
    warnings = [r for r in caplog.records if r.name == "labeling.cache"]
    assert len(warnings) == 1 and "login rate limits are not enforced" in warnings[0].message
    assert cache._down_until > time.monotonic()


@pytest.mark.django_db
def test_logging_in_works_while_redis_is_unreachable(settings, researcher):
    settings.CACHES = {"default": UNREACHABLE}
    client = Client()
    assert client.post("/accounts/login/", {"username": "rita", "password": "x"}).status_code == 200
    response = client.post("/accounts/login/", {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302
