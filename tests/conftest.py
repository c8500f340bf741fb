"""Personas and helpers shared by every test module.

The suite runs twice (see scripts/test): on SQLite with eager Celery, and on PostgreSQL with Redis
and a real worker process. Tests that need a task's effect use `wait_until`, which passes at once in
eager mode and polls while the worker runs the task in the other pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create, user_create_or_update

PASSWORD = "correct horse battery staple"


def make_user(username: str, *roles: Role):
    return user_create_or_update(username=username, password=PASSWORD, roles=list(roles))


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


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_get_or_create(user=user)}")
    return client


@pytest.fixture
def eager() -> bool:
    return settings.CELERY_TASK_ALWAYS_EAGER
