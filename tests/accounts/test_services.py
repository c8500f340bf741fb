"""The rules of who may change which user hold in the service, whatever calls it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from labeling.accounts.services import token_get_or_create, token_regenerate, user_save
from tests.helpers import make_user

pytestmark = pytest.mark.django_db


def test_a_study_admin_cannot_save_anyone_as_superuser(study_admin, annotator):
    for user in (study_admin, annotator):
        user.is_superuser = True
        with pytest.raises(ValidationError, match="Only a superuser may make someone"):
            user_save(actor=study_admin, user=user)
        user.refresh_from_db()
        assert not user.is_superuser


def test_a_study_admin_cannot_save_a_superuser(study_admin):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    root.first_name = "Mallory"
    with pytest.raises(ValidationError, match="Only a superuser may change a superuser"):
        user_save(actor=study_admin, user=root)
    root.refresh_from_db()
    assert root.first_name == ""


def test_a_study_admin_can_give_only_role_groups_and_no_permissions(study_admin, annotator):
    other = Group.objects.create(name="other")
    with pytest.raises(ValidationError, match="only the roles"):
        user_save(actor=study_admin, user=annotator, groups=[other])
    permission = Permission.objects.get(codename="change_group")
    with pytest.raises(ValidationError, match="permissions of their own"):
        user_save(actor=study_admin, user=annotator, permissions=[permission])
    assert list(annotator.groups.values_list("name", flat=True)) == ["annotator"]
    assert not annotator.user_permissions.exists()


def test_staff_access_given_by_a_study_admin_follows_the_admin_role(study_admin, annotator):
    annotator.is_staff = True
    user_save(actor=study_admin, user=annotator)
    annotator.refresh_from_db()
    assert not annotator.is_staff
    admin_group = Group.objects.get(name="admin")
    user_save(actor=study_admin, user=annotator, groups=[admin_group])
    annotator.refresh_from_db()
    assert annotator.is_staff


def test_a_superuser_may_save_anything(study_admin, annotator):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    other = Group.objects.create(name="other")
    annotator.is_superuser = True
    user_save(actor=root, user=annotator, groups=[other])
    annotator.refresh_from_db()
    assert annotator.is_superuser and list(annotator.groups.all()) == [other]


def test_regenerating_a_token_replaces_the_old_one(researcher):
    old = token_get_or_create(user=researcher).key
    new = token_regenerate(user=researcher).key
    assert new != old and len(new) == 40
    assert list(Token.objects.filter(user=researcher).values_list("key", flat=True)) == [new]
