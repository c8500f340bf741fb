"""Login, logout, a home page that shows each role what it can do, and the user's own API token."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from labeling.accounts.permissions import role_required
from labeling.accounts.roles import ROLE_DESCRIPTIONS, Role, user_roles
from labeling.accounts.selectors import home_summary, token_get
from labeling.accounts.services import token_regenerate

# The roles that use the REST API with a token (annotators work through the pages).
API_ROLES = (Role.ADMIN, Role.RESEARCHER)


@never_cache  # it shows the user's own API token: no cache may keep it
@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(user_roles(request.user), key=list(Role).index)
    uses_api = bool(set(roles) & set(API_ROLES))
    return render(
        request,
        "accounts/home.html",
        {
            "roles": [(role.value, ROLE_DESCRIPTIONS[role]) for role in roles],
            "summary": home_summary(),
            "has_no_role": not roles,
            "uses_api": uses_api,
            "api_token": token_get(user=request.user) if uses_api else None,
        },
    )


@require_POST
@role_required(*API_ROLES)
def token_new(request: HttpRequest) -> HttpResponse:
    """Make a new API token for the user, revoking the old one (e.g. after it leaked)."""
    token_regenerate(user=request.user)
    messages.success(request, "Your new API token is below; the old one no longer works.")
    return redirect("home")
