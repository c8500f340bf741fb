"""The API fuzzed against its own OpenAPI schema (schemathesis): every operation, in process
through the WSGI application (no server), with a bounded and deterministic set of examples and
every check schemathesis has. No request may end in a server error, answer with a status the
schema does not list for it, or send a body, content type or headers the schema does not
describe; data the schema forbids is refused and data it allows is accepted.

Each operation runs twice: through schemathesis's fuzzing phase (generated data), and through
its examples and coverage phases (fixed cases: each parameter in turn missing, of a wrong type,
at and past its bounds, each enum value; undocumented methods). Each runs as a test of its own
against a fresh world: users of every role, an evaluation, a training and a review round the
annotator is assigned to, a scored round for the research lists, a guide with an entry, a note
and a released freeze. Path parameters are either what schemathesis made up or names of things
in that world, so both the 404s and the deeper code run. A fuzzing request is sent as one of the
personas the operation is meant for, a coverage case as each of them (a token, or for the
labeling endpoints a browser's session with its CSRF token too).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django.utils.http import parse_header_parameters
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from werkzeug.test import encode_multipart

from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create
from labeling.guide.services import (
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_release,
)
from labeling.rounds.models import RoundKind
from tests.helpers import api_client_for, make_user
from tests.images.factories import make_images
from tests.review.factories import make_review_round, predict
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH, next_item, post_answer
from tests.scoring.factories import make_scored_round

# Fuzzing examples per operation (fewer where the schema allows fewer), valid and invalid: about
# 1,080 requests in all. The coverage phase has no such cap: its 2,452 cases and the schema's 6
# examples, each as every persona, are about 5,300 requests; the file takes two minutes a pass.
MAX_EXAMPLES = 25
SEED = 20200713  # ICML 2020


def app_schema() -> dict:
    """The schema /api/schema/ serves, made by the same generator at import (no user needed;
    the last test compares the two)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


# Operations whose input, though of the schema's shape, can name something that does not exist
# or break a rule the schema cannot state: they answer a documented 400 with the reason, so a
# 400 to schema-valid data is no finding there (everywhere else it is).
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/auth/token/": "a username and password that do not match",
    "GET /api/references/": "wnids of no class",
    "GET /api/research/classes/": "a cursor the API did not give out",
    "GET /api/research/human-predictions/": "a cursor the API did not give out; a labeler "
    "pseudonym not of the form labeler-<n>",
    "GET /api/research/images/": "a cursor the API did not give out",
    "GET /api/research/judgments/": "a cursor the API did not give out; a reviewer pseudonym "
    "not of the form labeler-<n>",
    "GET /api/research/labels/": "a cursor the API did not give out",
    "GET /api/research/model-predictions/": "a cursor the API did not give out",
    "GET /api/research/rounds/": "a cursor the API did not give out",
    "GET /api/rounds/{round_id}/human-predictions/": "as the research human predictions",
    "POST /api/rounds/{round_id}/answers/": "a class or item that does not exist",
    "POST /api/rounds/{round_id}/judgments/": "one of three combinations of fields; a "
    "candidate, item or class that does not exist",
    "PUT /api/guide/entries/{wnid}/": "text the guide refuses (links to unknown classes)",
    "POST /api/guide/notes/": "classes that do not exist, fewer than two different ones",
    "PUT /api/guide/notes/{id}/": "as POST /api/guide/notes/",
    "PATCH /api/guide/notes/{id}/": "as POST /api/guide/notes/",
    "POST /api/guide/freeze/": "a name already taken",
    "POST /api/guide/import/": "a guide document with problems (listed)",
}
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429"]


def load_schema(*, phases: dict[str, bool]) -> schemathesis.BaseSchema:
    """The app's schema under the one configuration of both tests, with the phases given."""
    return schemathesis.openapi.from_dict(
        app_schema(),
        config=schemathesis.Config.from_dict(
            {
                "seed": SEED,
                "base-url": "http://testserver",
                "phases": {name: {"enabled": on} for name, on in phases.items()},
                "generation": {
                    "mode": "all",  # data the schema allows, and data it forbids
                    "deterministic": True,
                    "database": "none",
                    # DRF refuses a NUL character in any text field, which a schema cannot say.
                    "allow-x00": False,
                    # The credentials are the personas' own (below), never made up.
                    "with-security-parameters": False,
                },
                "operations": [
                    {
                        "include-name": name,
                        "checks": {
                            "positive_data_acceptance": {
                                "expected-statuses": [*POSITIVE_STATUSES, "400"]
                            }
                        },
                    }
                    for name in RULES_BEYOND_THE_SCHEMA
                ],
            }
        ),
    )


