"""What every test module may import: users with roles, logged-in clients, and waiting for a
task's effect in both passes (eager Celery and a real worker). Personas built from these are
fixtures in `tests/conftest.py`; test data of one app lives in that app's `factories.py`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import connections
from django.db.models.fields.files import FieldFile
from django.test import Client
from rest_framework.test import APIClient

from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create, user_create_or_update

PASSWORD = "correct horse battery staple"


def make_user(username: str, *roles: Role | str) -> User:
    """A user with these roles (Role members or their names, e.g. "annotator")."""
    return user_create_or_update(
        username=username, password=PASSWORD, roles=[Role(role) for role in roles]
    )


def login(user: User) -> Client:
    """A test client with this user's session, as a browser after logging in."""
    client = Client()
    client.force_login(user)
    return client


def api_client_for(user: User) -> APIClient:
    """An API client sending this user's token, as a script would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_get_or_create(user=user)}")
    return client


def wait_until(predicate: Callable[[], object], *, timeout: float = 30.0, every: float = 0.1):
    """Return the predicate's first truthy value, polling until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {predicate}")
        time.sleep(every)


def stored_name(field: FieldFile) -> str:
    """The storage name of a file field that holds a file (the types allow None for an empty
    one)."""
    assert field.name, "the field holds no file"
    return field.name


def sent_twice_at_once(user: User, send: Callable[[APIClient], Any]) -> list[Any]:
    """What `send` returned for two of the user's clients racing on two database connections (a
    double click): both start together after a barrier; each thread closes its connections."""
    start = threading.Barrier(2)
    responses: list[Any] = []

    def race() -> None:
        client = api_client_for(user)
        start.wait()
        try:
            responses.append(send(client))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return responses
