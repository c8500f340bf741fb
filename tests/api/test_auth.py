"""Researchers get a token with their password and use it on every API call; the endpoint locks
out password guessing."""

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


# --- Lockout --------------------------------------------------------------------------------------


def ask_token(username: str, password: str, **headers):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", **headers
    )


def test_thirty_wrong_passwords_then_the_right_one_is_refused_with_json(researcher):
    statuses = [ask_token("rita", f"guess-{i}").status_code for i in range(30)]
    assert statuses[:5] == [400] * 5
    assert set(statuses[5:]) == {429}
    response = ask_token("rita", PASSWORD)
    assert response.status_code == 429
    body = response.json()
    assert "Too many failed logins for this username" in body["detail"]
    assert body["retry_after"] == int(response["Retry-After"]) > 0
    assert "token" not in body


def test_a_different_x_forwarded_for_does_not_reset_the_count(researcher, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.LOGIN_FAILURES_PER_ADDRESS = 10
    for i in range(10):
        ask_token(f"nobody{i}", "x", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    response = ask_token("rita", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.77")
    assert response.status_code == 429
    assert "from your network address" in response.json()["detail"]


def test_failures_on_the_login_page_count_for_the_token_endpoint(researcher, settings):
    from django.test import Client

    settings.LOGIN_FAILURES_PER_USERNAME = 5
    for i in range(5):
        Client().post("/accounts/login/", {"username": "rita", "password": f"x{i}"})
    assert ask_token("rita", PASSWORD).status_code == 429