# Drawn data: the persona and path values are hypothesis draws, so it shrinks them too.
FUZZING = load_schema(phases={"examples": False, "coverage": False, "fuzzing": True})
# Schemathesis's own fixed cases: the schema's request examples and the coverage phase's
# boundaries of each parameter in turn (missing, wrong type, out of range, each enum value,
# undocumented methods), the others held at an example's values where the schema has one. They
# run only without `given`, so personas and path values are chosen in the test.
BOUNDARIES = load_schema(phases={"examples": True, "coverage": True, "fuzzing": False})


class InProcessApp:
    """Django's WSGI handler, with requests sharing the test's database transaction: Django
    would otherwise close the connection (and lose the transaction, on PostgreSQL) at the start
    and end of each request. Disconnected at every call, as the test client (which makes the
    world) connects the signal again after each of its own requests."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        media_type, options = parse_header_parameters(environ.get("CONTENT_TYPE", ""))
        if media_type == "multipart/form-data" and "boundary" in options:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            body = with_blank_line_in_empty_parts(body, boundary=options["boundary"].encode())
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.handler(environ, start_response)


def with_blank_line_in_empty_parts(body: bytes, *, boundary: bytes) -> bytes:
    """A multipart body as a browser sends it. Werkzeug (schemathesis's WSGI client) encodes an
    empty form field as its headers with no blank line after them, as RFC 2046 allows; Django's
    parser takes such a part for no field at all, so the empty value schemathesis meant to send
    (`wnids` of [""]) would never reach the app. Browsers always send the blank line."""
    delimiter = b"\r\n--" + boundary
    preamble, *parts, end = (b"\r\n" + body).split(delimiter)
    parts = [part if b"\r\n\r\n" in part else part + b"\r\n" for part in parts]
    return delimiter.join([preamble, *parts, end])


APP = InProcessApp()
# Every request, the checks' own probes too, goes to the app in process.
FUZZING.app = BOUNDARIES.app = APP


@dataclass
class World:
    users: dict[str, User]
    path_values: dict[str, list[str]] = field(default_factory=dict)
    # The things of `path_values` by name (e.g. "review" for the review round's id).
    named: dict[str, str] = field(default_factory=dict)
    sent: int = 0  # cases sent, each as one persona


@pytest.fixture
def wsgi_requests() -> Iterator[None]:
    """Django's connection handling back as it was after the test (see InProcessApp)."""
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(imagenet_classes, wsgi_requests) -> Iterator[World]:
    """A fresh world for each operation; its test must have sent it something (schemathesis
    makes no case at all for a phase that a decorator turned off, and the test would pass)."""
    users = {
        "annotator": make_user("fuzz-annotator", Role.ANNOTATOR),
        "admin": make_user("fuzz-admin", Role.ADMIN),
        "researcher": make_user("fuzz-researcher", Role.RESEARCHER),
        "leaver": make_user("fuzz-leaver", Role.RESEARCHER),  # revokes its own token
    }
    annotator = users["annotator"]
    scored = make_scored_round()
    by_name = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(301, 309)], label=TENCH)
    images, practice = list(by_name.values())[:4], list(by_name.values())[4:]
    predict(images[0], {"resnet-alpha": [GOLDFISH], "vit-beta": [SHARK]})
    evaluation = make_round(images, [annotator], name="Fuzz evaluation")
    training = make_round(practice, [annotator], name="Fuzz training", kind=RoundKind.TRAINING)
    review = make_review_round(images, [annotator], name="Fuzz review")
    client = api_client_for(annotator)  # one answer given, so there is a previous item
    assert post_answer(client, evaluation, next_item(client, evaluation)["item"]).status_code == 201
    guide_entry_save(synset=imagenet_classes[TENCH], text="A fish.", author=annotator)
    note = distinction_note_save(
        title="Fins", text="Look at the fins.", synsets=[TENCH, GOLDFISH], author=annotator
    )
    freeze = guide_release(freeze=guide_freeze(name="Fuzz 1", by=None), by=None)
    world = World(
        users=users,
        path_values={
            "round_id": [str(r.pk) for r in (evaluation, training, review, scored.round)],
            "wnid": [TENCH, GOLDFISH, "n00015388"],  # two classes and an ancestor (animal)
            "id": [str(note.pk), str(freeze.pk)],
        },
        named={
            "evaluation": str(evaluation.pk),
            "review": str(review.pk),
            "scored": str(scored.round.pk),
            "note": str(note.pk),
            "freeze": str(freeze.pk),
            "class": TENCH,
            "animal": "n00015388",
        },
    )
    yield world
    assert world.sent, "no case was sent"


