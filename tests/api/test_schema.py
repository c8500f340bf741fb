"""A walk through the OpenAPI schema: every operation documents the query parameters its view
reads and every error status it answers with.

What a view reads is recorded, not declared: each GET runs with a query dict that notes every
key the view, its query serializer or its paginator looks up. The statuses are those the
endpoints give for an anonymous caller, a caller without a role, unknown path parameters, bad
query parameters and bad bodies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import QueryDict
from django.urls import resolve
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate

from labeling.accounts.roles import Role
from labeling.guide.services import (
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_release,
)
from tests.helpers import api_client_for, make_user
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH, next_item, post_answer

# Read by DRF itself on every request (the renderer override), not by a view: documented only
# where a view gives it a meaning of its own (the guide export's file format).
DRF_OWN = {"format"}
PARAMETER = re.compile(r"\{(\w+)\}")


class RecordingQueryDict(QueryDict):
    """A query string that notes every key looked up in it."""

    def __init__(self, query_string: str = "") -> None:
        super().__init__(query_string)
        self.read: set[str] = set()

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().getlist(key, default)


@pytest.fixture
def everyone_role(db) -> User:
    """A caller with every role, assigned to the round, so that every view gets as far as
    reading its query."""
    return make_user("ada", Role.ADMIN, Role.ANNOTATOR, Role.RESEARCHER)


@pytest.fixture
def world(imagenet_classes, everyone_role) -> dict[str, str]:
    """A value for each path parameter that names something that exists."""
    guide_entry_save(synset=imagenet_classes[TENCH], text="A fish.", author=everyone_role)
    note = distinction_note_save(
        title="Fins", text="Look at the fins.", synsets=[TENCH, GOLDFISH], author=everyone_role
    )
    freeze = guide_release(freeze=guide_freeze(name="Evaluation 1", by=None), by=None)
    images = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(1, 4)], label=TENCH)
    round = make_round(images.values(), [everyone_role])
    client = api_client_for(everyone_role)  # one answer given, so there is a previous item
    assert post_answer(client, round, next_item(client, round)["item"]).status_code == 201
    return {
        "wnid": TENCH,
        "round_id": str(round.pk),
        "note": str(note.pk),
        "freeze": str(freeze.pk),
    }


@pytest.fixture
def schema(everyone_role) -> dict:
    return api_client_for(everyone_role).get("/api/schema/?format=json").json()


def operations(schema: dict) -> Iterator[tuple[str, str, dict]]:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def url_for(path: str, values: dict[str, str]) -> str:
    """The path with each parameter filled in: `{id}` is a note's or a freeze's by the path."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "id":
            return values["freeze" if "/freeze/" in path else "note"]
        return values[name]

    return PARAMETER.sub(value, path)


def unknown_url(path: str) -> str:
    """The path with parameters that name nothing."""
    return PARAMETER.sub(lambda m: "n99999999" if m.group(1) == "wnid" else "987654", path)


def documented_query(operation: dict) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def query_read_by_view(url: str, user: User) -> set[str]:
    request = APIRequestFactory().get(url, HTTP_ACCEPT="application/json")
    recording = RecordingQueryDict()
    request.GET = recording  # type: ignore[assignment]  # a QueryDict, mutable only to record
    force_authenticate(request, user=user)
    match = resolve(url)
    response = match.func(request, *match.args, **match.kwargs)
    # A 400 is fine (a required parameter is missing: the serializer still looked every one up);
    # a refusal before the view reads its query is not.
    assert response.status_code not in (401, 403, 404), (url, response.status_code)
    return recording.read


def test_the_schema_the_walk_reads_holds_every_api_module(schema):
    paths = set(schema["paths"])
    for expected in (
        "/api/auth/token/",
        "/api/classes/",
        "/api/references/",
        "/api/guide/notes/",
        "/api/rounds/{round_id}/answers/",
    ):
        assert expected in paths


@pytest.mark.django_db
def test_every_get_documents_exactly_the_query_parameters_its_view_reads(
    schema, world, everyone_role
):
    wrong = {}
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        read = query_read_by_view(url_for(path, world), everyone_role)
        documented = documented_query(operation)
        undocumented = read - documented - DRF_OWN
        unread = documented - read
        if undocumented or unread:
            wrong[path] = {"read but undocumented": undocumented, "documented but unread": unread}
    assert not wrong, "\n".join(f"{path}: {what}" for path, what in wrong.items())


