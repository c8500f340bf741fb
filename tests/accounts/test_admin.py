"""Study admins manage study users and their roles in the Django admin, never superuser status,
permissions beyond the roles, or other people's tokens; superusers keep every power."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from rest_framework.authtoken.models import Token

from labeling.accounts.roles import Role
from labeling.accounts.services import role_permissions_sync, token_get_or_create
from tests.helpers import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def change_form(user: User, **changes) -> dict:
    """What the admin's change form posts for `user` as it is, with these changes."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "groups": [group.pk for group in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value not in ("", None)}


def role_group(role: Role) -> Group:
    return Group.objects.get(name=role.value)


def test_a_study_admin_cannot_make_itself_superuser(study_admin):
    client = login(study_admin)
    url = f"/admin/auth/user/{study_admin.pk}/change/"
    response = client.post(url, change_form(study_admin, is_superuser="on", is_staff="on"))
    assert response.status_code == 302  # saved: the flag is simply not a field for them
    study_admin.refresh_from_db()
    assert not study_admin.is_superuser
    assert "is_superuser" not in client.get(url).content.decode()


def test_a_study_admin_cannot_make_another_user_superuser_or_staff(study_admin, annotator):
    client = login(study_admin)
    response = client.post(
        f"/admin/auth/user/{annotator.pk}/change/",
        change_form(annotator, is_superuser="on", is_staff="on", first_name="Anna"),
    )
    assert response.status_code == 302
    annotator.refresh_from_db()
    assert (annotator.first_name, annotator.is_superuser, annotator.is_staff) == (
        "Anna",
        False,
        False,
    )


def test_a_study_admin_gives_roles_and_staff_access_follows_the_admin_role(study_admin, annotator):
    client = login(study_admin)
    url = f"/admin/auth/user/{annotator.pk}/change/"
    groups = [role_group(Role.ANNOTATOR).pk, role_group(Role.ADMIN).pk]
    assert client.post(url, change_form(annotator, groups=groups)).status_code == 302
    annotator.refresh_from_db()
    assert set(annotator.groups.values_list("name", flat=True)) == {"annotator", "admin"}
    assert annotator.is_staff and not annotator.is_superuser
    groups = [role_group(Role.RESEARCHER).pk]
    assert client.post(url, change_form(annotator, groups=groups)).status_code == 302
    annotator.refresh_from_db()
    assert list(annotator.groups.values_list("name", flat=True)) == ["researcher"]
    assert not annotator.is_staff


