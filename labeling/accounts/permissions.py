"""Role checks for views and API endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework.permissions import SAFE_METHODS, BasePermission

from labeling.accounts.roles import Role, user_has_role, user_roles


def role_required(*roles: Role) -> Callable:
    """View decorator: the user must be logged in and have one of these roles."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user) & set(roles):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HasAnyRole(BasePermission):
    """Any of the three roles may read; users without a role see nothing."""

    message = "You need the annotator, admin or researcher role."

    def has_permission(self, request, view) -> bool:
        return bool(user_roles(request.user))


class IsStudyAdminOrReadOnly(BasePermission):
    message = "Only admins may change this."

    def has_permission(self, request, view) -> bool:
        if not user_roles(request.user):
            return False
        return request.method in SAFE_METHODS or user_has_role(request.user, Role.ADMIN)
