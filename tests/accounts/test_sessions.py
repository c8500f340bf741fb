"""A browser's session is read with its user and roles in one statement, and is exactly as
strict as Django's own: logout, a password change, deactivation and a role taken away all count
from the next request, with nothing cached between requests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from labeling.accounts.models import Session
from labeling.accounts.roles import Role
from tests.helpers import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a different horse, battery and staple"


def rounds_status(client: Client) -> int:
    """GET /api/rounds/: a view that needs the user (401 without one) and checks their roles
    (403 without any)."""
    return client.get("/api/rounds/").status_code


def test_the_session_row_names_its_user():
    user = make_user("ada", Role.ANNOTATOR)
    client = login(user)
    assert Session.objects.get(session_key=client.session.session_key).user_id == user.pk


def test_session_user_and_roles_are_one_query(django_assert_num_queries):
    client = login(make_user("ada", Role.RESEARCHER))
    rounds_status(client)
    # The session with its user and roles; then the view's own list of rounds.
    with django_assert_num_queries(2):
        assert rounds_status(client) == 200


def test_a_logged_in_browser_logs_in_with_a_password_and_out_again():
    make_user("ada", Role.ANNOTATOR)
    client = Client()
    response = client.post("/accounts/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert rounds_status(client) == 200
    client.post("/accounts/logout/")
    assert rounds_status(client) == 401
    assert not Session.objects.filter(user__username="ada").exists()


def test_a_password_change_elsewhere_ends_the_session():
    user = make_user("ada", Role.ANNOTATOR)
    client = login(user)
    assert rounds_status(client) == 200
    user.set_password(NEW_PASSWORD)
    user.save()
    assert rounds_status(client) == 401


def test_a_deactivated_user_is_signed_out_at_the_next_request():
    user = make_user("ada", Role.ANNOTATOR)
    client = login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert rounds_status(client) == 401


def test_a_role_taken_away_counts_from_the_next_request():
    user = make_user("ada", Role.RESEARCHER)
    client = login(user)
    assert rounds_status(client) == 200
    user.groups.remove(Group.objects.get(name=Role.RESEARCHER))
    assert rounds_status(client) == 403


def test_a_session_whose_row_names_someone_else_is_judged_by_its_data():
    ada, bob = make_user("ada", Role.RESEARCHER), make_user("bob")
    client = login(ada)
    Session.objects.filter(user=ada).update(user=bob)
    # The signed data says ada: the row's user is not taken, ada is read the usual way.
    response = client.get("/api/rounds/")
    assert response.status_code == 200
    assert response.wsgi_request.user == ada


def test_deleting_a_user_deletes_their_sessions():
    user = make_user("ada", Role.ANNOTATOR)
    client = login(user)
    user.delete()
    assert not Session.objects.exists()
    assert rounds_status(client) == 401