def bad_value(parameter: dict) -> str:
    """A value the parameter's schema does not allow (or, without any bound, a plausible one)."""
    schema = parameter.get("schema", {})
    if "enum" in schema:
        return "not-a-choice"
    if schema.get("type") in ("integer", "number"):
        return "many"
    if schema.get("type") == "boolean":
        return "perhaps"
    if "maxLength" in schema:
        return "x" * (schema["maxLength"] + 1)
    return "%%%"


def statuses_seen(path: str, method: str, operation: dict, world: dict, users: dict) -> set[int]:
    """The statuses of the probes this operation answers: unauthenticated, role-less, unknown
    path parameters, each bad query parameter, a body that is not JSON, an empty JSON body."""
    url, has_body = url_for(path, world), "requestBody" in operation
    calls: list[tuple[APIClient, str, dict[str, Any]]] = [
        (APIClient(), url, {}),
        (api_client_for(users["outsider"]), url, {}),
    ]
    if PARAMETER.search(path):
        calls.append((api_client_for(users["ada"]), unknown_url(path), {}))
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            query = {parameter["name"]: bad_value(parameter)}
            calls.append((api_client_for(users["ada"]), url, {"QUERY_STRING": _qs(query)}))
    if has_body:
        calls.append(
            (api_client_for(users["ada"]), url, {"data": "plain", "content_type": "text/plain"})
        )
        calls.append((api_client_for(users["ada"]), url, {"data": {}, "format": "json"}))
    seen = set()
    for client, target, extra in calls:
        response = getattr(client, method)(target, **extra)
        seen.add(response.status_code)
    return seen


def _qs(query: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in query.items())


@pytest.mark.django_db
def test_every_operation_documents_every_error_status_it_answers_with(
    schema, world, everyone_role, outsider
):
    users = {"ada": everyone_role, "outsider": outsider}
    undocumented = {}
    server_errors = {}
    # Writes last: an accepted empty body (e.g. a freeze) must not change what reads answer.
    ordered = sorted(operations(schema), key=lambda op: op[1] != "get")
    for path, method, operation in ordered:
        seen = statuses_seen(path, method, operation, world, users)
        errors = {status for status in seen if status >= 400}
        missing = {status for status in errors if str(status) not in operation["responses"]}
        if missing:
            undocumented[f"{method.upper()} {path}"] = sorted(missing)
        if any(status >= 500 for status in seen):
            server_errors[f"{method.upper()} {path}"] = sorted(seen)
    assert not server_errors, server_errors
    assert not undocumented, "\n".join(f"{op}: {codes}" for op, codes in undocumented.items())


def test_every_documented_error_has_the_json_error_body(schema):
    bare = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if int(status) >= 400 and "application/json" not in response.get("content", {})
    ]
    assert not bare, bare


@pytest.mark.django_db
def test_every_request_example_is_a_body_the_api_takes_as_written(schema, world, everyone_role):
    """A request example is what a client copies (and what schemathesis's coverage phase holds
    the other fields at): sent as written it is accepted, the login's refused only for its
    made-up password. The freeze goes last, as it freezes the guide."""
    examples = sorted(
        (path.endswith("/freeze/"), path, method, example["value"])
        for path, method, operation in operations(schema)
        for example in operation.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("examples", {})
        .values()
    )
    assert [f"{method.upper()} {path}" for _, path, method, _ in examples] == [
        "POST /api/auth/token/",
        "PUT /api/guide/entries/{wnid}/",
        "POST /api/guide/notes/",
        "PATCH /api/guide/notes/{id}/",
        "PUT /api/guide/notes/{id}/",
        "POST /api/guide/freeze/",
    ]
    client = api_client_for(everyone_role)
    for _, path, method, body in examples:
        response = getattr(client, method)(url_for(path, world), body, format="json")
        if path == "/api/auth/token/":
            assert response.status_code == 400 and "Unable to log in" in response.json()["detail"]
        else:
            assert response.status_code in (200, 201), (method, path, response.content)
