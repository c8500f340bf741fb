"""Reading settings from the environment, with errors that name the setting.

Kept free of Django imports so that `settings.py`, `manage.py` and the Celery app can use it before
Django is configured.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit


class ConfigError(Exception):
    """A setting is missing or malformed. The message names the setting and fits on one line."""


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={raw!r} is too small; the least it may be is {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url: str, *, setting: str = "DATABASE_URL") -> dict:
    """Turn `postgres://user:pw@host:port/name?opt=v` or `sqlite:////abs/path.sqlite3` into a
    Django DATABASES entry."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{setting} is malformed ({exc}): {redact_url(url)}") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:////abs/path -> "/abs/path"; sqlite:///rel/path -> "rel/path"; sqlite:// -> memory
        path = unquote(parts.path)
        if parts.netloc:
            raise ConfigError(
                f"{setting}: a sqlite URL has no host; write sqlite:////absolute/path.sqlite3"
            )
        name = ":memory:" if path in ("", "/") else path[1:] if path.startswith("/") else path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigError(f"{setting} names no database: {redact_url(url)}")
        options = dict(parse_qsl(parts.query))
        conn_max_age = int(options.pop("conn_max_age", "0") or 0)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": {"connect_timeout": 5, **options},
            "CONN_MAX_AGE": conn_max_age,
            # A kept connection is checked before each request reuses it (a restarted server).
            "CONN_HEALTH_CHECKS": conn_max_age > 0,
        }
    raise ConfigError(
        f"{setting} has unsupported scheme {parts.scheme!r}; use postgres://… or sqlite:////…"
    )


def redact_url(url: str) -> str:
    """The URL with its password replaced, for error messages and health reports."""
    try:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return parts._replace(netloc=netloc).geturl()
    except ValueError:
        pass
    return url


def default_sqlite_path(var_dir: Path) -> Path:
    return var_dir / "db.sqlite3"
