"""What the benchmarks that run the app as a deployment share: free ports, photograph-like JPEGs
and ImageNet val images made of them, gunicorn and a Celery worker started as child processes
(each in its own session, so stopping it stops its children and nothing else), and percentiles."""

from __future__ import annotations

import io
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Django is set up only once a benchmark has its environment
    from labeling.taxonomy.models import Synset

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the app served as deployed (DEBUG off, a secret of its own, files in
    `tmp`) on `database_url`; `extra` adds or overrides variables (the broker, say)."""
    return {
        "DJANGO_SETTINGS_MODULE": "labeling.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def redis_queue_delete(url: str, queue: str) -> None:
    """Delete a benchmark's Celery queue and its bindings from Redis; a failure is printed, never
    raised (cleanup must not hide the result)."""
    try:
        import redis

        redis.Redis.from_url(url).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )
    except Exception as error:  # noqa: BLE001
        print(f"could not delete the Redis queue {queue}: {error}")


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (NaN for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def photo_like(width: int, height: int, seed: int) -> bytes:
    """A JPEG that compresses like a photograph (smooth shapes plus sensor-like noise)."""
    import numpy as np
    from PIL import Image as PILImage
    from PIL import ImageDraw

    rng = random.Random(seed)
    im = PILImage.new("RGB", (width, height), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(20, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = np.random.default_rng(seed).normal(0, 18, (height, width, 3))
    pixels = np.clip(np.asarray(im, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, format="JPEG", quality=90)
    return out.getvalue()


def val_images_create(
    count: int, *, classes: Sequence[Synset], rng: random.Random, seed_offset: int = 0
) -> list[int]:
    """`count` ImageNet val images named as the study names them (ILSVRC2012_val_00000001.JPEG
    on), each a photograph-like 500 x 375 JPEG (about 100 KB, like the val set) drawn with seed
    `seed_offset + n`, and labeled with a class `rng` picks; their ids in order. Django must be
    set up."""
    from labeling.images.models import ImageSource
    from labeling.images.services import image_create

    source = ImageSource.objects.get(slug="imagenet-val")
    image_ids = []
    for n in range(1, count + 1):
        name = f"ILSVRC2012_val_{n:08d}.JPEG"
        image = image_create(
            source=source,
            original_name=name,
            original_label=rng.choice(classes),
            data=photo_like(500, 375, seed_offset + n),
            file_name=name,
        )
        image_ids.append(image.pk)
    return image_ids


def wait_http_ok(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Poll url until it answers 200; SystemExit if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}) before {url} answered")
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")
        time.sleep(0.2)


def start_gunicorn(
    env: dict[str, str],
    port: int,
    *,
    workers: int,
    threads: int = 1,
    keep_alive: int = 2,
    log: Path | None = None,
    wait: bool = True,
) -> subprocess.Popen:
    """gunicorn serving the app on 127.0.0.1:port (gthread workers when threads > 1); returns
    once /healthz answers (at once with wait=False: call wait_http_ok)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "labeling.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--timeout=60",
        f"--keep-alive={keep_alive}",
        "--log-level=warning",
    ]
    if threads > 1:
        command += ["--worker-class=gthread", f"--threads={threads}"]
    output = open(log, "ab") if log else None  # noqa: SIM115 - the child keeps it open
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    if wait:
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", server)
        except BaseException:
            stop(server)
            raise
    return server


def start_celery_worker(
    env: dict[str, str], *, queue: str, name: str, concurrency: int, log: Path
) -> subprocess.Popen:
    """A Celery worker consuming only `queue`, started (see wait_celery_worker)."""
    full_env = {**os.environ, **env}
    celery = [sys.executable, "-m", "celery", "-A", "labeling"]
    with open(log, "ab") as output:
        worker = subprocess.Popen(
            [
                *celery,
                "worker",
                *("-Q", queue, "-n", name, f"--concurrency={concurrency}"),
                *("--loglevel=WARNING", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=full_env,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return worker


def wait_celery_worker(worker: subprocess.Popen, name: str, log: Path, seconds: float = 90) -> None:
    """Return once the worker answers a ping (from this process, where Django is set up with the
    same broker); SystemExit if it exits or time runs out."""
    from labeling.celery import app

    deadline = time.monotonic() + seconds
    while not app.control.ping(destination=[name], timeout=1):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the Celery worker did not start; see {log}")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live descendants (Linux /proc);
    what a descendant that has exited used is counted in its parent's children times."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            # Fields after the command name (which may hold spaces) in parentheses.
            fields = stat[stat.rindex(")") + 2 :].split()
            total += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def stop(process: subprocess.Popen | None, seconds: float = 30) -> None:
    """TERM the process's session (it and its children), then KILL what is left after `seconds`."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
