"""Error pages: a page gets the app's layout, a reason and a way back; anything under /api/
gets JSON like every other API error (api/exceptions.py), even when no API view was reached
(an unknown address, an error outside DRF).

Used only with DEBUG off; with DEBUG on Django shows its own debug pages.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _reason(exception: Exception | None, default: str) -> str:
    """The exception's own message where the app wrote one for people (our Http404 and
    PermissionDenied messages); Django's URL resolver puts its internals there instead."""
    if exception is None or isinstance(exception, Resolver404) or not exception.args:
        return default
    message = exception.args[0]
    return message if isinstance(message, str) and message.strip() else default


@requires_csrf_token
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _reason(exception, "Not found.")}, status=404)
    reason = _reason(exception, "There is no page at this address.")
    return render(request, "404.html", {"reason": reason}, status=404)


@requires_csrf_token
def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = _reason(exception, "You may not see this page.")
    if _is_api(request):
        return JsonResponse({"detail": reason}, status=403)
    return render(request, "403.html", {"reason": reason}, status=403)


DATABASE_DOWN = "The database is not answering; nothing was saved. Try again in a minute."
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: a lost database is no bug of ours but an
    # outage, so 503 (with Retry-After) says "come back", where 500 would say "broken".
    unavailable = isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))
    status = 503 if unavailable else 500
    if _is_api(request):
        detail = DATABASE_DOWN if unavailable else "A server error occurred."
        response: HttpResponse = JsonResponse({"detail": detail}, status=status)
    else:
        # Without the request: its context processors may need the database that just failed.
        template = "503.html" if unavailable else "500.html"
        response = HttpResponse(loader.get_template(template).render(), status=status)
    if unavailable:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
