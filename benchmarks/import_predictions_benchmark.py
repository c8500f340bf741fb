"""Import the study's volume of model predictions: 40,683 images x 72 models = 2,929,176 rows.

    .venv/bin/python benchmarks/import_predictions_benchmark.py --database sqlite
    .venv/bin/python benchmarks/import_predictions_benchmark.py --database postgres

Sets up a throwaway database (SQLite in a temporary folder, or PostgreSQL
`postgres://postgres@127.0.0.1:5432/bench_predictions_<pid>`, created and dropped here), migrates
it, loads the class tree and inserts 40,683 Image rows directly (20,000 ImageNet val names and
20,683 ImageNetV2 SHA-1 ids; no files: predictions never read them). It then writes a CSV of
2,929,176 rows `image,model,wnid,rank,score`, seeded so that about 183,000 (image, class) pairs
are unique (the study: 182,597), and runs the real command `manage.py import_predictions FILE` in
a child process, timing it and reading the child's own peak RSS (wait4's ru_maxrss). A second run
of the same file checks that a re-run is a no-op and times it too.

Prints one summary line and writes benchmarks/results/import_predictions_<database>.json.
Targets: <= 30 s on PostgreSQL, <= 90 s on SQLite, peak RSS <= 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
VAL_IMAGES = 20_000
V2_IMAGES = 20_683
MODELS = 72
TARGET_SECONDS = {"sqlite": 90.0, "postgres": 30.0}
TARGET_RSS_MB = 500.0


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child process; return (wall seconds, its peak RSS in MB, its stdout)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # wait4 gives this child's own resource usage, not the maximum over all children so far.
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    assert child.stdout is not None and child.stderr is not None  # both are PIPEs
    stdout, stderr = child.stdout.read(), child.stderr.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({child.returncode}):\n{stdout}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024, stdout


def create_postgres(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/postgres")
    conn.autocommit = True  # CREATE DATABASE runs outside a transaction
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def drop_postgres(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def close_connections() -> None:
    """Close Django's connections, if Django was set up at all."""
    from django.apps import apps

    if apps.ready:
        from django.db import connections

        connections.close_all()


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_taxonomy", stdout=open(os.devnull, "w"))  # noqa: SIM115


def insert_images(rng: random.Random) -> tuple[list[str], list[str]]:
    """40,683 Image rows with no files; returns their names and original labels."""
    from labeling.images.models import Image, ImageSource
    from labeling.taxonomy.selectors import classes_all

    classes = list(classes_all().values_list("wnid", flat=True))
    val = ImageSource.objects.get(slug="imagenet-val")
    v2 = ImageSource.objects.get(slug="imagenetv2-matched-frequency")
    names, labels, rows = [], [], []
    for i in range(VAL_IMAGES + V2_IMAGES):
        if i < VAL_IMAGES:
            source, name = val, f"ILSVRC2012_val_{i + 1:08d}.JPEG"
        else:
            source, name = v2, hashlib.sha1(f"v2-{i}".encode()).hexdigest()
        label = classes[i % len(classes)]
        names.append(name)
        labels.append(label)
        rows.append(
            Image(
                source=source,
                original_name=name,
                original_label_id=label,
                width=500,
                height=375,
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                file=f"images/bench/{i}.jpg",
            )
        )
    Image.objects.bulk_create(rows, batch_size=2000)
    return names, labels


def write_predictions(path: Path, names: list[str], labels: list[str], rng: random.Random) -> int:
    """One top-1 prediction per model per image; returns the number of unique (image, class).

    Each image has its true class and a few confusers; a model picks the true class 74% of the
    time (the models' mean top-1 accuracy) and otherwise a confuser, the likelier ones more often.
    """
    from labeling.taxonomy.models import Synset

    classes = list(Synset.objects.classes().values_list("wnid", flat=True))
    pairs = 0
    per_image = []
    for label in labels:
        confusers = rng.sample(classes, 5)
        weights = [1.0 / (k + 1) ** 2.15 for k in range(len(confusers))]
        chosen = [
            label if rng.random() < 0.74 else rng.choices(confusers, weights)[0]
            for _ in range(MODELS)
        ]
        per_image.append(chosen)
        pairs += len(set(chosen))
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "model", "wnid", "rank", "score"])
        for model in range(MODELS):
            name = f"model-{model:02d}"
            for image, chosen in zip(names, per_image, strict=True):
                writer.writerow([image, name, chosen[model], 1, f"{rng.random():.4f}"])
    return pairs


