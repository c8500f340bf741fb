"""`?format=csv|jsonl` on the research lists: renderers DRF negotiates with (so the formats are
documented and `Accept: text/csv` works too), and the streaming response they lead to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from labeling.research.exports import CONTENT_TYPES, table_chunks
from labeling.research.selectors import Table


class _StreamRenderer(BaseRenderer):
    """Picks the format; the rows never pass through it (the view streams them). What it does
    render is an error body, as JSON."""

    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return json.dumps(data).encode()


class CSVRenderer(_StreamRenderer):
    media_type = "text/csv"
    format = "csv"


class JSONLinesRenderer(_StreamRenderer):
    media_type = "application/x-ndjson"
    format = "jsonl"


def stream_response(table: Table, format: str, *, filename: str) -> StreamingHttpResponse:
    """The whole table as a download, produced chunk by chunk as the client reads."""
    response = StreamingHttpResponse(
        table_chunks(table, format), content_type=CONTENT_TYPES[format]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{format}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
