"""Tasks for the tests only, never in the app: a worker loads them with `-I tests.poison_tasks`
(tests.processes.start_worker's `include`). Each notes its run in the file it is given."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from celery import shared_task


def note_run(path: str) -> None:
    with Path(path).open("a") as runs:
        runs.write(f"{os.getpid()}\n")


@shared_task
def process_kill(runs: str) -> None:
    """Kill the process running it, every time, as a task exhausting its memory would."""
    note_run(runs)
    time.sleep(0.3)  # some work first: the worker has taken note that this process runs it
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task
def run_note(runs: str) -> str:
    """An ordinary task: note the run, return."""
    note_run(runs)
    return runs


@shared_task
def run_fail(runs: str) -> None:
    """An ordinary failure: note the run, raise."""
    note_run(runs)
    raise ValueError("an ordinary failure")
