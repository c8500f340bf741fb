"""Turn configuration mistakes into one line that names the setting, instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from labeling.config import ConfigError, redact_url


def describe_database_error(exc: BaseException) -> str:
    import os

    url = os.environ.get("DATABASE_URL", "")
    where = redact_url(url) if url else "the default SQLite file"
    first_line = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    return f"DATABASE_URL: cannot use the database at {where}: {first_line}"


def run_guarded(run: Callable[[], object]) -> None:
    try:
        run()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:
        from django.db.utils import OperationalError

        if isinstance(exc, OperationalError) and _is_connection_failure(exc):
            print(f"Configuration error: {describe_database_error(exc)}", file=sys.stderr)
            sys.exit(2)
        raise


def _is_connection_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in (
            "could not connect",
            "connection refused",
            "could not translate host name",
            "does not exist",
            "unable to open database file",
            "timeout expired",
            "password authentication failed",
            "no such host",
        )
    )
