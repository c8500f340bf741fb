"""OpenAPI pieces every API module shares: the JSON body of an error response."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    400: "Bad request: {'detail': message}, or the fields at fault with their messages",
    401: "Not logged in (no valid session or token)",
    403: "Your role does not allow this",
    404: "No such resource (or not one of yours)",
    409: "Conflicts with the current state",
    415: "Unsupported media type: send JSON",
}


class ErrorSerializer(serializers.Serializer):
    """A 4xx answer: `detail`, or the fields that were refused with their messages."""

    detail = serializers.CharField(
        required=False, help_text="what went wrong, for a person; a refused field is named instead"
    )


# A page-number paginated list answers 404 for a page past its end (or not a number), and 400
# for a page size it cannot use (api/pagination.py).
NO_SUCH_PAGE = {
    400: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[400]),
    404: OpenApiResponse(
        response=ErrorSerializer, description="No such page (past the end, or not a number)"
    ),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """`responses=` entries for these 4xx codes, each with the JSON error body."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def optional_query_parameters_may_be_empty(result: dict, **kwargs: object) -> dict:
    """A postprocessing hook: an optional query parameter sent empty (`?group=`) counts as not
    sent, as DRF's serializers and paginators read it; the schema says so (`allowEmptyValue`)."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
