"""Middleware that hardens the login pages.

- `LoginLockoutMiddleware`: refuses a POST to the login page or the admin's login page while the
  client's address or the username is locked out (labeling/accounts/login_limits.py), with a
  429 page that says why and for how long.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labeling.accounts.login_limits import client_address, login_lockout_get

# The pages that take a password (by URL name); the API's token endpoint checks in its view.
LOGIN_VIEWS = frozenset({"login", "admin:login"})


class LoginLockoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        match = request.resolver_match
        if request.method != "POST" or match is None or match.view_name not in LOGIN_VIEWS:
            return None
        lockout = login_lockout_get(
            address=client_address(request), username=request.POST.get("username", "")
        )
        if lockout is None:
            return None
        response = render(
            request, "registration/login_locked.html", {"lockout": lockout}, status=429
        )
        response.headers["Retry-After"] = str(lockout.retry_after)
        return response
