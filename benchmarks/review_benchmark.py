"""Server time of the review hot path: `GET /api/rounds/R/next/` with the item's candidates, and
`POST /api/rounds/R/judgments/`.

    .venv/bin/python benchmarks/review_benchmark.py --database postgres
    .venv/bin/python benchmarks/review_benchmark.py --database sqlite

Sets up a throwaway database (as the import benchmarks do), loads the class tree and builds the
study's scale: 40,000 image rows (no files), 200,000 candidates (5 per image, with model counts)
and one open annotation review round of all 40,000 images and their 200,000 candidates, assigned
to 3 reviewers who have each judged the first 20,000 images in full already (300,000 stored
judgments). Each reviewer then reviews through Django's test client with session
authentication, as the browser does: `next` (measured), then one judgment per candidate, each
with an Idempotency-Key (the last one moves the reviewer on), round robin over the reviewers;
the first 30 images are warm-up.

Prints one summary line and writes benchmarks/results/review_<database>.json. Target: next p99
<= 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_predictions_benchmark import (  # noqa: E402
    PG_SERVER,
    close_connections,
    create_postgres,
    drop_postgres,
    setup_django,
    write_result,
)
from search_benchmark import percentiles  # noqa: E402

IMAGES = 40_000
PER_IMAGE = 5
REVIEWERS = 3
JUDGED_BEFORE = 20_000
MEASURED = 600  # images reviewed while measuring (200 per reviewer)
WARM_UP = 30
TARGET_P99_MS = 20.0


def build_study(rng: random.Random) -> tuple[int, list]:
    """The data described above; returns the round's id and the reviewers."""
    from django.db import connection, transaction
    from django.utils import timezone

    from labeling.accounts.roles import Role
    from labeling.accounts.services import user_create_or_update
    from labeling.images.models import Image, ImageSource
    from labeling.review.models import Candidate, Judgment, ReviewRound, RoundCandidate
    from labeling.rounds.models import Assignment, Round, RoundImage, RoundKind, RoundState
    from labeling.taxonomy.models import Synset

    classes = list(Synset.objects.filter(class_index__isnull=False).values_list("pk", "wnid"))
    source = ImageSource.objects.get(slug="imagenet-val")
    reviewers = [
        user_create_or_update(
            username=f"reviewer{n}", password="bench-only", roles=[Role.ANNOTATOR]
        )
        for n in range(1, REVIEWERS + 1)
    ]
    with transaction.atomic():
        Image.objects.bulk_create(
            [
                Image(
                    source=source,
                    original_name=f"ILSVRC2012_val_{n + 1:08d}.JPEG",
                    original_label_id=classes[n % len(classes)][1],
                    width=500,
                    height=375,
                    sha256=f"{n:064x}",
                    file=f"images/bench/{n}.jpg",
                )
                for n in range(IMAGES)
            ],
            batch_size=5000,
        )
        image_ids = list(Image.objects.order_by("pk").values_list("pk", flat=True))
        Candidate.objects.bulk_create(
            [
                Candidate(
                    image_id=image_id,
                    synset_id=synset_id,
                    model_count=rng.randrange(0, 73),
                    added_by="model",
                )
                for n, image_id in enumerate(image_ids)
                for synset_id, _ in rng.sample(classes, PER_IMAGE)
            ],
            batch_size=5000,
        )
        round = Round.objects.create(
            name="Review",
            kind=RoundKind.ANNOTATION_REVIEW,
            state=RoundState.OPEN,
            image_count=IMAGES,
            opened_at=timezone.now(),
        )
        ReviewRound.objects.create(round=round)
        RoundImage.objects.bulk_create(
            [RoundImage(round=round, image_id=i, position=p) for p, i in enumerate(image_ids, 1)],
            batch_size=5000,
        )
        items = dict(RoundImage.objects.filter(round=round).values_list("image_id", "pk"))
        positions = {image_id: p for p, image_id in enumerate(image_ids, 1)}
        order: dict[int, int] = {}
        rows = []
        for candidate_id, image_id in Candidate.objects.order_by("pk").values_list(
            "pk", "image_id"
        ):
            order[image_id] = order.get(image_id, 0) + 1
            rows.append(
                RoundCandidate(
                    round=round,
                    round_image_id=items[image_id],
                    candidate_id=candidate_id,
                    position=positions[image_id],
                    order=order[image_id],
                )
            )
        RoundCandidate.objects.bulk_create(rows, batch_size=5000)
        Assignment.objects.bulk_create(
            [Assignment(round=round, user=u, answered=JUDGED_BEFORE) for u in reviewers]
        )
        # 300,000 stored judgments in one statement per reviewer.
        with connection.cursor() as cursor:
            for user in reviewers:
                cursor.execute(
                    f"INSERT INTO {Judgment._meta.db_table} (round_candidate_id, reviewer_id, "
                    "verdict, idempotency_key, created_at, updated_at) SELECT id, %s, CASE id %% 3 "
                    "WHEN 0 THEN 'correct' WHEN 1 THEN 'wrong' ELSE 'unclear' END, "
                    f"'{user.pk}-' || id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM "
                    f"{RoundCandidate._meta.db_table} WHERE round_id = %s AND position <= %s",
                    [user.pk, round.pk, JUDGED_BEFORE],
                )
    return round.pk, reviewers