def test_a_study_admin_cannot_assign_a_group_other_than_the_roles(study_admin, annotator):
    powerful = Group.objects.create(name="powerful")
    powerful.permissions.set(Permission.objects.all())
    response = login(study_admin).post(
        f"/admin/auth/user/{annotator.pk}/change/",
        change_form(annotator, groups=[powerful.pk, role_group(Role.ANNOTATOR).pk]),
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert list(annotator.groups.values_list("name", flat=True)) == ["annotator"]


def test_a_study_admin_cannot_give_permissions_of_a_users_own(study_admin, annotator):
    permission = Permission.objects.get(codename="change_group")
    login(study_admin).post(
        f"/admin/auth/user/{annotator.pk}/change/",
        change_form(annotator, user_permissions=[permission.pk]),
    )
    assert not annotator.user_permissions.exists()


def test_a_study_admin_keeps_groups_a_superuser_gave(study_admin, annotator):
    other = Group.objects.create(name="pilot study")
    annotator.groups.add(other)
    response = login(study_admin).post(
        f"/admin/auth/user/{annotator.pk}/change/",
        change_form(annotator, groups=[role_group(Role.RESEARCHER).pk]),
    )
    assert response.status_code == 302
    assert set(annotator.groups.values_list("name", flat=True)) == {"researcher", "pilot study"}


def test_a_study_admin_cannot_open_or_change_a_superuser(study_admin, superuser):
    client = login(study_admin)
    for url in (
        f"/admin/auth/user/{superuser.pk}/change/",
        f"/admin/auth/user/{superuser.pk}/password/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 404), url
        assert response.status_code == 404 or response["Location"] == "/admin/"
    client.post(
        f"/admin/auth/user/{superuser.pk}/change/",
        change_form(superuser, is_superuser="", first_name="Mallory"),
    )
    client.post(
        f"/admin/auth/user/{superuser.pk}/password/",
        {"password1": "taken over 123", "password2": "taken over 123"},
    )
    superuser.refresh_from_db()
    assert superuser.is_superuser and superuser.first_name == ""
    assert superuser.check_password(PASSWORD)
    assert "root" not in client.get("/admin/auth/user/").content.decode()


def test_a_study_admin_creates_a_user_and_sets_passwords(study_admin):
    client = login(study_admin)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "usable_password": "true",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 302, response.content
    newbie = User.objects.get(username="newbie")
    assert not (newbie.is_staff or newbie.is_superuser)
    response = client.post(
        f"/admin/auth/user/{newbie.pk}/password/",
        {"password1": "another passphrase", "password2": "another passphrase"},
    )
    assert response.status_code == 302
    newbie.refresh_from_db()
    assert newbie.check_password("another passphrase")


def test_a_study_admin_cannot_change_groups_or_delete_users(study_admin, annotator):
    client = login(study_admin)
    admin_group = role_group(Role.ADMIN)
    assert client.get(f"/admin/auth/group/{admin_group.pk}/change/").status_code == 403
    assert client.get(f"/admin/auth/user/{annotator.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=annotator.pk).exists()


def test_the_admin_role_holds_no_power_over_permissions_after_migrate(db):
    role_permissions_sync()
    codenames = set(role_group(Role.ADMIN).permissions.values_list("codename", flat=True))
    assert {"add_user", "change_user", "view_user", "view_apitoken"} <= codenames
    assert not codenames & {
        "change_group",
        "add_group",
        "change_permission",
        "delete_user",
        "add_tokenproxy",
        "view_tokenproxy",
        "view_token",
        "add_apitoken",
        "change_apitoken",
    }


def test_the_token_list_never_shows_a_full_token_to_a_study_admin(study_admin, researcher):
    keys = [token_get_or_create(user=user).key for user in (study_admin, researcher)]
    client = login(study_admin)
    pages = [
        "/admin/accounts/apitoken/",
        f"/admin/accounts/apitoken/{researcher.pk}/change/",
        f"/admin/accounts/apitoken/{researcher.pk}/delete/",
        "/admin/",
        "/admin/authtoken/tokenproxy/",
    ]
    contents = {url: client.get(url).content.decode() for url in pages}
    assert keys[1][:6] in contents["/admin/accounts/apitoken/"]
    assert "rita" in contents["/admin/accounts/apitoken/"]
    for url, content in contents.items():
        for key in keys:
            assert key not in content, url
            assert key[:7] not in content, url


def test_a_study_admin_revokes_a_token_without_seeing_it(study_admin, researcher):
    key = token_get_or_create(user=researcher).key
    client = login(study_admin)
    response = client.post(f"/admin/accounts/apitoken/{researcher.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(user=researcher).exists()
    assert key not in client.get(response["Location"]).content.decode()
    assert key not in client.get("/admin/").content.decode()  # the recent-actions list


def test_nobody_adds_or_edits_tokens_in_the_admin(superuser, researcher):
    token_get_or_create(user=researcher)
    client = login(superuser)
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    page = client.get(f"/admin/accounts/apitoken/{researcher.pk}/change/").content.decode()
    assert 'name="user"' not in page


def test_a_superuser_still_can_do_everything(superuser, study_admin):
    client = login(superuser)
    other = Group.objects.create(name="pilot study")
    permission = Permission.objects.get(codename="change_group")
    response = client.post(
        f"/admin/auth/user/{study_admin.pk}/change/",
        change_form(
            study_admin,
            is_superuser="on",
            is_staff="on",
            groups=[other.pk],
            user_permissions=[permission.pk],
        ),
    )
    assert response.status_code == 302, response.content
    study_admin.refresh_from_db()
    assert study_admin.is_superuser and study_admin.is_staff
    assert list(study_admin.groups.values_list("name", flat=True)) == ["pilot study"]
    assert list(study_admin.user_permissions.all()) == [permission]
    second = make_user("root2")
    second.is_superuser = True
    second.save()
    assert client.get(f"/admin/auth/user/{second.pk}/change/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200


def test_the_token_list_says_when_each_token_expires(study_admin, researcher, settings):
    settings.TOKEN_TTL_DAYS = 30
    token = token_get_or_create(user=researcher)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timedelta(days=31))
    content = login(study_admin).get("/admin/accounts/apitoken/").content.decode()
    assert "(expired)" in content
