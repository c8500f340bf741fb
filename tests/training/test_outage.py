"""Redis stopped and restarted in the middle of a training round: the answers given meanwhile
are kept, and every answer ends with its statistics row and its timing row.

The labeler's process and a worker use a Redis of their own, started and stopped by the test
(never the machine's shared Redis). PostgreSQL pass only: the processes share its database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from labeling.rounds.models import AnswerTiming, RoundKind
from labeling.rounds.services import interaction_logs_sweep
from labeling.training.models import AnswerStat
from labeling.training.services import answer_stats_sweep
from tests.helpers import wait_until
from tests.images.factories import make_images
from tests.rounds.factories import make_round
from tests.rounds.helpers import GOLDFISH, TENCH

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_until(answers, timeout=10)
    return redis


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
    db = connection.settings_dict
    env = {
        **os.environ,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_RESULT_BACKEND": "",
        "CELERY_QUEUE": queue,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }

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
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "labeling", "worker", "-Q", queue,
         "-n", f"{queue}@%h", "--concurrency", "1", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
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