RESEARCH_ROUND = ("/export/", "/scores/", "/human-predictions/")


def personas(method: str, path: str) -> list[str]:
    """Who sends this operation's requests: the roles it is meant for."""
    if path == "/api/auth/token/":
        return ["leaver"] if method == "DELETE" else ["anonymous"]
    if path.startswith("/api/research/") or path.endswith(RESEARCH_ROUND):
        return ["researcher", "admin"]
    if path.startswith("/api/rounds/{round_id}/"):
        if path.endswith("/answers/") and method == "GET":
            return ["researcher", "admin"]
        return ["annotator", "annotator-session"]
    if path.startswith(("/api/guide/import/", "/api/guide/freeze/")) and method != "GET":
        return ["admin"]
    if path.startswith("/api/guide/") and method != "GET":
        return ["annotator", "admin"]
    return ["annotator", "researcher", "admin"]


def home_path_value(name: str, path: str, world: World) -> str:
    """What a path parameter names while the coverage phase varies another parameter: the thing
    the operation is for (a round of its kind, a class with a guide entry, an inner node of the
    tree), so the varied one reaches the code past the lookup instead of a 404."""
    if name == "round_id":
        if path.endswith("/judgments/"):
            return world.named["review"]
        return world.named["scored" if path.endswith(RESEARCH_ROUND) else "evaluation"]
    if name == "wnid":
        return world.named["animal" if path.startswith("/api/taxonomy/") else "class"]
    if name == "id":
        return world.named["note" if path.startswith("/api/guide/notes/") else "freeze"]
    raise AssertionError(f"no value of {name} in the world for {path}")


def credentials(persona: str, world: World) -> dict[str, str]:
    """The headers a request of this persona carries: a token, or a browser's session cookie
    with its CSRF token (cookie and header alike, a 32-character secret)."""
    if persona == "anonymous":
        return {}
    if persona == "annotator-session":
        browser = Client()
        browser.force_login(world.users["annotator"])
        session_cookie = django_settings.SESSION_COOKIE_NAME
        session = browser.cookies[session_cookie].value
        csrf = uuid.uuid4().hex
        cookie = f"{session_cookie}={session}; {django_settings.CSRF_COOKIE_NAME}={csrf}"
        return {"Cookie": cookie, "X-CSRFToken": csrf}
    token = token_get_or_create(user=world.users[persona])
    return {"Authorization": f"Token {token.key}"}


def send(case: schemathesis.Case, persona: str, world: World) -> None:
    """The case as this persona, with every check of its answer."""
    world.sent += 1
    # As headers of the call, so schemathesis knows them for its own credential probes.
    case.call_and_validate(headers=credentials(persona, world))


@pytest.mark.django_db
@FUZZING.parametrize()
@FUZZING.given(data=st.data())
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, data, world):
    # A path made invalid on purpose stays so; a valid one often names something that exists.
    negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
    if case.path_parameters and not negative_path:
        for name in case.path_parameters:
            known = world.path_values.get(name)
            if known and data.draw(st.booleans(), label=f"a known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(known), label=name)
    persona = data.draw(st.sampled_from(personas(case.method, case.path)), label="persona")
    send(case, persona, world)


@pytest.mark.django_db
@BOUNDARIES.parametrize()
@settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says_at_its_boundaries(case, world):
    # The coverage phase varies one parameter a case: a varied path stays as it was made.
    varied = case.meta.phase.data.parameter_location if case.meta is not None else None
    if varied != ParameterLocation.PATH:
        for name in case.path_parameters or {}:
            case.path_parameters[name] = home_path_value(name, case.path, world)
    # Every case as every persona the operation is for (each a request of its own).
    for persona in personas(case.method, case.path):
        send(case, persona, world)


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_one_the_api_serves(researcher):
    served = api_client_for(researcher).get("/api/schema/?format=json")
    assert served.status_code == 200
    assert served.json() == app_schema()


def test_an_empty_form_field_reaches_the_app_as_a_browser_would_send_it():
    boundary, body = encode_multipart({"title": "", "text": "Ears."})

    def form(sent: bytes) -> dict[str, str]:
        content_type = f'multipart/form-data; boundary="{boundary}"'
        return RequestFactory().generic("POST", "/", sent, content_type=content_type).POST.dict()

    assert form(body) == {"text": "Ears."}  # werkzeug's empty part, which Django drops
    assert form(with_blank_line_in_empty_parts(body, boundary=boundary.encode())) == {
        "title": "",
        "text": "Ears.",
    }
