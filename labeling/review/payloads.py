"""The review screen's item payload: the labeling one with the item's candidates."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from labeling.review.selectors import item_candidates
from labeling.rounds.payloads import next_item_data
from labeling.rounds.services import ServedItem


def review_next_item_data(
    served: ServedItem, request: HttpRequest | Request, *, reviewer_id: int
) -> dict:
    """next_item_data with the item's candidates, in a review round."""
    data = next_item_data(served, request)
    if served.item is not None:
        data["candidates"] = item_candidates(round_image_id=served.item.pk, reviewer_id=reviewer_id)
    return data
