"""Requests the labeling screen makes, for the rounds tests."""

from __future__ import annotations

import uuid

from rest_framework.test import APIClient

from labeling.rounds.models import Round

TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01484850"  # ImageNet classes 0, 1, 2


def post_answer(
    client: APIClient,
    round: Round,
    item: str,
    *,
    wnid: str = GOLDFISH,
    active_seconds: float = 3.5,
    events: list | None = None,
    key: str | None = None,
    **fields,
):
    body = {
        "item": item,
        "wnid": wnid,
        "active_seconds": active_seconds,
        "events": events if events is not None else [{"t": 0, "type": "search", "q": "gold"}],
        **fields,
    }
    return client.post(
        f"/api/rounds/{round.pk}/answers/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def next_item(client: APIClient, round: Round) -> dict:
    response = client.get(f"/api/rounds/{round.pk}/next/")
    assert response.status_code == 200, response.content
    return response.json()