def measure(round_id: int, reviewers: list, rng: random.Random) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = []
    for user in reviewers:
        client = Client()
        client.force_login(user)
        clients.append(client)
    next_url = f"/api/rounds/{round_id}/next/"
    judgments_url = f"/api/rounds/{round_id}/judgments/"
    next_ms, judgment_ms, next_cpu, judgment_cpu, queries = [], [], [], [], {}
    slowest: list[dict] = []
    for n in range(MEASURED + WARM_UP):
        client = clients[n % len(clients)]
        counting = n == WARM_UP - 1
        capture: CaptureQueriesContext | nullcontext[list] = (
            CaptureQueriesContext(connection) if counting else nullcontext([])
        )
        started, started_cpu = time.perf_counter(), time.process_time()
        with capture as next_queries:
            served = client.get(next_url)
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - started_cpu) * 1000
        assert served.status_code == 200, served.content
        candidates = served.json()["candidates"]
        assert len(candidates) == PER_IMAGE
        if n >= WARM_UP:
            next_ms.append(elapsed)
            next_cpu.append(cpu)
        for candidate in candidates:
            capture = CaptureQueriesContext(connection) if counting else nullcontext([])
            started, started_cpu = time.perf_counter(), time.process_time()
            with capture as judgment_queries:
                judged = client.post(
                    judgments_url,
                    {"candidate": candidate["id"], "verdict": rng.choice(["correct", "wrong"])},
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                )
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - started_cpu) * 1000
            assert judged.status_code == 201, judged.content
            if n >= WARM_UP:
                judgment_ms.append(elapsed)
                judgment_cpu.append(cpu)
        if counting:
            assert isinstance(next_queries, CaptureQueriesContext)
            assert isinstance(judgment_queries, CaptureQueriesContext)
            queries = {"next": len(next_queries), "judgments (last)": len(judgment_queries)}
            slowest = sorted(
                [*next_queries.captured_queries, *judgment_queries.captured_queries],
                key=lambda q: -float(q["time"]),
            )[:3]

    def rounded(values: list[float]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in percentiles(values).items()}

    return {
        "next_ms": rounded(next_ms),
        "judgments_ms": rounded(judgment_ms),
        # This process's CPU time per request (without the database server's): less sensitive
        # than wall time to other load on the machine.
        "next_cpu_ms": rounded(next_cpu),
        "judgments_cpu_ms": rounded(judgment_cpu),
        "queries": queries,
        "slowest_queries_of_a_warm_up_image": slowest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-review-"))
    pg_name = f"bench_review_{os.getpid()}"
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
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    rng = random.Random(args.seed)
    try:
        if args.database == "postgres":
            create_postgres(pg_name)
        print(f"setting up {args.database} in {tmp} …", flush=True)
        (tmp / "var" / "static").mkdir(parents=True)
        setup_django(env)
        started = time.perf_counter()
        round_id, reviewers = build_study(rng)
        if args.database == "postgres":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"study built in {time.perf_counter() - started:.0f} s; reviewing …", flush=True)
        figures = measure(round_id, reviewers, rng)
        result = {
            "benchmark": "review",
            "database": args.database,
            "images": IMAGES,
            "candidates": IMAGES * PER_IMAGE,
            "reviewers": REVIEWERS,
            "stored_judgments": REVIEWERS * JUDGED_BEFORE * PER_IMAGE,
            "measured_images": MEASURED,
            "load_average_at_end": round(os.getloadavg()[0], 2),
            **figures,
            "target_p99_ms": TARGET_P99_MS,
            "passed": figures["next_ms"]["p99"] <= TARGET_P99_MS,
        }
        out = write_result(f"review_{args.database}", result)
        nxt, jud = figures["next_ms"], figures["judgments_ms"]
        print(
            f"review [{args.database}]: next p50 {nxt['p50']:.2f} ms, p99 {nxt['p99']:.2f} ms, "
            f"max {nxt['max']:.1f} ms; judgments p50 {jud['p50']:.2f} ms, p99 "
            f"{jud['p99']:.2f} ms (CPU p99 next {figures['next_cpu_ms']['p99']:.2f}, judgments "
            f"{figures['judgments_cpu_ms']['p99']:.2f} ms); load {os.getloadavg()[0]:.1f}; "
            f"queries {figures['queries']}; "
            f"target next p99 <= {TARGET_P99_MS:.0f} ms: "
            f"{'PASS' if result['passed'] else 'FAIL'} -> {out}"
        )
    finally:
        close_connections()
        if args.database == "postgres":
            drop_postgres(pg_name)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
