"""Researchers get a token with their password and use it on every API call; the endpoint locks
out password guessing, and tokens expire and can be revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.helpers import PASSWORD, api_client_for


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


def test_a_number_as_the_username_is_refused_as_no_string(db):
    response = APIClient().post("/api/auth/token/", {"username": 0, "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"username": ["Not a valid string."]}


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


# --- Lifecycle: expiry and revocation -----------------------------------------------------------


def test_the_token_answer_says_when_it_expires(researcher, settings):
    settings.TOKEN_TTL_DAYS = 90
    body = ask_token("rita", PASSWORD).json()
    expires = datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))
    created = Token.objects.get(key=body["token"]).created
    assert expires - created == timedelta(days=90)


def test_an_expired_token_answers_401_with_a_clear_message(researcher, settings):
    settings.TOKEN_TTL_DAYS = 30
    client = api_client_for(researcher)
    assert client.get("/api/classes/").status_code == 200
    Token.objects.filter(user=researcher).update(created=timezone.now() - timedelta(days=31))
    response = client.get("/api/classes/")
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "Your API token expired on" in detail and "POST /api/auth/token/" in detail


def test_after_expiry_a_new_token_is_issued_even_to_a_script_sending_the_old_one(
    researcher, settings
):
    settings.TOKEN_TTL_DAYS = 30
    old = ask_token("rita", PASSWORD).json()["token"]
    Token.objects.filter(key=old).update(created=timezone.now() - timedelta(days=31))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    response = client.post(
        "/api/auth/token/", {"username": "rita", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old
    client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert client.get("/api/classes/").status_code == 200


def test_tokens_never_expire_with_a_ttl_of_zero(researcher, settings):
    settings.TOKEN_TTL_DAYS = 0
    client = api_client_for(researcher)
    Token.objects.filter(user=researcher).update(created=timezone.now() - timedelta(days=3650))
    assert client.get("/api/classes/").status_code == 200
    assert ask_token("rita", PASSWORD).json()["expires"] is None


def test_the_owner_revokes_the_token_they_send(researcher):
    client = api_client_for(researcher)
    response = client.delete("/api/auth/token/")
    assert response.status_code == 204
    assert not Token.objects.filter(user=researcher).exists()
    response = client.get("/api/classes/")
    assert response.status_code == 401
    assert client.delete("/api/auth/token/").status_code == 401


def test_revoking_takes_a_token_not_a_session(researcher):
    api_client_for(researcher)  # the user has a token, but does not send it
    assert APIClient().delete("/api/auth/token/").status_code == 401
    session = APIClient()
    session.force_login(researcher)
    response = session.delete("/api/auth/token/")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert Token.objects.filter(user=researcher).exists()


def test_the_file_views_take_the_token_and_refuse_an_expired_one(researcher, settings):
    from labeling.images.services import reference_image_create
    from tests.images.factories import picture
    from tests.taxonomy.factories import make_class

    settings.TOKEN_TTL_DAYS = 30
    reference = reference_image_create(
        synset=make_class("norfolk"), original_name="n02094114_1.JPEG", data=picture(64, 48)
    )
    client = api_client_for(researcher)
    assert client.get(f"/files/references/{reference.pk}/").status_code == 200
    Token.objects.filter(user=researcher).update(created=timezone.now() - timedelta(days=31))
    assert client.get(f"/files/references/{reference.pk}/").status_code == 403


def test_the_schema_documents_revoking_and_the_lockout(researcher):
    schema = api_client_for(researcher).get("/api/schema/?format=json").json()
    operations = schema["paths"]["/api/auth/token/"]
    assert {"200", "400", "429"} <= set(operations["post"]["responses"])
    assert {"204", "401"} <= set(operations["delete"]["responses"])
