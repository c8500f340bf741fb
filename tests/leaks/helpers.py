"""What the leak suite checks a response with: everything the browser gets, searched for
secrets."""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.http import HttpResponseBase
from PIL import Image as PILImage


def content_of(response: HttpResponseBase) -> bytes:
    if getattr(response, "streaming", False):
        # Read once and keep it: a FileResponse's stream cannot be read twice.
        if not hasattr(response, "_leak_suite_content"):
            response._leak_suite_content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        return response._leak_suite_content  # type: ignore[attr-defined]
    return response.content  # type: ignore[attr-defined]


def exposed(response: HttpResponseBase) -> bytes:
    """Everything the browser gets: status line, every header and the whole body."""
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    return f"{response.status_code}\n{headers}\n".encode() + content_of(response)


def assert_nothing_leaks(response: HttpResponseBase, secrets: Iterable[str], what: str) -> None:
    assert response.status_code < 500, what
    seen = exposed(response).lower()
    leaked = [secret for secret in secrets if secret.lower().encode() in seen]
    assert not leaked, f"{what} reveals {leaked}"


def assert_pixels_only(data: bytes, what: str) -> None:
    """A JPEG with no metadata of any kind and nothing after the end of the image."""
    with PILImage.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG", what
        assert not {"exif", "comment", "xmp", "icc_profile", "photoshop"} & set(im.info), what
        assert im.getexif() == {}, what
    assert data.endswith(b"\xff\xd9"), f"{what} has bytes after the end of the image"
