"""Import 10,000 images with their thumbnails, as `import_images` does it for real.

    .venv/bin/python benchmarks/import_images_benchmark.py [--database sqlite|postgres]

Writes 10,000 distinct JPEGs of 400 x 300 pixels (a photo-like mix of shapes and noise, about
the byte size of a small ImageNet image) into a temporary folder in the `<wnid>/<file>` layout, 10
per class over the 1000 classes. Sets up a throwaway database (SQLite in the temporary folder, or
PostgreSQL `postgres://postgres@127.0.0.1:5432/bench_images_<pid>`, created and dropped here) with
its own MEDIA_ROOT, loads the class tree, and runs the real command `manage.py import_images DIR
--source imagenet-val` in a child process: every image is decoded and checked, stored under an
opaque name, and given a 256-pixel thumbnail. Times it, reads the child's peak RSS (wait4), and
checks that every image got its thumbnail.

Prints one summary line and writes benchmarks/results/import_images_<database>.json.
Target: <= 60 s.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from import_predictions_benchmark import (  # noqa: E402
    PG_SERVER,
    close_connections,
    create_postgres,
    drop_postgres,
    run,
    setup_django,
    write_result,
)

IMAGES = 10_000
PER_CLASS = 10
SIZE = (400, 300)
TARGET_SECONDS = 60.0


def write_images(folder: Path, wnids: list[str], rng: random.Random) -> int:
    """10,000 distinct JPEGs; returns their total size in bytes."""
    from PIL import Image, ImageDraw, ImageFilter

    noise = Image.effect_noise(SIZE, 40).convert("RGB")
    total = 0
    for n in range(IMAGES):
        wnid = wnids[n // PER_CLASS]
        background = tuple(rng.randrange(256) for _ in range(3))
        im = Image.blend(Image.new("RGB", SIZE, background), noise, 0.25)
        draw = ImageDraw.Draw(im)
        for _ in range(12):
            x, y = rng.randrange(SIZE[0]), rng.randrange(SIZE[1])
            w, h = rng.randrange(20, 160), rng.randrange(20, 120)
            color = tuple(rng.randrange(256) for _ in range(3))
            if rng.random() < 0.5:
                draw.ellipse((x, y, x + w, y + h), fill=color)
            else:
                draw.rectangle((x, y, x + w, y + h), fill=color)
        im = im.filter(ImageFilter.SMOOTH)
        out = io.BytesIO()
        im.save(out, format="JPEG", quality=90)
        path = folder / wnid / f"ILSVRC2012_val_{n + 1:08d}.JPEG"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())
        total += len(out.getvalue())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-images-"))
    pg_name = f"bench_images_{os.getpid()}"
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
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):  # thumbnails: none left to a worker
        child_env.pop(name, None)
        os.environ.pop(name, None)
    try:
        if args.database == "postgres":
            create_postgres(pg_name)
        print(f"setting up {args.database} in {tmp} …", flush=True)
        setup_django(env)
        from labeling.taxonomy.selectors import classes_all

        wnids = list(classes_all().values_list("wnid", flat=True))
        folder = tmp / "val"
        size_mb = write_images(folder, wnids, random.Random(args.seed)) / 1e6
        print(
            f"{IMAGES:,} JPEGs of {SIZE[0]}x{SIZE[1]} ({size_mb:.0f} MB); importing …", flush=True
        )

        from django.db import connections

        connections.close_all()
        command = [sys.executable, "manage.py", "import_images", str(folder)]
        seconds, rss_mb, output = run(
            [*command, "--source", "imagenet-val", "--no-progress", "-v", "2"], child_env
        )
        print(output.strip())

        from labeling.images.models import Image

        stored = Image.objects.count()
        with_thumbnail = Image.objects.exclude(thumbnail="").count()
        if stored != IMAGES or with_thumbnail != IMAGES:
            sys.exit(f"expected {IMAGES} images with thumbnails; got {stored}, {with_thumbnail}")
        connections.close_all()
        timings = next((line for line in output.splitlines() if line.startswith("timings:")), "")
        result = {
            "benchmark": "import_images",
            "database": args.database,
            "images": IMAGES,
            "image_size": list(SIZE),
            "input_mb": round(size_mb, 1),
            "seconds": round(seconds, 2),
            "images_per_second": round(IMAGES / seconds, 1),
            "peak_rss_mb": round(rss_mb, 1),
            "phases": timings.removeprefix("timings: "),
            "target_seconds": TARGET_SECONDS,
            "passed": seconds <= TARGET_SECONDS,
        }
        out = write_result(f"import_images_{args.database}", result)
        print(
            f"import_images [{args.database}]: {IMAGES:,} images with thumbnails in "
            f"{seconds:.1f} s ({IMAGES / seconds:,.0f} images/s), peak RSS {rss_mb:.0f} MB; "
            f"target <= {TARGET_SECONDS:.0f} s: {'PASS' if result['passed'] else 'FAIL'} -> {out}"
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
