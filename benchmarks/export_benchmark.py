"""Stream 3,000,000 model-prediction rows from the researchers' API, as CSV and as JSON Lines.

    .venv/bin/python benchmarks/export_benchmark.py            # --models N, --keep
    .venv/bin/python benchmarks/export_benchmark.py --database bench_export_mine   # reuse

With --database the rows are loaded the first time only and the database is kept, so versions
of the code can be compared, interleaved, on the same rows (loading them takes minutes).

Sets up a throwaway PostgreSQL database (`bench_export_<pid>` on
`postgres://postgres@127.0.0.1:5432`, created and dropped here), loads the class tree, inserts
40,000 Image rows (20,000 ImageNet val names, 20,000 ImageNetV2 ids; no files) and 75 models x
40,000 top-1 predictions = 3,000,000 rows by COPY, and a researcher with a token. It serves the
app with gunicorn (one sync worker, DEBUG off) and downloads
`GET /api/research/model-predictions/?format=csv`, then `?format=jsonl`, reading 1 MB at a time
and counting the lines. Peak memory is the worker process's own high-water mark (VmHWM in
/proc/<pid>/status), read before the first download and after each.

Prints one summary line and writes benchmarks/results/export.json.
Targets: >= 200,000 rows/s, peak RSS of the server process <= 200 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import free_port, server_environment  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
IMAGES_PER_SOURCE = 20_000
TARGET_ROWS_PER_SECOND = 200_000
TARGET_RSS_MB = 200.0


def postgres(statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/postgres")
    conn.autocommit = True  # CREATE / DROP DATABASE run outside a transaction
    with conn.cursor() as cursor:
        cursor.execute(statement)
    conn.close()


def prepare(models: int) -> str:
    """The database's rows; returns the researcher's token."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from labeling.accounts.roles import Role
    from labeling.accounts.services import token_get_or_create, user_create_or_update
    from labeling.images.models import Image, ImageSource
    from labeling.predictions.models import ClassifierModel, ModelPrediction
    from labeling.taxonomy.models import Synset

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_taxonomy", stdout=open(os.devnull, "w"))  # noqa: SIM115
    classes = list(Synset.objects.classes().order_by("class_index").values_list("wnid", "pk"))
    sources = [
        ImageSource.objects.get(slug=s) for s in ("imagenet-val", "imagenetv2-matched-frequency")
    ]
    images = []
    for i in range(2 * IMAGES_PER_SOURCE):
        val = i < IMAGES_PER_SOURCE
        name = (
            f"ILSVRC2012_val_{i + 1:08d}.JPEG" if val else hashlib.sha1(str(i).encode()).hexdigest()
        )
        images.append(
            Image(
                source=sources[0 if val else 1],
                original_name=name,
                original_label_id=classes[i % 1000][0],
                width=500,
                height=375,
                sha256=hashlib.sha256(name.encode()).hexdigest(),
                file=f"images/bench/{i}.jpg",
            )
        )
    Image.objects.bulk_create(images, batch_size=5000)
    image_ids = list(Image.objects.order_by("id").values_list("id", flat=True))
    table = ModelPrediction._meta.db_table
    with connection.cursor() as cursor:
        for m in range(models):
            model = ClassifierModel.objects.create(name=f"model-{m:02d}")
            buffer = io.StringIO()
            for n, image_id in enumerate(image_ids):
                synset = classes[(n + m * 7) % 1000][1]
                buffer.write(f"{model.pk}\t{image_id}\t{synset}\t1\t{0.5 + (n % 500) / 1000}\n")
            buffer.seek(0)
            cursor.copy_expert(
                f"COPY {table} (model_id, image_id, synset_id, rank, score) FROM STDIN", buffer
            )
        cursor.execute(f"ANALYZE {table}")
    user = user_create_or_update(
        username="rita", password=secrets.token_urlsafe(), roles=[Role.RESEARCHER]
    )
    token = token_get_or_create(user=user).key
    connection.close()
    return token


def database_exists(name: str) -> bool:
    import psycopg2

    conn = psycopg2.connect(f"{PG_SERVER}/postgres")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    conn.close()
    return found


def researcher_token() -> str:
    """The token of the researcher a previous run's prepare() made."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection
    from rest_framework.authtoken.models import Token

    key = Token.objects.get(user__username="rita").key
    connection.close()
    return key


def peak_mb(pid: int) -> tuple[float, float]:
    """(current RSS, high-water mark) of a process, in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise SystemExit("no gunicorn worker")


def download(port: int, path: str, token: str) -> tuple[float, int, int]:
    """(seconds, lines, bytes) of one streamed download."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {response.read()[:500]!r}")
    lines = size = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    connection.close()
    return seconds, lines, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=75, help="x 40,000 images = rows")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder")
    parser.add_argument(
        "--database",
        help="use (and keep) this database: prepared on the first run, reused as it is later "
        "(for comparing code changes on the same rows without reloading them)",
    )
    args = parser.parse_args()
    rows = args.models * 2 * IMAGES_PER_SOURCE

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    name = args.database or f"bench_export_{os.getpid()}"
    keep = args.keep or bool(args.database)
    env = server_environment(tmp, f"{PG_SERVER}/{name}")
    os.environ.update(env)
    for variable in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        os.environ.pop(variable, None)
    server = None
    reuse = bool(args.database) and database_exists(name)
    if not reuse:
        postgres(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        token = researcher_token() if reuse else prepare(args.models)
        what = f"database {name} reused" if reuse else f"{rows:,} rows prepared"
        print(f"{what} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "labeling.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--timeout=600",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=dict(os.environ),
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        worker = worker_pid(server.pid)
        download(port, "/api/research/model-predictions/?page_size=10", token)  # warm up
        baseline = peak_mb(worker)
        figures = {}
        for format in ("csv", "jsonl"):
            cpu_before = cpu_seconds(worker)
            seconds, lines, size = download(
                port, f"/api/research/model-predictions/?format={format}", token
            )
            expected = rows + (1 if format == "csv" else 0)
            if lines != expected:
                raise SystemExit(f"{format}: {lines:,} lines, expected {expected:,}")
            rss, hwm = peak_mb(worker)
            figures[format] = {
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds),
                "megabytes": round(size / 1e6, 1),
                "worker_peak_rss_mb": round(hwm, 1),
                "worker_rss_after_mb": round(rss, 1),
                "worker_cpu_seconds": round(cpu_seconds(worker) - cpu_before, 2),
            }
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if not keep:
            postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "benchmark": "export",
        "rows": rows,
        "worker_rss_before_mb": round(baseline[0], 1),
        "worker_peak_before_mb": round(baseline[1], 1),
        **figures,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "export.json").write_text(json.dumps(result, indent=2))
    ok = all(
        f["rows_per_second"] >= TARGET_ROWS_PER_SECOND and f["worker_peak_rss_mb"] <= TARGET_RSS_MB
        for f in figures.values()
    )
    print(
        f"export of {rows:,} rows: "
        + "; ".join(
            f"{fmt} {f['seconds']} s ({f['rows_per_second']:,} rows/s, {f['megabytes']} MB), "
            f"worker CPU {f['worker_cpu_seconds']} s, peak RSS {f['worker_peak_rss_mb']} MB"
            for fmt, f in figures.items()
        )
        + f"; worker RSS before {baseline[0]:.0f} MB; "
        f"targets >= {TARGET_ROWS_PER_SECOND:,} rows/s, "
        f"<= {TARGET_RSS_MB:.0f} MB: {'met' if ok else 'NOT met'}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
