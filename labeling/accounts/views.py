"""Login, logout, a home page that shows each role what it can do, the user's own API token and
a page to change one's password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from labeling.accounts.authentication import token_expires_at, token_is_expired
from labeling.accounts.permissions import role_required
from labeling.accounts.roles import ROLE_DESCRIPTIONS, Role, signed_in, user_roles
from labeling.accounts.selectors import home_summary, token_get
from labeling.accounts.services import token_regenerate
from labeling.rounds.selectors import rounds_assigned_to

# The roles that use the REST API with a token (annotators work through the pages).
API_ROLES = (Role.ADMIN, Role.RESEARCHER)


@require_safe
@never_cache  # it shows the user's own API token: no cache may keep it
@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(user_roles(request.user), key=list(Role).index)
    uses_api = bool(set(roles) & set(API_ROLES))
    token = token_get(user=signed_in(request.user)) if uses_api else None
    return render(
        request,
        "accounts/home.html",
        {
            "roles": [(role.value, ROLE_DESCRIPTIONS[role]) for role in roles],
            "summary": home_summary(),
            "has_no_role": not roles,
            "uses_api": uses_api,
            "api_token": token.key if token else None,
            "api_token_expires": token_expires_at(token) if token else None,
            "api_token_expired": bool(token and token_is_expired(token)),
            "rounds": rounds_assigned_to(user=request.user) if Role.ANNOTATOR in roles else [],
        },
    )


@require_POST
@role_required(*API_ROLES)
def token_new(request: HttpRequest) -> HttpResponse:
    """Make a new API token for the user, revoking the old one (e.g. after it leaked)."""
    token_regenerate(user=signed_in(request.user))
    messages.success(request, "Your new API token is below; the old one no longer works.")
    return redirect("home")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (the old password, the new one twice, the password rules), in
    the app's layout. Saving the new password revokes the user's API token
    (labeling/accounts/apps.py) and ends their other sessions; this one stays logged in."""

    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Your password is changed. Your API token, if you had one, no longer works: make a "
            "new one here when you need it.",
        )
        return response
