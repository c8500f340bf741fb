"""Foundation API endpoints (the root, tokens). Domain endpoints live in modules named after
their app."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.fields import StringField
from api.schema import error_responses
from labeling.accounts.authentication import ExpiringTokenAuthentication, token_expires_at
from labeling.accounts.login_limits import (
    client_address,
    login_lockout_get,
    login_success_record,
)
from labeling.accounts.services import token_get_or_create, token_revoke


class TokenRequestSerializer(serializers.Serializer):
    username = StringField()
    password = StringField(style={"input_type": "password"}, trim_whitespace=False)


TokenSerializer = inline_serializer(
    "Token",
    {
        "token": serializers.CharField(),
        "expires": serializers.DateTimeField(
            allow_null=True, help_text="When the token stops working (null: never)."
        ),
    },
)
AuthErrorSerializer = inline_serializer(
    "AuthError",
    {
        "detail": serializers.CharField(),
        "retry_after": serializers.IntegerField(
            required=False, help_text="With 429: seconds until logging in is allowed again."
        ),
    },
)


class TokenView(APIView):
    """Get your API token with your username and password (POST), or revoke the token you send
    (DELETE).

    A token works until it is revoked, its owner's password changes, or TOKEN_TTL_DAYS have
    passed since it was made; POST then makes a new one. Failed attempts count towards the same
    lockout as the login pages: too many from one address or for one username answer 429 with
    Retry-After, even for the right password.
    """

    authentication_classes = [ExpiringTokenAuthentication]
    throttle_classes: list = []

    def get_permissions(self) -> list:
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def perform_authentication(self, request: Request) -> None:
        # Only DELETE is about the token sent; a POST asks for one, so a stale or expired token
        # a script still sends must not stand in the way of getting a new one.
        if request.method == "DELETE":
            super().perform_authentication(request)

    @extend_schema(
        summary="Get your API token",
        description=(
            "Your token for `Authorization: Token <key>`, made now if you have none or yours "
            "has expired."
        ),
        request=TokenRequestSerializer,
        examples=[
            OpenApiExample(
                "A login",
                value={"username": "rita", "password": "your password"},
                request_only=True,
            )
        ],
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Wrong username or password (`{"detail"}`), or the fields at fault.',
            ),
            429: OpenApiResponse(
                AuthErrorSerializer,
                description="Locked out after too many failed logins; see Retry-After.",
            ),
            **error_responses(415),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        lockout = login_lockout_get(address=client_address(request), username=username)
        if lockout is not None:
            return Response(
                {"detail": lockout.message, "retry_after": lockout.retry_after},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(lockout.retry_after)},
            )
        # A failure is counted by the user_login_failed signal authenticate() sends.
        user = authenticate(request, username=username, password=data.validated_data["password"])
        if user is None or not user.is_active:
            return Response(
                {"detail": "Unable to log in with the given username and password."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        login_success_record(username=username)
        token = token_get_or_create(user=user)
        return Response({"token": token.key, "expires": token_expires_at(token)})

    @extend_schema(
        summary="Revoke the token you send",
        description="The token this request carries stops working at once.",
        request=None,
        responses={
            204: None,
            401: OpenApiResponse(AuthErrorSerializer, description="No valid token was sent."),
        },
    )
    def delete(self, request: Request) -> Response:
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _parameterless_names(patterns: Sequence[URLPattern | URLResolver]) -> Iterator[str]:
    """Names of the endpoints whose address takes no parameter, in the order of the URLconf."""
    for pattern in patterns:
        if pattern.pattern.converters:
            continue
        if isinstance(pattern, URLResolver):
            yield from _parameterless_names(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name


@cache
def _endpoint_names() -> tuple[str, ...]:
    # Read from the URLconf, so an endpoint added anywhere under /api/ shows up here by itself.
    from api import urls

    return tuple(name for name in _parameterless_names(urls.urlpatterns) if name != "root")


class ApiRootView(APIView):
    """Every top-level endpoint of the API with its address. Endpoints of one record (a class,
    a guide entry, …) are reached from these; `docs` is the interactive documentation and
    `schema` the OpenAPI schema (`?format=json` for JSON)."""

    def get_view_name(self) -> str:
        return "API root"

    @extend_schema(tags=["root"], responses={200: OpenApiTypes.OBJECT, **error_responses(401)})
    def get(self, request: Request) -> Response:
        return Response(
            {name: reverse(f"api:{name}", request=request) for name in _endpoint_names()}
        )


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI over the schema, from our own static files (drf-spectacular-sidecar). A page
    for people: an anonymous visitor goes to the login page, as on every other page. The split
    view serves Swagger UI's start-up script as a file of its own (`?script`), so the page runs
    under the Content-Security-Policy's `script-src 'self'` with no inline script."""

    url_name = "api:schema"

    # A page, not an API response: DRF passes any HttpResponse on (its stubs say Response only).
    def handle_exception(self, exc: Exception) -> HttpResponseBase:  # type: ignore[override]
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
