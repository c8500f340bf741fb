"""Researchers and admins see and replace their own API token on their home page, and nobody
else's; everyone changes their own password."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from labeling.accounts.services import token_get_or_create
from tests.helpers import PASSWORD, api_client_for, login

NEW = "a different horse, battery and staple"


def test_a_researcher_sees_their_own_token_on_the_home_page(researcher, study_admin):
    mine = token_get_or_create(user=researcher).key
    theirs = token_get_or_create(user=study_admin).key
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


def test_the_home_page_says_until_when_the_token_works(researcher, settings):
    settings.TOKEN_TTL_DAYS = 90
    token = token_get_or_create(user=researcher)
    content = login(researcher).get("/").content.decode()
    assert f"It works until {(token.created + timedelta(days=90)):%-d %B %Y}" in content


def test_an_expired_token_is_flagged_on_the_home_page_and_not_shown(researcher, settings):
    settings.TOKEN_TTL_DAYS = 30
    key = token_get_or_create(user=researcher).key
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=31))
    content = login(researcher).get("/").content.decode()
    assert "Your API token expired on" in content
    assert key not in content
    assert "Replace my API token" in content


# --- Changing one's password -------------------------------------------------------------------


def test_the_home_page_serves_only_get_and_head(annotator):
    client = login(annotator)
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405
    assert client.delete("/").status_code == 405


def test_the_name_in_the_top_bar_leads_to_the_password_page(annotator):
    content = login(annotator).get("/").content.decode()
    assert 'href="/accounts/password/"' in content


def test_the_password_page_needs_a_login(db):
    response = Client().get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_password_page_shows_the_rules_and_refuses_a_wrong_old_password(annotator):
    client = login(annotator)
    page = client.get("/accounts/password/").content.decode()
    assert "Change your password" in page and "at least 8 characters" in page
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    annotator.refresh_from_db()
    assert annotator.check_password(PASSWORD)


def test_a_changed_password_is_confirmed_on_the_home_page(researcher):
    client = login(researcher)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Your password is changed" in response.content.decode()
    researcher.refresh_from_db()
    assert researcher.check_password(NEW)