def write_result(name: str, result: dict) -> Path:
    """Write a benchmark's figures, with the machine they were measured on, to results/."""
    result = {
        **result,
        "machine": f"{platform.node()}: {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-predictions-"))
    pg_name = f"bench_predictions_{os.getpid()}"
    env = {
        "DJANGO_SETTINGS_MODULE": "labeling.settings",
        "VAR_DIR": str(tmp / "var"),
        "MEDIA_ROOT": str(tmp / "media"),
        "LOG_LEVEL": "ERROR",
    }
    if args.database == "postgres":
        env["DATABASE_URL"] = f"{PG_SERVER}/{pg_name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    child_env = {**os.environ, **env}
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        child_env.pop(name, None)
        os.environ.pop(name, None)
    try:
        if args.database == "postgres":
            create_postgres(pg_name)
        rng = random.Random(args.seed)
        print(f"setting up {args.database} in {tmp} …", flush=True)
        setup_django(env)
        names, labels = insert_images(rng)
        csv_path = tmp / "predictions.csv"
        unique_pairs = write_predictions(csv_path, names, labels, rng)
        rows = len(names) * MODELS
        size_mb = csv_path.stat().st_size / 1e6
        print(f"{rows:,} rows ({size_mb:.0f} MB), {unique_pairs:,} unique pairs; importing …")

        from django.db import connections

        connections.close_all()  # SQLite: let the child take the write lock
        command = [sys.executable, "manage.py", "import_predictions", str(csv_path)]
        seconds, rss_mb, output = run([*command, "--no-progress", "-v", "2"], child_env)
        print(output.strip())
        rerun_seconds, rerun_rss_mb, rerun_output = run([*command, "--no-progress"], child_env)
        print(rerun_output.strip())

        from labeling.predictions.models import ModelPrediction
        from labeling.review.models import Candidate

        stored = ModelPrediction.objects.count()
        candidates = Candidate.objects.count()
        if stored != rows or candidates != unique_pairs:
            sys.exit(
                f"expected {rows} predictions and {unique_pairs} candidates; got {stored}, "
                f"{candidates}"
            )
        connections.close_all()
        result = {
            "benchmark": "import_predictions",
            "database": args.database,
            "rows": rows,
            "file_mb": round(size_mb, 1),
            "unique_pairs": unique_pairs,
            "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "peak_rss_mb": round(rss_mb, 1),
            "phases": next(
                (line for line in output.splitlines() if line.startswith("timings:")), ""
            ).removeprefix("timings: "),
            "rerun_seconds": round(rerun_seconds, 2),
            "rerun_peak_rss_mb": round(rerun_rss_mb, 1),
            "target_seconds": TARGET_SECONDS[args.database],
            "target_peak_rss_mb": TARGET_RSS_MB,
            "passed": seconds <= TARGET_SECONDS[args.database] and rss_mb <= TARGET_RSS_MB,
        }
        out = write_result(f"import_predictions_{args.database}", result)
        print(
            f"import_predictions [{args.database}]: {rows:,} rows in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s), peak RSS {rss_mb:.0f} MB; re-run "
            f"{rerun_seconds:.1f} s; target <= {TARGET_SECONDS[args.database]:.0f} s, "
            f"<= {TARGET_RSS_MB:.0f} MB: {'PASS' if result['passed'] else 'FAIL'} -> {out}"
        )
    finally:
        if args.database == "postgres":
            close_connections()
            drop_postgres(pg_name)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
