"""Every API error is JSON with a `detail` message, including 404s and unexpected input errors.
A service's ValidationError is a 400, its StateConflict a 409."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from labeling.conflicts import StateConflict


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):  # Django would answer with its HTML 400 page
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"The request body is larger than the {limit:,} bytes the API takes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, StateConflict):  # well-formed, but the state does not allow it
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(messages)
    response = drf_exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, list):
            response.data = {"detail": response.data}
        # `detail` is one message, as the schema's ErrorSerializer says; DRF makes a list of the
        # messages of a ValidationError (fields keep their lists).
        if isinstance(response.data, dict) and isinstance(response.data.get("detail"), list):
            response.data["detail"] = " ".join(str(m) for m in response.data["detail"])
    return response


def bad_request(message: str, **extra: object) -> Response:
    return Response({"detail": message, **extra}, status=status.HTTP_400_BAD_REQUEST)
