"""Bad configuration stops the app with one line that names the setting, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labeling.config import ConfigError, parse_database_url, redact_url

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error_naming(result: subprocess.CompletedProcess, setting: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert setting in lines[0]


def test_missing_secret_key_with_debug_off_names_secret_key():
    result = run_manage("check", DEBUG="0", SECRET_KEY="")
    assert_one_line_error_naming(result, "SECRET_KEY")


def test_unsupported_database_scheme_names_database_url():
    result = run_manage("check", DATABASE_URL="mysql://root@localhost/labels")
    assert_one_line_error_naming(result, "DATABASE_URL")


def test_malformed_database_port_names_database_url():
    result = run_manage("check", DATABASE_URL="postgres://db:notaport/labels")
    assert_one_line_error_naming(result, "DATABASE_URL")


def test_unreachable_database_names_database_url_and_hides_the_password():
    result = run_manage("migrate", DATABASE_URL="postgres://app:s3cret@127.0.0.1:1/labels")
    assert_one_line_error_naming(result, "DATABASE_URL")
    assert "s3cret" not in result.stderr
    assert "127.0.0.1:1" in result.stderr


def test_sqlite_file_in_a_missing_folder_names_database_url(tmp_path):
    missing = tmp_path / "nowhere" / "db.sqlite3"
    result = run_manage("migrate", DATABASE_URL=f"sqlite:///{missing}")
    assert_one_line_error_naming(result, "DATABASE_URL")


def test_non_redis_broker_names_celery_broker_url():
    result = run_manage("check", CELERY_BROKER_URL="amqp://guest@localhost//")
    assert_one_line_error_naming(result, "CELERY_BROKER_URL")


def test_unreadable_boolean_names_the_setting():
    result = run_manage("check", DEBUG="maybe")
    assert_one_line_error_naming(result, "DEBUG")


def test_postgres_url_becomes_a_postgresql_database_entry():
    db = parse_database_url("postgres://user:p%40ss@db.example:5433/study?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("study", "user", "p@ss")
    assert (db["HOST"], db["PORT"]) == ("db.example", "5433")
    assert db["OPTIONS"]["sslmode"] == "require"
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (0, False)


def test_kept_postgres_connections_are_checked_before_reuse():
    db = parse_database_url("postgres://user@db.example/study?conn_max_age=60")
    assert (db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]) == (60, True)
    assert "conn_max_age" not in db["OPTIONS"]  # ours, not a libpq option


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////srv/study/db.sqlite3", "/srv/study/db.sqlite3"),
        ("sqlite:///relative.sqlite3", "relative.sqlite3"),
        ("sqlite://", ":memory:"),
    ],
)
def test_sqlite_urls_give_the_file_they_name(url, name):
    assert parse_database_url(url) == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


def test_database_url_without_a_name_is_rejected():
    with pytest.raises(ConfigError, match="DATABASE_URL names no database"):
        parse_database_url("postgres://localhost")


def test_passwords_are_redacted_in_messages():
    assert redact_url("postgres://u:hunter2@h/db") == "postgres://u:***@h/db"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("LOGIN_FAILURES_PER_USERNAME", "0"),
        ("TOKEN_TTL_DAYS", "ninety"),
        ("REDIS_URL", "memcached://localhost:11211"),
    ],
)
def test_a_bad_security_or_cache_setting_is_named(setting, value):
    assert_one_line_error_naming(run_manage("check", **{setting: value}), setting)


def settings_value(expression: str, **env: str):
    code = f"import json; from django.conf import settings; print(json.dumps({expression}))"
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_cache_is_files_under_var_dir_shared_by_every_process(tmp_path):
    cache = settings_value(
        "{**settings.CACHES['default'], 'LOCATION': str(settings.CACHES['default']['LOCATION'])}",
        VAR_DIR=str(tmp_path),
    )
    assert cache["BACKEND"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert cache["LOCATION"] == str(tmp_path / "cache")


def test_with_a_broker_the_cache_is_its_redis_unless_redis_url_says_otherwise():
    broker = "redis://127.0.0.1:6379/3"
    cache = settings_value("settings.CACHES['default']", CELERY_BROKER_URL=broker)
    assert cache["BACKEND"] == "labeling.cache.ResilientRedisCache"
    assert cache["LOCATION"] == broker
    other = "redis://cache.internal:6379/1"
    cache = settings_value("settings.CACHES['default']", CELERY_BROKER_URL=broker, REDIS_URL=other)
    assert cache["LOCATION"] == other


HTTPS_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def test_behind_a_tls_proxy_the_app_is_https_only_with_hsts_and_secure_cookies():
    expression = f"[getattr(settings, name) for name in {HTTPS_SETTINGS!r}]"
    values = settings_value(expression, BEHIND_TLS_PROXY="1", SECURE_COOKIES="1")
    assert values == [True, 31_536_000, True, True, True]
    # The embedded default is plain HTTP on a developer's machine: nothing forces HTTPS there.
    assert settings_value(expression)[:2] == [False, 0]


@pytest.mark.django_db
def test_postgres_commits_do_not_wait_for_the_disk_flush():
    # The bargain README's "Security and reliability" states; SQLite's is synchronous=NORMAL.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass checks its own connections")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("off",)


def test_a_task_message_is_delivered_at_most_3_times_unless_celery_max_deliveries_says_otherwise():
    assert settings_value("settings.CELERY_MAX_DELIVERIES", CELERY_MAX_DELIVERIES="") == 3
    assert settings_value("settings.CELERY_MAX_DELIVERIES", CELERY_MAX_DELIVERIES="5") == 5
    result = run_manage("check", CELERY_MAX_DELIVERIES="0")
    assert_one_line_error_naming(result, "CELERY_MAX_DELIVERIES")
