"""Each role lands on a home page that shows what it can do; people without a role see nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from labeling.accounts.roles import Role, user_roles
from tests.helpers import PASSWORD, login, make_user


@pytest.mark.django_db
def test_the_three_role_groups_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {"annotator", "admin", "researcher"}


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_logs_a_user_in_and_lands_on_home(client, annotator):
    response = client.post(
        "/accounts/login/", {"username": "anna", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Welcome" in response.content


def test_wrong_password_shows_an_error_and_does_not_log_in(client, annotator):
    response = client.post("/accounts/login/", {"username": "anna", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(annotator):
    client = login(annotator)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_annotator_home_shows_the_annotator_panel_only(annotator):
    content = login(annotator).get("/").content.decode()
    assert 'id="panel-annotator"' in content
    assert 'href="/classes/"' in content and 'href="/guide/"' in content
    assert 'id="panel-admin"' not in content
    assert 'id="panel-researcher"' not in content


def test_admin_home_links_to_the_django_admin(study_admin):
    content = login(study_admin).get("/").content.decode()
    assert 'id="panel-admin"' in content
    assert 'href="/admin/"' in content


def test_researcher_home_explains_how_to_get_a_token(researcher):
    content = login(researcher).get("/").content.decode()
    assert 'id="panel-researcher"' in content
    assert "/api/auth/token/" in content


def test_user_without_a_role_is_told_to_ask_an_admin(outsider):
    content = login(outsider).get("/").content.decode()
    assert "has no role yet" in content
    assert "panel-" not in content


def test_study_admin_can_open_the_django_admin(study_admin):
    assert login(study_admin).get("/admin/").status_code == 200


def test_annotator_cannot_open_the_django_admin(annotator):
    assert login(annotator).get("/admin/").status_code == 302


@pytest.mark.django_db
def test_recreating_a_user_resets_roles_and_password():
    make_user("sam", Role.ANNOTATOR, Role.RESEARCHER)
    user = make_user("sam", Role.ADMIN)
    assert user_roles(user) == {Role.ADMIN}
    assert user.check_password(PASSWORD)


def test_study_admin_can_manage_users_and_tokens_in_the_django_admin(study_admin):
    client = login(study_admin)
    for url in ("/admin/auth/user/", "/admin/accounts/apitoken/"):
        assert client.get(url).status_code == 200, url


def test_user_list_in_the_admin_shows_roles(study_admin, annotator):
    content = login(study_admin).get("/admin/auth/user/").content.decode()
    assert "annotator" in content
