"""Redis stopped and restarted in the middle of an evaluation round: the labeler keeps
answering, every answer is stored once, and the timing rows of the answers given meanwhile are
made by the worker's sweep once Redis is back; none is lost.

The labeler's process, a worker and Celery beat use a Redis of their own, started and stopped
by the test (never the machine's shared Redis). PostgreSQL pass only: the processes share its
database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from labeling.rounds.models import Answer, AnswerTiming, InteractionLog
from tests.helpers import wait_until
from tests.images.factories import make_images
from tests.processes import (
    ROOT,
    free_port,
    private_env,
    start_beat,
    start_redis,
    start_worker,
    stop,
)
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, SHARK, TENCH

PER_PHASE = 4


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_mid_round_keeps_labeling_and_loses_no_answer_or_timing_row(
    eager, imagenet_classes, annotator, tmp_path
):
    if eager or connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL pass: the labeler and the worker are other processes")
    names = [f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(801, 801 + 3 * PER_PHASE)]
    round = make_round(make_images(names, label=TENCH).values(), [annotator], name="Outage")
    port, queue = free_port(), f"outage-labeling-{os.getpid()}"
    env = private_env(port, queue, TIMING_SWEEP_SECONDS="1")

    def label(count: int) -> list[list[str]]:
        wnids = [(TENCH, GOLDFISH, SHARK)[n % 3] for n in range(count)]
        done = subprocess.run(
            [sys.executable, "-m", "tests.rounds.outage_labeler", str(round.pk), "anna", *wnids],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return [line.split() for line in done.stdout.splitlines()]

    def timed(items: list[list[str]]) -> int:
        return AnswerTiming.objects.filter(
            answer__round_image__public_id__in=[item for item, *_ in items]
        ).count()

    redis = start_redis(port)
    worker = start_worker(env)
    beat = start_beat(env, schedule=tmp_path / "beat-schedule")
    try:
        before = label(PER_PHASE)
        wait_until(lambda: timed(before) == PER_PHASE, timeout=60)

        stop(redis)  # mid-round: the broker is gone
        during = label(PER_PHASE)
        # Every answer is taken (201), and its retry with the same key finds it (200).
        assert [(first, again) for _, first, again, _ in during] == [("201", "200")] * PER_PHASE
        during_items = [item for item, *_ in during]
        assert Answer.objects.filter(round_image__public_id__in=during_items).count() == PER_PHASE
        assert timed(during) == 0  # their timing tasks could not be sent

        redis = start_redis(port)
        after = label(PER_PHASE)
        wait_until(lambda: timed(after) == PER_PHASE, timeout=90)
        # The sweep takes logs a minute old: let the outage's logs be that old, and the worker's
        # sweep (sent by beat every second) makes their rows.
        InteractionLog.objects.filter(answer__round_image__public_id__in=during_items).update(
            created_at=timezone.now() - timedelta(minutes=2)
        )
        wait_until(lambda: timed(during) == PER_PHASE, timeout=90)
    finally:
        for process in (beat, worker, redis):
            stop(process)

    slowest = max(float(ms) for *_, ms in during)
    print(f"outage: {PER_PHASE} answers during the outage, the slowest took {slowest:.0f} ms")
    answers = Answer.objects.filter(round_image__round=round)
    assert answers.count() == 3 * PER_PHASE
    assert InteractionLog.objects.filter(answer__in=answers).count() == 3 * PER_PHASE
    timings = AnswerTiming.objects.filter(answer__in=answers)
    assert timings.count() == 3 * PER_PHASE
    assert {(t.searches, t.event_count) for t in timings} == {(1, 1)}
    assert not InteractionLog.objects.filter(answer__in=answers, processed_at__isnull=True).exists()
