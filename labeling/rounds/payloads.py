"""The item payloads a labeler's screen and the rounds API both send: the current item (with
the image to load ahead) and the previous one. Only opaque ids and URLs of the annotator's copy:
nothing here says which class an image shows."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from rest_framework.request import Request

from labeling.rounds.models import RoundImage
from labeling.rounds.services import ServedItem


def _url(request: HttpRequest | Request, name: str, public_id: str) -> str:
    return request.build_absolute_uri(reverse(name, args=[public_id]))


def next_item_data(served: ServedItem, request: HttpRequest | Request) -> dict:
    if served.item is None:
        return {
            "done": True,
            "total": served.total,
            "can_change_previous": served.can_change_previous,
        }
    following = served.following
    return {
        "item": served.item.public_id,
        "image": _url(request, "images:image-file", served.item.image.public_id),
        "thumbnail": _url(request, "images:image-thumbnail", served.item.image.public_id),
        "position": served.position,
        "total": served.total,
        "done": False,
        "prefetch": None
        if following is None
        else _url(request, "images:image-file", following.image.public_id),
        "can_change_previous": served.can_change_previous,
    }


def previous_item_data(item: RoundImage, request: HttpRequest | Request) -> dict:
    return {
        "item": item.public_id,
        "image": _url(request, "images:image-file", item.image.public_id),
        "thumbnail": _url(request, "images:image-thumbnail", item.image.public_id),
        "position": item.position,
    }
