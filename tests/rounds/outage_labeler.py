"""Run as a separate process by test_outage.py: a labeler answers the next items of a round
through the API, as the labeling screen does, with this process's own broker settings (a Redis
the test starts and stops). Each answer is sent twice with one Idempotency-Key, as the screen
retries a request whose response was lost. Prints one line per answer: the item, the statuses
of both requests and the milliseconds the first took.
`python -m tests.rounds.outage_labeler ROUND_ID USERNAME WNID [WNID ...]`"""

from __future__ import annotations

import os
import sys
import time
import uuid


def main(round_id: int, username: str, wnids: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labeling.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(get_user_model().objects.get(username=username))
    for wnid in wnids:
        served = client.get(f"/api/rounds/{round_id}/next/")
        assert served.status_code == 200, served.content
        item = served.json()["item"]
        body = {
            "item": item,
            "wnid": wnid,
            "active_seconds": 2.0,
            "events": [{"t": 0, "type": "search", "q": "fish"}],
        }
        key = str(uuid.uuid4())
        start = time.perf_counter()
        first = client.post(
            f"/api/rounds/{round_id}/answers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        took = (time.perf_counter() - start) * 1000
        again = client.post(
            f"/api/rounds/{round_id}/answers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
        )
        print(item, first.status_code, again.status_code, f"{took:.0f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
