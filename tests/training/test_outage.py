"""Redis stopped and restarted in the middle of a training round: the answers given meanwhile
are kept, and every answer ends with its statistics row and its timing row.

The labeler's process and a worker use a Redis of their own, started and stopped by the test
(never the machine's shared Redis). PostgreSQL pass only: the processes share its database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection

from labeling.rounds.models import AnswerTiming, RoundKind
from labeling.rounds.services import interaction_logs_sweep
from labeling.training.models import AnswerStat
from labeling.training.services import answer_stats_sweep
from tests.helpers import wait_until
from tests.images.factories import make_images
from tests.processes import ROOT, free_port, private_env, start_redis, start_worker, stop
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_and_restarted_mid_round_loses_no_statistic_or_timing_row(
    eager, imagenet_classes, annotator
):
    if eager or connection.vendor != "postgresql":
        pytest.skip("needs the PostgreSQL pass: the labeler and the worker are other processes")
    images = make_images([f"ILSVRC2012_val_{n:08d}.JPEG" for n in range(901, 907)], label=TENCH)
    round = make_round(images.values(), [annotator], kind=RoundKind.TRAINING, name="Outage")
    port, queue = free_port(), f"outage-{os.getpid()}"
    env = private_env(port, queue)

    def answer(*wnids: str) -> list[int]:
        done = subprocess.run(
            [sys.executable, "-m", "tests.training.outage_answers", str(round.pk), "anna", *wnids],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return [int(line) for line in done.stdout.split()]

    redis = start_redis(port)
    worker = start_worker(env)
    try:
        before = answer(TENCH, GOLDFISH)
        wait_until(lambda: AnswerStat.objects.filter(answer__in=before).count() == 2, timeout=60)

        stop(redis)  # mid-round: the broker is gone
        during = answer(GOLDFISH, TENCH)  # the answers are still taken
        assert not AnswerStat.objects.filter(answer__in=during).exists()

        redis = start_redis(port)
        time.sleep(1)
        after = answer(TENCH, TENCH)
        wait_until(lambda: AnswerStat.objects.filter(answer__in=after).count() == 2, timeout=90)
    finally:
        stop(worker)
        stop(redis)

    # The sweeps (run by beat every TIMING_SWEEP_SECONDS) catch up what the outage left behind.
    answer_stats_sweep(older_than=timedelta(0))
    interaction_logs_sweep(older_than=timedelta(0))
    every = [*before, *during, *after]
    assert AnswerStat.objects.filter(answer__in=every).count() == 6
    assert AnswerTiming.objects.filter(answer__in=every).count() == 6
    assert AnswerStat.objects.filter(answer__in=every, correct=True).count() == 4
