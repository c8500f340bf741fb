"""Users with their roles, and API tokens, in the Django admin.

Superusers get Django's full user admin. Study admins (the admin role, not superusers) manage
study users and their roles: they create users, set passwords and give the three roles, and the
rules of what they may change live in `labeling.accounts.services.user_change_check`; the forms
here only leave out the fields they may not touch and show that check's message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from labeling.accounts.authentication import token_expires_at, token_is_expired
from labeling.accounts.models import ApiToken, token_mask
from labeling.accounts.roles import Role, signed_in
from labeling.accounts.services import user_change_check, user_save

ROLE_NAMES = [role.value for role in Role]

admin.site.unregister(User)
admin.site.unregister(TokenProxy)


class UserFormMixin(ModelForm):
    """Runs the service's check while the form validates, so a refused change comes back as a
    message on the page instead of an error page."""

    actor: User

    def groups_to_save(self) -> list[Group] | None:
        """The groups the user ends up with: those ticked, and for a study admin (who is shown
        only the role groups) any other groups a superuser gave, kept as they are."""
        if "groups" not in self.fields:
            return None
        chosen = list(self.cleaned_data.get("groups") or [])
        if self.actor.is_superuser or self.instance.pk is None:
            return chosen
        kept = Group.objects.filter(user=self.instance.pk).exclude(name__in=ROLE_NAMES)
        return chosen + list(kept)

    def _post_clean(self) -> None:
        # Puts the submitted values on self.instance (private Django API, absent from the stubs).
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            user_change_check(
                actor=self.actor,
                user=self.instance,
                groups=self.groups_to_save(),
                permissions=self.cleaned_data.get("user_permissions"),
            )
        except ValidationError as error:
            self.add_error(None, error)


@admin.register(User)
class StudyUserAdmin(UserAdmin):
    """Users with their study roles (the annotator, admin and researcher groups) at a glance."""

    list_display = ("username", "get_full_name", "email", "roles", "is_active", "last_login")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email")
    # What a study admin sees: no superuser flag, no staff flag (it follows the admin role), no
    # permissions of a user's own.
    study_admin_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        (
            "Roles",
            {
                "fields": ("is_active", "groups"),
                "description": (
                    "Annotators label and edit the guide; admins run the study (and get this "
                    "admin site); researchers read results through the API."
                ),
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        users = super().get_queryset(request).prefetch_related("groups")
        if not request.user.is_superuser:
            # Not theirs to see or change: a superuser's page is simply not there for them.
            users = users.exclude(is_superuser=True)
        return users

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not request.user.is_superuser:
            return self.study_admin_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not request.user.is_superuser:
            return ("last_login", "date_joined")
        return super().get_readonly_fields(request, obj)

    def get_list_filter(self, request: HttpRequest) -> Any:
        if not request.user.is_superuser:
            return ("groups", "is_active")
        return super().get_list_filter(request)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (UserFormMixin, form), {"actor": request.user})

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLE_NAMES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_view_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        user_save(
            actor=signed_in(request.user),
            user=obj,
            groups=form.groups_to_save(),
            permissions=form.cleaned_data.get("user_permissions"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # user_save already set the groups and permissions; the form's save_m2m would set the
        # ticked ones again, dropping groups kept for a study admin.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description="roles")
    def roles(self, user: Any) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all())) or "—"


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    """Who has a token, since when and until when, with only the first characters of each: a
    token is its owner's secret (the owner sees it on their home page). Admins may revoke one
    here; nobody creates or edits tokens in the admin."""

    list_display = ("masked_key", "user", "created", "expires")
    list_select_related = ("user",)
    fields = ("masked_key", "user", "created", "expires")
    readonly_fields = ("masked_key", "user", "created", "expires")

    @admin.display(description="key")
    def masked_key(self, token: ApiToken) -> str:
        return token_mask(token.key)

    @admin.display(description="expires")
    def expires(self, token: ApiToken) -> str:
        expires = token_expires_at(token)
        if expires is None:
            return "never"
        return f"{expires:%Y-%m-%d %H:%M} UTC{' (expired)' if token_is_expired(token) else ''}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
