"""Who may read research data: admins and researchers (annotators never: it holds answers)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from labeling.accounts.roles import Role, user_roles


class IsResearcherOrAdmin(BasePermission):
    message = "Only admins and researchers may read research data."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(user_roles(request.user) & {Role.ADMIN, Role.RESEARCHER})
