"""Processes the fault tests start and stop themselves: a private Redis (never the machine's
shared one), Celery workers on a private queue, and the environment they share with the test's
database. PostgreSQL pass only: other processes cannot see a SQLite test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[1]


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


def private_env(port: int, queue: str, **extra: str) -> dict[str, str]:
    """The environment of a process that uses the Redis on `port`, sends tasks to `queue` and
    works on the test database."""
    db = connection.settings_dict
    return {
        **os.environ,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "CELERY_RESULT_BACKEND": "",
        "CELERY_QUEUE": queue,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        **extra,
    }


def start_worker(
    env: dict[str, str],
    *,
    log: Path | None = None,
    loglevel: str = "WARNING",
    include: tuple[str, ...] = (),
) -> subprocess.Popen:
    """A Celery worker with one pool process on the env's queue, with the tasks of the modules
    in `include` (test-only tasks, e.g. "tests.poison_tasks") besides the app's. It leads a
    process group of its own, so that kill_worker kills it with its pool process, as a lost
    machine would."""
    queue = env["CELERY_QUEUE"]
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    modules = ["--include", ",".join(include)] if include else []
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "labeling", "worker", "-Q", queue,
             "-n", f"{queue}@%h", "--concurrency", "1", "--loglevel", loglevel, *modules],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    finally:
        if log is not None:
            output.close()  # type: ignore[union-attr]


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool process at once: nothing of theirs runs any more."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=20)


def pool_processes(worker: subprocess.Popen) -> list[int]:
    """The worker's pool processes (the ones that run tasks)."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def start_beat(env: dict[str, str], *, schedule: Path) -> subprocess.Popen:
    """Celery beat sending the periodic tasks (the sweeps) to the env's queue, every
    TIMING_SWEEP_SECONDS of the env."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "labeling", "beat", "--schedule", str(schedule),
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
