"""Researchers and admins see and replace their own API token on their home page, and nobody
else's."""

from __future__ import annotations

from rest_framework.authtoken.models import Token

from labeling.accounts.services import token_get_or_create
from tests.helpers import api_client_for, login


def test_a_researcher_sees_their_own_token_on_the_home_page(researcher, study_admin):
    mine = token_get_or_create(user=researcher)
    theirs = token_get_or_create(user=study_admin)
    response = login(researcher).get("/")
    content = response.content.decode()
    assert mine in content and theirs not in content
    assert "no-store" in response["Cache-Control"]


def test_a_researcher_creates_and_replaces_their_token(researcher):
    client = login(researcher)
    assert "Create my API token" in client.get("/").content.decode()
    response = client.post("/accounts/token/", follow=True)
    first = Token.objects.get(user=researcher).key
    assert first in response.content.decode()
    assert api_client_for(researcher).get("/api/classes/").status_code == 200
    client.post("/accounts/token/")
    second = Token.objects.get(user=researcher).key
    assert second != first
    old = api_client_for(researcher)
    old.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert old.get("/api/classes/").status_code == 401


def test_annotators_have_no_token_panel_and_cannot_make_one(annotator):
    client = login(annotator)
    assert 'id="panel-api"' not in client.get("/").content.decode()
    assert client.post("/accounts/token/").status_code == 403
    assert not Token.objects.filter(user=annotator).exists()


def test_making_a_token_takes_a_post(researcher):
    assert login(researcher).get("/accounts/token/").status_code == 405
