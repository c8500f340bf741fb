"""Run as a separate process by test_outage.py: answer the next items of a round as a labeler,
with this process's own broker settings (a Redis the test starts and stops). Prints each
answer's id. `python -m tests.training.outage_answers ROUND_ID USERNAME WNID [WNID ...]`"""

from __future__ import annotations

import os
import sys
import uuid


def main(round_id: int, username: str, wnids: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labeling.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from labeling.rounds.selectors import assignment_for
    from labeling.rounds.services import answer_submit, item_serve

    user = get_user_model().objects.get(username=username)
    for wnid in wnids:
        assignment = assignment_for(round_id=round_id, user=user)
        assert assignment is not None
        item = item_serve(assignment=assignment).item
        assert item is not None
        outcome = answer_submit(
            assignment=assignment,
            item=item.public_id,
            wnid=wnid,
            active_seconds=1.0,
            events=[],
            idempotency_key=str(uuid.uuid4()),
        )
        print(outcome.answer.pk, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
