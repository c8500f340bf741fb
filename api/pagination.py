"""Page sizes and page-number pagination. A `page_size` the API cannot use (not a whole number,
below 1, above the maximum, `null`) is a 400 naming it, everywhere: one field checks it."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def page_size_field(*, maximum: int = MAX_PAGE_SIZE, **kwargs: Any) -> serializers.IntegerField:
    """The `page_size` query parameter: 1 to `maximum` rows per page, optional."""
    return serializers.IntegerField(
        required=False, min_value=1, max_value=maximum, help_text="rows per page", **kwargs
    )


class PageSizeQuerySerializer(serializers.Serializer):
    page_size = page_size_field()


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M`; responses carry `count`, `next`, `previous` and `results`."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        # DRF would quietly use the default for a page size it cannot read.
        query = PageSizeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data.get("page_size", self.page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1)
        return parameters
