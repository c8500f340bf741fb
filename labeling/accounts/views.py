"""Login, logout and a home page that shows each role what it can do."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labeling.accounts.roles import ROLE_DESCRIPTIONS, Role, user_roles
from labeling.accounts.selectors import home_summary
from labeling.rounds.selectors import rounds_assigned_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = sorted(user_roles(request.user), key=list(Role).index)
    return render(
        request,
        "accounts/home.html",
        {
            "roles": [(role.value, ROLE_DESCRIPTIONS[role]) for role in roles],
            "summary": home_summary(),
            "has_no_role": not roles,
            "rounds": rounds_assigned_to(user=request.user) if Role.ANNOTATOR in roles else [],
        },
    )
