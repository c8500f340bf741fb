"""50 annotators labeling at once against gunicorn + PostgreSQL + Redis + a Celery worker.

    .venv/bin/python benchmarks/load_benchmark.py [--annotators 50] [--duration 120] [--think 2]

Sets up a throwaway deployment on this machine: a fresh PostgreSQL database
(`bench_load_<pid>`, dropped at the end), migrated, with the class tree loaded; JPEGs made with
Pillow (500 x 375, about 100 KB, like ImageNet's validation images); an open evaluation round with
enough images for every annotator to keep labeling for the whole run; the shared Redis
(127.0.0.1:6379) as broker and cache on a database of this benchmark's own (`--redis-db`, 11)
with a queue of this run's own; a real Celery worker on that queue (it makes the annotators'
copies of the images when the round opens and processes every answer's timing); and gunicorn
(DEBUG off) on a free port. No nginx: the client talks to gunicorn directly, so image files are
sent by Python (the deployment hands them to nginx with X-Accel-Redirect after the same
permission check, deploy/nginx.conf), which makes the image figures an upper bound.

The client is this process: one thread per annotator, each with its own keep-alive HTTP/1.1
connection and session. Each annotator logs in through the login page (before the clock starts;
then one search and one `next`, not counted, so every gunicorn worker has built its search index),
then loops until the time is up:

    GET  /api/rounds/R/next/              the current item                    ("next")
    GET  /files/images/<id>/              its image, all bytes read           ("image")
    GET  /api/classes/search/?q=…         one per keystroke burst of a class
                                          name, ~150 ms apart (3 to 5 a name)    ("search")
    (think: --think seconds on average, uniform 0.5 to 1.5 times that)
    POST /api/rounds/R/answers/           with an Idempotency-Key and the
                                          page's interaction events           ("answer")

A connection the server closed while idle is reopened and the request sent again (counted as a
reconnect, not an error; an answer is resent with the same Idempotency-Key, as the page does).
Any other failure or unexpected status is an error. At the end it waits for the worker to process
every answer's interaction log, then checks that every answer a client saw confirmed (201, or
200 for a repeat) is in the database with the class sent, and exits 1 if any is missing, any
error occurred, or (unless --no-target) a p99 of `next` or `answer` is above 100 ms.

Prints a table and a summary line; writes benchmarks/results/load.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import (  # noqa: E402
    free_port,
    percentile,
    redis_queue_delete,
    server_environment,
    start_celery_worker,
    start_gunicorn,
    stop,
    tree_cpu_seconds,
    val_images_create,
    wait_celery_worker,
    wait_http_ok,
)
from import_predictions_benchmark import (  # noqa: E402
    PG_SERVER,
    close_connections,
    create_postgres,
    drop_postgres,
    setup_django,
    write_result,
)

KINDS = ("next", "image", "search", "answer")
TARGET_P99_MS = 100.0  # for next and answer
TARGET_KINDS = ("next", "answer")
# The study's labelers took a median of 26 s per image (the paper, section 4.3), about 2.3 images
# per annotator-minute. 5 s of thinking makes a loop of about 6 s, about 10 images per
# annotator-minute: four times that pace, so 50 annotators here are about 200 at the study's.
THINK = 5.0
STUDY_PACE = 2.3  # images per annotator-minute: 60 / 26 s
KEYSTROKE_GAP = 0.150  # seconds between the searches of one name, as a typist's bursts arrive
PASSWORD = "bench-load-password-not-secret"
REDIS_SERVER = "redis://127.0.0.1:6379"
# gunicorn on 2 cores: 4 processes of 2 threads (gthread: keeps the annotators' connections alive
# between requests and overlaps database and Redis waits). Threads of one process queue for its one
# interpreter lock: on a quiet machine 3 x 4 gave answer p99 179 ms, 4 x 2 91 ms (same load, same
# requests per second, less CPU per request).
WORKERS, THREADS = 4, 2


# --- The world --------------------------------------------------------------------------------


def images_needed(duration: float, think: float) -> int:
    """Enough images that no annotator runs out: a loop lasts at least the think time's lower
    end plus the typing, so this bounds the images one annotator can answer, with a margin."""
    shortest_loop = 0.5 * think + 3 * KEYSTROKE_GAP
    return math.ceil(duration / max(shortest_loop, 0.2) * 1.2) + 10


def build_world(annotators: int, images: int, rng: random.Random) -> tuple[int, list[str]]:
    """Users, images and the open round (its copies are made by the worker); returns the round's
    id and the class names the annotators type."""
    from labeling.accounts.roles import Role
    from labeling.accounts.services import user_create_or_update
    from labeling.rounds.services import round_create, round_open
    from labeling.taxonomy.models import Synset

    classes = list(Synset.objects.filter(class_index__isnull=False).order_by("class_index"))
    from django.contrib.auth.models import User
    from django.test import override_settings

    first = user_create_or_update(username="annotator01", password=PASSWORD, roles=[Role.ANNOTATOR])
    # The others get the first one's password hash: hashing it 50 times would take half a minute.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        users = [first] + [
            user_create_or_update(
                username=f"annotator{n:02d}", password=PASSWORD, roles=[Role.ANNOTATOR]
            )
            for n in range(2, annotators + 1)
        ]
    User.objects.filter(pk__in=[u.pk for u in users]).update(password=first.password)
    image_ids = val_images_create(images, classes=classes, rng=rng)
    round = round_create(
        name="Load benchmark", kind="evaluation", image_ids=image_ids, labelers=users, seed=1
    )
    round_open(round=round)  # the worker makes the annotators' copies of the images
    return round.pk, [synset.name for synset in classes]


def collect_static() -> None:
    """The login page names static files through the manifest, so collectstatic must run; the
    client fetches none of them, so they are collected without whitenoise's compression (a third
    of the time; the manifest is the same)."""
    from django.core.management import call_command
    from django.test import override_settings

    manifest = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    with override_settings(STORAGES={"staticfiles": {"BACKEND": manifest}}):
        call_command("collectstatic", verbosity=0, interactive=False)


def wait_for_copies(seconds: float) -> int:
    """Wait until the worker has made every image's annotator copy; returns how many are missing
    (the server then makes one on request, slowly)."""
    from labeling.images.models import Image

    deadline = time.monotonic() + seconds
    while True:
        missing = Image.objects.filter(annotator_copy__isnull=True).count()
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.5)


# --- The client -------------------------------------------------------------------------------


class RequestFailed(Exception):
    pass


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    login_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    confirmed: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    ran_out: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Session:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.used = False  # whether the connection has carried a request (may be closed by now)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes, float]:
        """(status, response, body, milliseconds): the time from sending to the last byte read,
        including a resend on a connection the server had closed."""
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed while idle: reopen, send again.
                self.connection.close()
                if attempt == 2 or not self.used:
                    raise
                with self.stats.lock:
                    self.stats.reconnects += 1
        elapsed = (time.perf_counter() - started) * 1000
        self.used = True
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
            self.used = False
        return response.status, response, data, elapsed

    def json(self, method: str, path: str, kind: str, expect: tuple[int, ...], **kw: Any) -> dict:
        status, _, data, ms = self.request(method, path, **kw)
        if status not in expect:
            raise RequestFailed(f"{kind}: {method} {path} answered {status}: {data[:200]!r}")
        self.stats.times[kind].append(ms)
        return json.loads(data)

    def login(self, username: str) -> None:
        status, _, page, _ = self.request("GET", "/accounts/login/")
        if status != 200:
            raise RequestFailed(f"login page answered {status}")
        marker = b'name="csrfmiddlewaretoken" value="'
        start = page.index(marker) + len(marker)
        token = page[start : page.index(b'"', start)].decode()
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        status, _, _, ms = self.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise RequestFailed(f"login of {username} answered {status}")
        self.stats.login_ms.append(ms)


def bursts(name: str, rng: random.Random) -> list[str]:
    """The texts a typist's keystroke bursts leave in the box while typing `name`: 3 to 5
    prefixes of growing length, the last the whole name."""
    count = min(len(name), rng.randint(3, 5))
    cuts = sorted(rng.sample(range(2, len(name)), min(count - 1, max(0, len(name) - 2))))
    return [name[:cut] for cut in cuts] + [name]


def annotate(
    username: str,
    session: Session,
    round_id: int,
    names: list[str],
    think: float,
    start: float,
    stop_at: float,
    stats: Stats,
    seed: int,
) -> None:
    """One annotator's loop (see the module's docstring)."""
    rng = random.Random(seed)
    api = f"/api/rounds/{round_id}"
    json_post = {"Content-Type": "application/json", "X-CSRFToken": ""}
    time.sleep(max(0.0, start - time.monotonic()))
    while time.monotonic() < stop_at:
        try:
            shown = time.monotonic()
            item = session.json("GET", f"{api}/next/", "next", (200,))
            if item["done"]:
                with stats.lock:
                    stats.ran_out += 1
                return
            image_path = urllib.parse.urlsplit(item["image"]).path
            status, response, data, ms = session.request("GET", image_path)
            if status != 200 or response.getheader("Content-Type") != "image/jpeg" or not data:
                raise RequestFailed(f"image: {image_path} answered {status}, {len(data)} bytes")
            stats.times["image"].append(ms)
            name = rng.choice(names)
            events: list[dict[str, Any]] = [{"t": 40, "type": "focus"}]
            hits: list[dict] = []
            for n, text in enumerate(bursts(name, rng)):
                if n:
                    time.sleep(KEYSTROKE_GAP)
                query = urllib.parse.urlencode({"q": text, "limit": 15})
                hits = session.json("GET", f"/api/classes/search/?{query}", "search", (200,))[
                    "results"
                ]
                events.append({"t": ms_since(shown), "type": "search", "q": text})
            if not hits:
                raise RequestFailed(f"search: no result for the class name {name!r}")
            wnid = hits[0]["wnid"]
            events.append({"t": ms_since(shown), "type": "candidate_view", "wnid": wnid})
            time.sleep(think * rng.uniform(0.5, 1.5))
            events.append({"t": ms_since(shown), "type": "confirm", "picker": "search"})
            key = str(uuid.uuid4())
            body = {
                "item": item["item"],
                "wnid": wnid,
                "active_seconds": round(time.monotonic() - shown, 3),
                "events": events,
                "picker": "search",
            }
            json_post["X-CSRFToken"] = session.cookies.get("csrftoken", "")
            answered = session.json(
                "POST",
                f"{api}/answers/",
                "answer",
                (200, 201),
                body=json.dumps(body).encode(),
                headers={**json_post, "Idempotency-Key": key},
            )
            if answered.get("item") != item["item"] or answered.get("wnid") != wnid:
                raise RequestFailed(f"answer: the response names {answered!r}")
            with stats.lock:
                stats.confirmed.append((username, item["item"], wnid, key, item["position"]))
        except (RequestFailed, OSError, http.client.HTTPException, ValueError, KeyError) as error:
            stats.error(f"{username}: {type(error).__name__}: {error}")
            session.connection.close()
            session.used = False
            time.sleep(1)  # as a person would before trying again


def ms_since(moment: float) -> int:
    return round((time.monotonic() - moment) * 1000)


def postgres_backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to this database."""
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            pids = [pid for (pid,) in cursor.fetchall()]
    finally:
        conn.close()
    return {pid: tree_cpu_seconds(pid) for pid in pids}


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_clients(
    port: int,
    round_id: int,
    names: list[str],
    args: argparse.Namespace,
    pids: dict[str, int],
    pg_name: str,
) -> tuple[Stats, dict]:
    stats = Stats()
    users = [f"annotator{n:02d}" for n in range(1, args.annotators + 1)]

    # Log in before the clock starts: 50 password hashes would otherwise be the first seconds.
    def log_in(username: str) -> Session:
        session = Session(port, stats)
        session.login(username)
        session.request("GET", "/api/classes/search/?q=warm")  # warm-up, not counted
        session.request("GET", f"/api/rounds/{round_id}/next/")
        return session

    with ThreadPoolExecutor(max_workers=6) as pool:
        sessions = list(pool.map(log_in, users))
    loads: list[float] = []
    done = threading.Event()

    def sample_load() -> None:
        while not done.wait(5):
            loads.append(load_average())

    sampler = threading.Thread(target=sample_load, daemon=True)
    cpu_before = {name: tree_cpu_seconds(pid) for name, pid in pids.items()}
    backends_before = postgres_backends_cpu(pg_name)
    client_cpu_before = time.process_time()
    started = time.monotonic()
    load_at_start = load_average()
    stop_at = started + args.duration
    threads = [
        threading.Thread(
            target=annotate,
            args=(user, session, round_id, names, args.think),
            kwargs={
                # Staggered starts, so the annotators do not move in step.
                "start": started + random.Random(n).uniform(0, min(args.think, args.duration / 4)),
                "stop_at": stop_at,
                "stats": stats,
                "seed": args.seed + n,
            },
            daemon=True,
        )
        for n, (user, session) in enumerate(zip(users, sessions, strict=True))
    ]
    sampler.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.duration + 120)
        if thread.is_alive():
            stats.error("an annotator did not finish within 2 minutes after the end")
    done.set()
    elapsed = time.monotonic() - started
    client_cpu = time.process_time() - client_cpu_before
    cpu = {name: tree_cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    # The server's connections live through the run (conn_max_age); one opened during it
    # counts from zero.
    cpu["postgres"] = sum(
        seconds - backends_before.get(pid, 0.0)
        for pid, seconds in postgres_backends_cpu(pg_name).items()
    )
    for session in sessions:
        session.connection.close()
    loads.append(load_average())
    return stats, {
        "elapsed_seconds": round(elapsed, 1),
        "load_at_start": load_at_start,
        "load_mean": round(sum(loads) / len(loads), 2),
        "load_max": max(loads),
        "cpu_seconds": {
            **{name: round(seconds, 1) for name, seconds in cpu.items()},
            "client": round(client_cpu, 1),
        },
    }


# --- Afterwards ------------------------------------------------------------------------------


def check_database(round_id: int, confirmed: list, wait_seconds: float) -> dict:
    """Every confirmed answer stored with its class; every interaction log processed by the
    worker (waiting for it up to wait_seconds)."""
    from labeling.rounds.models import Answer, InteractionLog

    stored = {
        (username, item): wnid
        for username, item, wnid in Answer.objects.filter(round_image__round_id=round_id)
        .values_list("labeler__username", "round_image__public_id", "synset_id")
        .iterator()
    }
    expected = {(username, item): wnid for username, item, wnid, _, _ in confirmed}
    missing = [key for key, wnid in expected.items() if stored.get(key) != wnid]
    deadline = time.monotonic() + wait_seconds
    logs = InteractionLog.objects.filter(answer__round_image__round_id=round_id)
    while (unprocessed := logs.filter(processed_at__isnull=True).count()) and (
        time.monotonic() < deadline
    ):
        time.sleep(1)
    return {
        "confirmed": len(confirmed),
        "confirmed_distinct": len(expected),
        "stored": len(stored),
        "missing": len(missing),
        "missing_examples": [list(key) for key in missing[:5]],
        "interaction_logs": logs.count(),
        "interaction_logs_unprocessed": unprocessed,
    }


def figures(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p90_ms": round(percentile(values, 90), 1),
        "p99_ms": round(percentile(values, 99), 1),
        "max_ms": round(max(values), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="seconds of labeling")
    parser.add_argument(
        "--think",
        type=float,
        default=THINK,
        help="mean seconds between the last search and the confirm (uniform 0.5-1.5 x this)",
    )
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=THREADS, help="threads per process")
    parser.add_argument("--redis-db", type=int, default=11, help="the shared Redis's database")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--no-target", action="store_true", help="fail on errors and lost answers only"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--output", type=Path, help="write the figures here (default benchmarks/results/load.json)"
    )
    args = parser.parse_args()
    # The client's threads switch often, so a response is read when it arrives, not 5 ms later.
    sys.setswitchinterval(0.001)

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    pg_name = f"bench_load_{os.getpid()}"
    queue = f"bench-load-{os.getpid()}"
    redis_url = f"{REDIS_SERVER}/{args.redis_db}"
    env = server_environment(
        tmp, f"{PG_SERVER}/{pg_name}", CELERY_BROKER_URL=redis_url, CELERY_QUEUE=queue
    )
    for name in ("CELERY_RESULT_BACKEND", "CELERY_WORKER_NAME", "REDIS_URL"):
        os.environ.pop(name, None)
    rng = random.Random(args.seed)
    images = images_needed(args.duration, args.think)
    pace = 60 / (args.think + 4 * KEYSTROKE_GAP + 0.1)
    print(
        f"{args.annotators} annotators for {args.duration:.0f} s, think {args.think} s "
        f"(at most ~{pace:.0f} images per annotator-minute, {pace / STUDY_PACE:.1f} times the "
        f"study's median pace of {STUDY_PACE} a minute); {images} images; database "
        f"{pg_name}, Redis {redis_url} queue {queue}; in {tmp}",
        flush=True,
    )
    server = worker = None
    try:
        create_postgres(pg_name)
        (tmp / "static").mkdir(parents=True)
        started = time.perf_counter()
        # The worker and gunicorn start while this process sets up (they touch the database
        # only when a task or request comes).
        worker_name = f"{queue}@{socket.gethostname()}"
        worker = start_celery_worker(
            env, queue=queue, name=worker_name, concurrency=1, log=tmp / "worker.log"
        )
        setup_django(env)  # migrate, load_taxonomy
        collect_static()
        print(f"database and static files in {time.perf_counter() - started:.0f} s", flush=True)
        port = free_port()
        server = start_gunicorn(
            # As docker-compose.yml: each thread keeps its database connection between requests.
            {**env, "DATABASE_URL": f"{env['DATABASE_URL']}?conn_max_age=60"},
            port,
            workers=args.workers,
            threads=args.threads,
            keep_alive=30,  # longer than a think time: the annotators' connections stay open
            log=tmp / "gunicorn.log",
            wait=False,
        )
        wait_celery_worker(worker, worker_name, tmp / "worker.log")
        round_id, names = build_world(args.annotators, images, rng)
        print(f"round built at {time.perf_counter() - started:.0f} s", flush=True)
        missing_copies = wait_for_copies(120)
        close_connections()
        # Its processes boot while the round is built; on a busy machine that takes minutes.
        wait_http_ok(f"http://127.0.0.1:{port}/healthz", server, seconds=180)
        print(
            f"ready in {time.perf_counter() - started:.0f} s (copies missing: {missing_copies}); "
            f"gunicorn {args.workers} x {args.threads} threads on :{port}; load "
            f"{load_average()}; labeling …",
            flush=True,
        )
        pids = {"gunicorn": server.pid, "celery worker": worker.pid}
        stats, run = run_clients(port, round_id, names, args, pids, pg_name)
        database = check_database(round_id, stats.confirmed, wait_seconds=60)
    finally:
        stop(server)
        stop(worker)
        close_connections()
        drop_postgres(pg_name)
        redis_queue_delete(redis_url, queue)
        for log in ("gunicorn.log", "worker.log"):
            lines = (
                (tmp / log).read_text(errors="replace").splitlines() if (tmp / log).exists() else []
            )
            if lines:
                print(f"{log} ({len(lines)} lines) ends with:", *lines[-8:], sep="\n  ")
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    answers = len(stats.times["answer"])
    requests = sum(len(v) for v in stats.times.values())
    server_cpu_ms = run["cpu_seconds"]["gunicorn"] * 1000 / max(requests, 1)
    result: dict[str, Any] = {
        "benchmark": "load",
        "annotators": args.annotators,
        "duration_seconds": args.duration,
        "think_seconds": args.think,
        "keystroke_gap_seconds": KEYSTROKE_GAP,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "celery_worker_concurrency": 1,
        "nginx": False,
        **run,
        "answers_per_annotator_minute": round(
            answers / args.annotators / (run["elapsed_seconds"] / 60), 1
        ),
        "requests_per_second": round(requests / run["elapsed_seconds"], 1),
        "gunicorn_cpu_ms_per_request": round(server_cpu_ms, 1),
        "requests": {kind: figures(stats.times[kind]) for kind in KINDS},
        "login": figures(stats.login_ms),
        "errors": len(stats.errors),
        "error_examples": stats.errors[:10],
        "reconnects": stats.reconnects,
        "annotators_out_of_images": stats.ran_out,
        "database": database,
        "target_p99_ms": TARGET_P99_MS,
    }
    met = all(
        result["requests"][kind].get("p99_ms", math.inf) <= TARGET_P99_MS for kind in TARGET_KINDS
    )
    lost = database["missing"] or database["interaction_logs_unprocessed"]
    result["passed"] = not stats.errors and not lost and (met or args.no_target)
    if args.output:
        out = args.output.resolve()
        out.write_text(json.dumps(result, indent=2) + "\n")
    else:
        out = write_result("load", result)

    print(f"{'':8} {'n':>6} {'p50':>9} {'p90':>9} {'p99':>9} {'max':>9}")
    for kind in (*KINDS, "login"):
        f = result["requests"].get(kind) or result["login"]
        if f["n"]:
            times = " ".join(f"{f[k]:>7.1f}ms" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms"))
            print(f"{kind:8} {f['n']:>6} {times}")
    for text in stats.errors[:10]:
        print(f"error: {text}")
    req = result["requests"]
    print(
        f"load [{args.annotators} annotators, {run['elapsed_seconds']:.0f} s, think "
        f"{args.think} s, gunicorn {args.workers}x{args.threads}]: "
        + ", ".join(
            f"{k} p50 {req[k].get('p50_ms')} / p99 {req[k].get('p99_ms')} ms" for k in KINDS
        )
        + f"; {result['requests_per_second']} requests/s, gunicorn CPU "
        f"{result['gunicorn_cpu_ms_per_request']} ms per request (CPU s: {run['cpu_seconds']}), "
        f"{result['answers_per_annotator_minute']} answers per annotator-minute; "
        f"errors {len(stats.errors)}, reconnects {stats.reconnects}; confirmed "
        f"{database['confirmed']}, stored {database['stored']}, missing {database['missing']}, "
        f"logs unprocessed {database['interaction_logs_unprocessed']}; load "
        f"{run['load_at_start']} at start, mean {run['load_mean']}, max {run['load_max']}; "
        f"target p99 <= {TARGET_P99_MS:.0f} ms for next and answer: {'met' if met else 'NOT met'}"
        f" -> {'PASS' if result['passed'] else 'FAIL'} ({out})"
    )
    if not result["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
