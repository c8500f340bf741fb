"""Image files, served only through these views: MEDIA_URL is never exposed, so every byte of an
image passes a role check here.

Images to label are addressed by their opaque public id and served without anything that could
give their class or source away: no file name, no wnid, no source folder in a URL or header.
Annotators get the metadata-free copy (labeling.images.copies) with a random ETag, never the file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from labeling.accounts.authentication import ExpiringTokenAuthentication
from labeling.accounts.roles import user_roles
from labeling.images.copies import annotator_copy_create
from labeling.images.models import Image, ReferenceImage
from labeling.images.selectors import (
    image_get_by_public_id,
    image_served_as_original,
    image_visible_to,
    reference_get,
)
from labeling.images.services import image_thumbnail_create, reference_thumbnail_create

CACHE_CONTROL = "private, max-age=86400"
# By stored suffix, which the upload services take from the decoded format, never from the
# uploader's file name; thumbnails are always JPEG.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def _file_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET/HEAD only; a login redirect for a page request, a plain 403 for an <img> or API
    request (a redirect would hand the browser an HTML page where it expects an image); 403
    without a role."""

    @require_safe
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            token_user = _token_user(request)
            if token_user is None:
                if "text/html" in request.headers.get("Accept", ""):
                    return redirect_to_login(request.get_full_path())
                return _forbidden("Log in to see images.")
            request.user = token_user
        if not user_roles(request.user):
            return _forbidden("You need the annotator, admin or researcher role to see images.")
        return view(request, *args, **kwargs)

    return wrapped


def _token_user(request: HttpRequest) -> User | None:
    """The user of an `Authorization: Token …` header: the API hands out these files' URLs, so
    its clients (researchers' scripts) must be able to follow them. None if absent or invalid."""
    try:
        authenticated = ExpiringTokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        return None
    return authenticated[0] if authenticated else None


def _forbidden(message: str) -> HttpResponseBase:
    response = HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


def _serve(request: HttpRequest, field: FieldFile, *, etag: str) -> HttpResponseBase:
    """Stream a stored file with caching headers and nothing that names it."""
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": f'"{etag}"',
        "X-Content-Type-Options": "nosniff",
    }
    not_modified = get_conditional_response(request, etag=headers["ETag"])
    if not_modified is not None:
        return _with_headers(not_modified, headers)
    if not field.name:
        raise Http404("No file is recorded.")
    suffix = PurePosixPath(field.name).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    if settings.FILES_X_ACCEL_REDIRECT_PREFIX:
        # The web server sends the bytes from its internal location; the header never reaches
        # the client (and the location is `internal`: no request of a client can name it).
        handed = HttpResponse(content_type=content_type)
        handed.headers["X-Accel-Redirect"] = quote(
            f"{settings.FILES_X_ACCEL_REDIRECT_PREFIX}{field.name}"
        )
        handed.headers["Content-Disposition"] = "inline"
        return _with_headers(handed, headers)
    try:
        handle = default_storage.open(field.name, "rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, content_type=content_type)
    _with_headers(response, headers)
    # FileResponse would add `filename="<stored name>"`; the stored name is nobody's business.
    response.headers["Content-Disposition"] = "inline"
    return response


def _with_headers(response: HttpResponseBase, headers: dict[str, str]) -> HttpResponseBase:
    for key, value in headers.items():
        response.headers[key] = value
    return response


def _reference_or_404(reference_id: int) -> ReferenceImage:
    reference = reference_get(reference_id=reference_id)
    if reference is None:
        raise Http404("No such reference image.")
    return reference


def _thumbnail_present(field: FieldFile) -> bool:
    # A thumbnail recorded but lost from storage (a wiped media folder) is made again.
    return bool(field.name and default_storage.exists(field.name))


@_file_view
def reference_file(request: HttpRequest, reference_id: int) -> HttpResponseBase:
    reference = _reference_or_404(reference_id)
    return _serve(request, reference.file, etag=reference.sha256)


@_file_view
def reference_thumbnail(request: HttpRequest, reference_id: int) -> HttpResponseBase:
    reference = _reference_or_404(reference_id)
    if not _thumbnail_present(reference.thumbnail):
        # Not made yet (the worker is behind or down): make it now rather than show a hole.
        reference = reference_thumbnail_create(reference=reference, force=bool(reference.thumbnail))
    return _serve(request, reference.thumbnail, etag=f"{reference.sha256}-thumb")


def _image_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Look the image up by public id and check that the user may see it."""

    @_file_view
    @wraps(view)
    def wrapped(request: HttpRequest, public_id: str) -> HttpResponseBase:
        image = image_get_by_public_id(public_id=public_id)
        if image is None:
            raise Http404("No such image.")
        if not image_visible_to(user=request.user, image=image):
            return _forbidden("This image is not part of your work.")
        return view(request, image)

    return wrapped


@_image_view
def image_file(request: HttpRequest, image: Image) -> HttpResponseBase:
    if not image_served_as_original(user=request.user):
        copy = annotator_copy_create(image=image)  # made by a task; now if it has not run yet
        return _serve(request, copy.file, etag=copy.token)
    return _serve(request, image.file, etag=image.sha256)


@_image_view
def image_thumbnail(request: HttpRequest, image: Image) -> HttpResponseBase:
    if not image_served_as_original(user=request.user):
        copy = annotator_copy_create(image=image)
        return _serve(request, copy.thumbnail, etag=f"{copy.token}-thumb")
    if not _thumbnail_present(image.thumbnail):
        image = image_thumbnail_create(image=image, force=bool(image.thumbnail))
    return _serve(request, image.thumbnail, etag=f"{image.sha256}-thumb")
