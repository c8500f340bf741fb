"""Researchers get a token with their password and use it on every API call."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.helpers import PASSWORD


def test_token_is_issued_for_a_correct_password(researcher):
    response = APIClient().post(
        "/api/auth/token/", {"username": "rita", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    # The same user gets the same token again.
    again = APIClient().post("/api/auth/token/", {"username": "rita", "password": PASSWORD})
    assert again.json()["token"] == token


def test_wrong_password_gets_a_400_with_a_json_message(researcher):
    response = APIClient().post(
        "/api/auth/token/", {"username": "rita", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in" in response.json()["detail"]


def test_missing_fields_are_named_in_the_error(db):
    response = APIClient().post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_schema_is_openapi_3_and_lists_the_token_endpoint(researcher):
    client = APIClient()
    token = client.post("/api/auth/token/", {"username": "rita", "password": PASSWORD}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/auth/token/" in schema["paths"]


def test_a_bad_token_is_refused_with_json(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 401
    assert "detail" in response.json()
