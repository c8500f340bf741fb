"""The shared cache's Redis backend, made to degrade instead of fail when Redis is unreachable.

What the app keeps in the cache (login failure counters, "thumbnail already queued" marks) is
worth having but never worth a 500: with Redis down, a read is a miss and a write is dropped, one
warning is logged per minute, Redis is tried again every few seconds, and pages and logins keep
working. (Login rate limits are not enforced until Redis is back; the log says so.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 60.0
RETRY_AFTER_SECONDS = 5.0


def _degrading(name: str, fallback: Callable[..., Any]) -> Callable[..., Any]:
    """RedisCache's method `name`, answering `fallback(*its arguments)` while Redis is
    unreachable."""
    method = getattr(RedisCache, name)

    @wraps(method)
    def degrading(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return fallback(*args, **kwargs)
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE as error:
            self._unreachable(name, error)
            return fallback(*args, **kwargs)

    return degrading


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


class ResilientRedisCache(RedisCache):
    """Django's RedisCache; when Redis cannot be reached, reads miss and writes are dropped.
    (get_or_set, decr and the async methods are built on these, so they degrade too.)"""

    _last_warning = 0.0
    # After a failure this connection leaves Redis alone for a few seconds: a host that drops
    # packets would otherwise cost every cache call its full connect timeout.
    _down_until = 0.0

    def _unreachable(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        self._down_until = now + RETRY_AFTER_SECONDS
        if now - ResilientRedisCache._last_warning >= WARN_EVERY_SECONDS:
            ResilientRedisCache._last_warning = now
            logger.warning(
                "cache unreachable (%s: %s); carrying on without it, login rate limits are not "
                "enforced until it is back",
                operation,
                error,
            )

    get = _degrading("get", lambda key, default=None, version=None: default)
    get_many = _degrading("get_many", lambda *args, **kwargs: {})
    has_key = _degrading("has_key", _false)
    add = _degrading("add", _false)
    set = _degrading("set", _nothing)
    set_many = _degrading("set_many", lambda data, *args, **kwargs: list(data))
    touch = _degrading("touch", _false)
    incr = _degrading("incr", lambda key, delta=1, version=None: delta)
    delete = _degrading("delete", _false)
    delete_many = _degrading("delete_many", _nothing)
