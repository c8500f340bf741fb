"""An API token stops working when it expires and whenever its owner's password changes, however
the password is changed; nothing else about saving a user touches it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from labeling.accounts.authentication import token_expires_at, token_is_expired
from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create, user_create_or_update, user_save
from tests.helpers import PASSWORD, api_client_for, login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different horse, battery and staple"


def works(client) -> bool:
    return client.get("/api/classes/").status_code == 200


def test_a_token_expires_ttl_days_after_it_was_made(researcher, settings):
    settings.TOKEN_TTL_DAYS = 90
    token = token_get_or_create(user=researcher)
    assert token_expires_at(token) == token.created + timedelta(days=90)
    assert not token_is_expired(token)
    token.created = timezone.now() - timedelta(days=90, seconds=1)
    assert token_is_expired(token)


def test_getting_the_token_after_expiry_makes_a_new_one(researcher, settings):
    settings.TOKEN_TTL_DAYS = 90
    old = token_get_or_create(user=researcher)
    Token.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=91))
    new = token_get_or_create(user=researcher)
    assert new.key != old.key and not token_is_expired(new)
    assert Token.objects.filter(user=researcher).count() == 1


def test_changing_ones_password_on_the_page_revokes_the_token(researcher):
    client = api_client_for(researcher)
    browser = login(researcher)
    response = browser.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not works(client)
    assert browser.get("/").status_code == 200  # the session that changed it stays logged in


def test_an_admin_setting_a_password_in_the_admin_revokes_the_token(study_admin, researcher):
    client = api_client_for(researcher)
    response = login(study_admin).post(
        f"/admin/auth/user/{researcher.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(client)


def test_an_admin_disabling_password_login_revokes_the_token(study_admin, researcher):
    client = api_client_for(researcher)
    response = login(study_admin).post(
        f"/admin/auth/user/{researcher.pk}/password/",
        {"usable_password": "false", "unset-password": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not works(client)


def test_resetting_a_password_through_the_service_revokes_the_token(researcher):
    client = api_client_for(researcher)
    user_create_or_update(username="rita", password=NEW_PASSWORD, roles=[Role.RESEARCHER])
    assert not works(client)


def test_saving_a_user_without_a_new_password_keeps_the_token(study_admin, researcher):
    client = api_client_for(researcher)
    researcher.first_name = "Rita"
    user_save(actor=study_admin, user=researcher)
    researcher.password = researcher.password  # the same hash, saved again
    researcher.save()
    assert works(client)


def test_a_hash_upgrade_at_login_is_no_password_change(researcher, settings):
    # Stored with an older hasher; logging in re-hashes it with the preferred one.
    researcher.password = make_password(PASSWORD, hasher="md5")
    researcher.save(update_fields=["password"])
    client = api_client_for(researcher)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert Client().login(username="rita", password=PASSWORD)
    researcher.refresh_from_db()
    assert researcher.password.startswith("pbkdf2_")
    assert works(client)


def test_the_token_brings_its_users_roles_in_the_same_statement(
    researcher, django_assert_num_queries
):
    from labeling.accounts.authentication import ExpiringTokenAuthentication
    from labeling.accounts.roles import user_roles

    key = token_get_or_create(user=researcher)
    with django_assert_num_queries(1):
        user, token = ExpiringTokenAuthentication().authenticate_credentials(str(key))
        assert user_roles(user) == {Role.RESEARCHER}
    assert (user.pk, token.key, token.created) == (researcher.pk, key.key, key.created)
    assert user.username == researcher.username and user.is_active


def test_a_role_taken_away_or_an_inactive_user_counts_at_the_next_request(researcher):
    client = api_client_for(researcher)
    assert works(client)
    researcher.groups.clear()
    assert client.get("/api/classes/").status_code == 403
    researcher.is_active = False
    researcher.save(update_fields=["is_active"])
    assert client.get("/api/classes/").status_code == 401
