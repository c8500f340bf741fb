"""Middleware that hardens every response and the login pages.

- `ContentSecurityPolicyMiddleware`: a Content-Security-Policy on every response. Pages load
  scripts, styles, images, fonts and data from our own origin only; no inline script runs, no
  plugin, no framing, forms post only to us. Data a page's script needs goes in the page as
  `{{ value|json_script:"id" }}` (a JSON block, which is not executed), never as inline code.
- `LoginLockoutMiddleware`: refuses a POST to the login page or the admin's login page while the
  client's address or the username is locked out (labeling/accounts/login_limits.py), with a
  429 page that says why and for how long.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labeling.accounts.login_limits import client_address, login_lockout_get

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The API's HTML pages are third-party templates: DRF's browsable API writes style attributes
# and Swagger UI sets styles inline. Styles only: scripts stay our own files there too.
API_POLICY = {**POLICY, "style-src": "'self' 'unsafe-inline'"}
API_PREFIX = "/api/"


def _header(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


CONTENT_SECURITY_POLICY = _header(POLICY)
API_CONTENT_SECURITY_POLICY = _header(API_POLICY)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            api = request.path_info.startswith(API_PREFIX)
            response.headers["Content-Security-Policy"] = (
                API_CONTENT_SECURITY_POLICY if api else CONTENT_SECURITY_POLICY
            )
        return response


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
