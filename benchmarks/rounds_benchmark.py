"""Server time of the labeling hot path: `GET /api/rounds/R/next/` and `POST …/answers/`.

    .venv/bin/python benchmarks/rounds_benchmark.py --database sqlite
    .venv/bin/python benchmarks/rounds_benchmark.py --database postgres

Sets up a throwaway database (as the import benchmarks do), loads the class tree and builds a
realistic study: 12,000 image rows (no files), 10 closed rounds of 1,000 images that 5 labelers
have answered in full (50,000 answers with their servings and interaction logs), and the round
under test: 2,000 images, open, assigned to the same 5 labelers. Each labeler then labels through
Django's test client, i.e. through the whole middleware stack with session authentication as the
browser does: `next`, then an answer with an Idempotency-Key and 15 interaction events, round
robin over the labelers, 2,000 answers in all. The first 50 pairs warm up and are not counted.

On SQLite, Celery runs eagerly as in the embedded setup, so each answer's timing task runs inside
its request (after commit) and is part of the measured time. On PostgreSQL the answers' tasks go
to Redis (127.0.0.1:6379, database 13, a queue of this run's own, deleted at the end) as in a
deployment; no worker is needed to measure the requests.

Prints one summary line and writes benchmarks/results/rounds_<database>.json. Target: p99 <= 30
ms for each endpoint.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import redis_queue_delete  # noqa: E402
from import_predictions_benchmark import (  # noqa: E402
    PG_SERVER,
    close_connections,
    create_postgres,
    drop_postgres,
    setup_django,
    write_result,
)
from search_benchmark import percentiles  # noqa: E402

LABELERS = 5
ROUND_IMAGES = 2_000
OTHER_ROUNDS = 10
OTHER_ROUND_IMAGES = 1_000
ANSWERS = 2_000  # measured answers in the round under test (400 per labeler)
WARM_UP = 50
TARGET_P99_MS = 30.0
REDIS_URL = "redis://127.0.0.1:6379/13"


def events(rng: random.Random) -> list[dict]:
    """What the page sends with an answer: a search, a few candidates viewed, a pin, a confirm."""
    t = 300
    out = []
    for kind in (
        "focus",
        "search",
        "search",
        "search",
        "candidate_view",
        "zoom",
        "candidate_view",
        "guide_open",
        "pin",
        "candidate_view",
        "pin",
        "compare",
        "node_open",
        "candidate_view",
        "confirm",
    ):
        t += rng.randrange(200, 3000)
        event = {"t": t, "type": kind}
        if kind == "search":
            event["q"] = rng.choice(["terr", "terrier", "norfolk ter"])
        elif kind in ("candidate_view", "pin"):
            event["wnid"] = "n02094114"
        elif kind == "confirm":
            event["picker"] = "search"
        out.append(event)
    return out


def build_study(rng: random.Random) -> tuple[int, list]:
    """The data described above; returns the id of the round under test and the labelers."""
    from django.db import transaction
    from django.utils import timezone

    from labeling.accounts.roles import Role
    from labeling.accounts.services import user_create_or_update
    from labeling.images.models import Image, ImageSource
    from labeling.rounds.models import (
        Answer,
        Assignment,
        InteractionLog,
        Round,
        RoundImage,
        RoundKind,
        RoundState,
        Serving,
    )
    from labeling.taxonomy.models import Synset

    classes = list(Synset.objects.filter(class_index__isnull=False).values_list("wnid", flat=True))
    source = ImageSource.objects.get(slug="imagenet-val")
    total = ROUND_IMAGES + OTHER_ROUNDS * OTHER_ROUND_IMAGES
    Image.objects.bulk_create(
        [
            Image(
                source=source,
                original_name=f"ILSVRC2012_val_{n + 1:08d}.JPEG",
                original_label_id=classes[n % len(classes)],
                width=500,
                height=375,
                sha256=f"{n:064x}",
                file=f"images/bench/{n}.jpg",
            )
            for n in range(total)
        ],
        batch_size=2000,
    )
    image_ids = list(Image.objects.order_by("pk").values_list("pk", flat=True))
    labelers = [
        user_create_or_update(username=f"labeler{n}", password="bench-only", roles=[Role.ANNOTATOR])
        for n in range(1, LABELERS + 1)
    ]
    now = timezone.now()
    sample_events = events(rng)
    with transaction.atomic():
        for r in range(OTHER_ROUNDS):
            opened = now - timedelta(days=30 - r)
            done = Round.objects.create(
                name=f"Earlier round {r + 1}",
                kind=RoundKind.TRAINING,
                allow_change_previous=False,  # a training round's answers are final
                state=RoundState.CLOSED,
                seed=r,
                image_count=OTHER_ROUND_IMAGES,
                opened_at=opened,
                closed_at=opened + timedelta(days=1),
            )
            chunk = image_ids[ROUND_IMAGES + r * OTHER_ROUND_IMAGES :][:OTHER_ROUND_IMAGES]
            RoundImage.objects.bulk_create(
                [
                    RoundImage(round=done, image_id=image_id, position=p)
                    for p, image_id in enumerate(chunk, start=1)
                ]
            )
            items = list(RoundImage.objects.filter(round=done).order_by("position"))
            Assignment.objects.bulk_create(
                [Assignment(round=done, user=u, answered=len(items)) for u in labelers]
            )
            servings, answers = [], []
            for user in labelers:
                for item in items:
                    served = opened + timedelta(seconds=40 * item.position)
                    answered = served + timedelta(seconds=rng.uniform(5, 60))
                    servings.append(
                        Serving(
                            round_image=item,
                            labeler=user,
                            served_at=served,
                            last_served_at=served,
                        )
                    )
                    answers.append(
                        Answer(
                            round_image=item,
                            labeler=user,
                            synset_id=rng.choice(classes),
                            served_at=served,
                            answered_at=answered,
                            active_time=(answered - served) * 0.8,
                            picker="search",
                            idempotency_key=str(uuid.UUID(int=rng.getrandbits(128))),
                        )
                    )
            Serving.objects.bulk_create(servings, batch_size=2000)
            Answer.objects.bulk_create(answers, batch_size=2000)
            stored = Answer.objects.filter(round_image__round=done).only(
                "pk",
                "labeler_id",
                "synset_id",
                "served_at",
                "answered_at",
                "active_time",
                "idempotency_key",
            )
            InteractionLog.objects.bulk_create(
                [
                    InteractionLog(
                        answer_id=a.pk,
                        labeler_id=a.labeler_id,
                        idempotency_key=a.idempotency_key,
                        request_hash="0" * 64,
                        kind="answer",
                        synset_id=a.synset_id,
                        picker="search",
                        window_start=a.served_at,
                        answered_at=a.answered_at,
                        client_active_seconds=a.active_time.total_seconds(),
                        active_time=a.active_time,
                        idle_limit_seconds=120,
                        events=sample_events,
                        processed_at=a.answered_at,
                    )
                    for a in stored
                    # (all of them: every answer above has its times)
                    if a.served_at and a.answered_at and a.active_time is not None
                ],
                batch_size=2000,
            )
        current = Round.objects.create(
            name="Evaluation",
            kind=RoundKind.EVALUATION,
            state=RoundState.OPEN,
            seed=1,
            image_count=ROUND_IMAGES,
            opened_at=now,
        )
        order = image_ids[:ROUND_IMAGES]
        rng.shuffle(order)
        RoundImage.objects.bulk_create(
            [RoundImage(round=current, image_id=i, position=p) for p, i in enumerate(order, 1)]
        )
        Assignment.objects.bulk_create([Assignment(round=current, user=u) for u in labelers])
    return current.pk, labelers


def measure(round_id: int, labelers: list, rng: random.Random, *, gc_freeze: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = []
    for user in labelers:
        client = Client()
        client.force_login(user)
        clients.append(client)
    answer_url = f"/api/rounds/{round_id}/answers/"
    next_url = f"/api/rounds/{round_id}/next/"
    next_ms, answer_ms, next_cpu, answer_cpu, queries = [], [], [], [], {}
    pairs = ANSWERS + WARM_UP
    for n in range(pairs):
        if n == WARM_UP and gc_freeze:
            gc.collect()
            gc.freeze()
        client = clients[n % len(clients)]
        counting = n == WARM_UP - 1
        # Queries are counted (which slows each one down) on the last warm-up pair only.
        capture: AbstractContextManager[Any] = (
            CaptureQueriesContext(connection) if counting else nullcontext([])
        )
        started, started_cpu = time.perf_counter(), time.process_time()
        with capture as next_queries:
            served = client.get(next_url)
        got_next, got_next_cpu = time.perf_counter(), time.process_time()
        assert served.status_code == 200, served.content
        body = {
            "item": served.json()["item"],
            "wnid": "n02094114",
            "active_seconds": round(rng.uniform(4, 60), 3),
            "events": events(rng),
            "picker": "search",
        }
        capture = CaptureQueriesContext(connection) if counting else nullcontext([])
        with capture as answer_queries:
            answered = client.post(
                answer_url,
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        done, done_cpu = time.perf_counter(), time.process_time()
        assert answered.status_code == 201, answered.content
        if counting:
            queries = {"next": len(next_queries), "answers": len(answer_queries)}
        if n >= WARM_UP:
            next_ms.append((got_next - started) * 1000)
            answer_ms.append((done - got_next) * 1000)
            next_cpu.append((got_next_cpu - started_cpu) * 1000)
            answer_cpu.append((done_cpu - got_next_cpu) * 1000)

    def rounded(values: list[float]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in percentiles(values).items()}

    return {
        "next_ms": rounded(next_ms),
        "answers_ms": rounded(answer_ms),
        # This process's CPU time per request: all of it on SQLite; without the database
        # server's on PostgreSQL. Less sensitive than wall time to other load on the machine.
        "next_cpu_ms": rounded(next_cpu),
        "answers_cpu_ms": rounded(answer_cpu),
        "queries_per_request": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() after warming up, as a server can"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-rounds-"))
    pg_name = f"bench_rounds_{os.getpid()}"
    queue = f"bench-rounds-{os.getpid()}"
    env = {
        "DJANGO_SETTINGS_MODULE": "labeling.settings",
        "VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        "LOG_LEVEL": "ERROR",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
    }
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_QUEUE"):
        os.environ.pop(name, None)
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
        env["CELERY_BROKER_URL"] = REDIS_URL
        env["CELERY_QUEUE"] = queue
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    rng = random.Random(args.seed)
    try:
        if args.database == "postgres":
            create_postgres(pg_name)
        print(f"setting up {args.database} in {tmp} …", flush=True)
        (tmp / "var" / "static").mkdir(parents=True)  # whitenoise warns about a missing one
        setup_django(env)
        started = time.perf_counter()
        round_id, labelers = build_study(rng)
        print(f"study built in {time.perf_counter() - started:.0f} s; labeling …", flush=True)
        figures = measure(round_id, labelers, rng, gc_freeze=args.gc_freeze)
        p99 = max(figures["next_ms"]["p99"], figures["answers_ms"]["p99"])
        result = {
            "benchmark": "rounds",
            "database": args.database,
            "celery": "redis, no worker" if args.database == "postgres" else "eager",
            "round_images": ROUND_IMAGES,
            "labelers": LABELERS,
            "stored_answers_in_other_rounds": LABELERS * OTHER_ROUNDS * OTHER_ROUND_IMAGES,
            "measured_answers": ANSWERS,
            "gc_freeze": args.gc_freeze,
            "load_average_at_end": round(os.getloadavg()[0], 2),
            **figures,
            "target_p99_ms": TARGET_P99_MS,
            "passed": p99 <= TARGET_P99_MS,
        }
        out = write_result(f"rounds_{args.database}", result)
        nxt, ans = figures["next_ms"], figures["answers_ms"]
        print(
            f"rounds [{args.database}]: next p50 {nxt['p50']:.2f} ms, p99 {nxt['p99']:.2f} ms, "
            f"max {nxt['max']:.1f} ms; answers p50 {ans['p50']:.2f} ms, p99 {ans['p99']:.2f} "
            f"ms, max {ans['max']:.1f} ms (CPU p99 next {figures['next_cpu_ms']['p99']:.2f}, "
            f"answers {figures['answers_cpu_ms']['p99']:.2f} ms); load "
            f"{os.getloadavg()[0]:.1f}; queries {figures['queries_per_request']}; target "
            f"p99 <= {TARGET_P99_MS:.0f} ms: {'PASS' if result['passed'] else 'FAIL'} -> {out}"
        )
    finally:
        close_connections()
        if args.database == "postgres":
            drop_postgres(pg_name)
            redis_queue_delete(REDIS_URL, queue)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
