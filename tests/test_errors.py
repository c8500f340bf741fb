"""Error pages with DEBUG off: a page gets the app's layout, a reason and a way home; anything
under /api/ answers JSON."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from labeling.errors import DATABASE_DOWN, server_error
from tests.helpers import login


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def assert_app_layout(content: str) -> None:
    assert 'class="topbar"' in content and "/static/css/app.css" in content
    assert 'href="/"' in content  # the way back
    assert "Traceback" not in content and "URLconf" not in content


def test_an_unknown_page_is_a_404_in_the_app_layout(annotator):
    response = login(annotator).get("/nope/")
    assert response.status_code == 404
    content = response.content.decode()
    assert_app_layout(content)
    assert "There is no page at this address." in content
    assert "Log out" in content  # the annotator is still logged in on it


def test_a_404_raised_by_a_page_shows_its_reason(annotator):
    response = login(annotator).get("/classes/n99999999/")
    assert response.status_code == 404
    assert_app_layout(response.content.decode())
    assert "No ImageNet class n99999999." in response.content.decode()


def test_an_anonymous_visitor_gets_the_404_layout_too(client, db):
    response = client.get("/nope/")
    assert response.status_code == 404
    content = response.content.decode()
    assert_app_layout(content)
    assert "Log in" in content


def test_a_page_an_annotator_may_not_see_gives_the_403_layout(annotator):
    response = login(annotator).get("/guide/freeze/")
    assert response.status_code == 403
    content = response.content.decode()
    assert_app_layout(content)
    assert "Your role does not allow this page." in content
    assert "anna" in content


@pytest.mark.parametrize(
    "path", ["/api/nope/", "/api/classes/n99999999/", "/api/guide/nothing/here/", "/api/x"]
)
def test_every_api_path_answers_json_for_404(researcher, path):
    response = login(researcher).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_anonymous_api_404_is_json_too(client, db):
    response = client.get("/api/nope/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_is_a_page_or_json_by_path(db):
    page = server_error(RequestFactory().get("/classes/"))
    assert page.status_code == 500
    assert_app_layout(page.content.decode())
    api = server_error(RequestFactory().get("/api/classes/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"


def test_a_lost_database_is_a_503_page_or_json_with_retry_after(db):
    try:
        raise OperationalError("could not connect to server: Connection refused")
    except OperationalError:
        page = server_error(RequestFactory().get("/classes/"))
        api = server_error(RequestFactory().get("/api/classes/"))
    assert page.status_code == 503 and page["Retry-After"] == "30"
    content = page.content.decode()
    assert_app_layout(content)
    assert "temporarily unavailable" in content and "The database is not answering" in content
    assert api.status_code == 503 and api["Retry-After"] == "30"
    assert json.loads(api.content) == {"detail": DATABASE_DOWN}


DOWN_SCRIPT = """
import json
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
# DEBUG is off, as deployed; static files as in a checkout (no collectstatic manifest here).
override_settings(
    STORAGES={**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
).enable()
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a" * 32  # a logged-in browser: the session needs the database
page = client.get("/")
api = Client(raise_request_exception=False).get(
    "/api/rounds/", HTTP_AUTHORIZATION="Token " + "b" * 40
)
health = Client().get("/healthz")
print(json.dumps({
    "page": [page.status_code, page.get("Retry-After"), page.content.decode()],
    "api": [api.status_code, api.get("Content-Type"), api.content.decode()],
    "health": [health.status_code, health.json()],
}))
"""


def test_with_the_database_down_pages_api_and_healthz_answer_503_clearly():
    # A separate process with a database on a closed port: this one keeps its working database
    # (and the machine's PostgreSQL is never stopped).
    from tests.test_config import run_manage

    result = run_manage(
        "shell",
        "-c",
        DOWN_SCRIPT,
        DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing_here",
        DEBUG="0",
        SECRET_KEY="x" * 60,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    status, retry_after, content = answers["page"]
    assert (status, retry_after) == (503, "30")
    assert "The database is not answering" in content and "Traceback" not in content
    status, content_type, body = answers["api"]
    assert status == 503 and content_type == "application/json"
    assert json.loads(body) == {"detail": DATABASE_DOWN}
    status, health = answers["health"]
    assert status == 503 and health["database"].startswith("error:")


def test_an_expired_form_gets_the_layout_and_says_what_to_do(annotator):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "anna", "password": "x"})
    assert response.status_code == 403
    content = response.content.decode()
    assert_app_layout(content)
    assert "This form has expired" in content and "reload the page" in content
