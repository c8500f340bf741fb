"""The database lost in the middle of an answer: the request answers 503 with a clear body and
nothing of the answer is written (the labeler's cursor, the answer, its log: all or nothing).

PostgreSQL pass only: the test cuts the request's own session with pg_terminate_backend while
its commit waits for a row the test holds, every row of the answer written but not committed (the
machine's PostgreSQL keeps running)."""

from __future__ import annotations

import threading

import psycopg2
import pytest
from django.db import connection, connections

from labeling.errors import DATABASE_DOWN
from labeling.rounds.models import Answer, AnswerTiming, Assignment, InteractionLog, RoundImage
from tests.helpers import api_client_for, wait_until
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, next_item, post_answer


def blocked_commit() -> int | None:
    """The session whose COMMIT waits for a row lock (Django's foreign keys are checked at
    commit), if one does."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query = 'COMMIT'
            """
        )
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True)
def test_an_answer_whose_database_session_is_lost_mid_write_is_a_503_and_leaves_nothing(
    annotator, imagenet_classes
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a session of its own is cut while it waits")
    images = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in (601, 602)])
    round = make_round(images.values(), [annotator], name="Lost")
    client = api_client_for(annotator)
    client.raise_request_exception = False  # the handler's response, as a browser gets it
    item = next_item(client, round)["item"]
    target = RoundImage.objects.get(public_id=item)
    responses: list = []

    def send() -> None:
        try:
            responses.append(post_answer(client, round, item, wnid=GOLDFISH, key="lost-1"))
        finally:
            connections.close_all()

    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    )
    sender = threading.Thread(target=send)
    try:
        with holder.cursor() as cursor:
            # The answer's commit checks its item row: it waits there, every row written.
            cursor.execute("SELECT 1 FROM rounds_roundimage WHERE id = %s FOR UPDATE", [target.pk])
        sender.start()
        pid = wait_until(lambda: blocked_commit(), timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        sender.join(timeout=30)
    finally:
        holder.rollback()
        holder.close()

    (response,) = responses
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": DATABASE_DOWN}
    assert Assignment.objects.get(round=round, user=annotator).answered == 0
    assert not Answer.objects.filter(round_image__round=round).exists()
    assert not InteractionLog.objects.filter(labeler=annotator).exists()

    # The labeler's retry with the same key, the database back, stores the answer once.
    retry = post_answer(client, round, item, wnid=GOLDFISH, key="lost-1")
    assert retry.status_code == 201
    assert Answer.objects.filter(round_image__round=round).count() == 1
    assert Assignment.objects.get(round=round, user=annotator).answered == 1
    # Its timing task is the worker's; let it finish before the tables are emptied after the test.
    wait_until(lambda: AnswerTiming.objects.filter(answer__round_image=target).exists(), timeout=60)
