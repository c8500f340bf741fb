"""Confirm → next image visible on the labeling screen, measured in Chromium against gunicorn.

    .venv/bin/python benchmarks/label_screen_benchmark.py [--confirms 100] [--workers 3]

Prepares a throwaway deployment: a temporary SQLite database with the class tree loaded
(load_taxonomy), reference images with thumbnails for the classes the queries find, an open
evaluation round of ImageNet-sized JPEGs (500 x 375, about 100 KB, like the val set) assigned to
one annotator, static files collected; then serves it with gunicorn as the Dockerfile does (DEBUG
off, a throwaway SECRET_KEY, whitenoise for static files, Celery eager) and drives headless
Chromium (Debian's) through the screen like a labeler: type a query into the search picker one key
at a time (every keystroke may search), view the first result (its guide entry and references),
pause (`--think`, as a labeler looks), confirm with Ctrl+Enter. For each confirm the page itself
records the time from the key to the next image decoded and painted (label.js: after decode, the
next animation frame and the task after it). The browser's Resource Timing gives the duration of
each request the page made: the next image (prefetched while the current one is labeled), the
reference thumbnails, the class search, the thumbnail lookup and the answer POST.

Prints a table and one summary line for the README; writes benchmarks/results/label_screen.json.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from common import (  # noqa: E402
    free_port,
    percentile,
    photo_like,
    server_environment,
    val_images_create,
)
from import_predictions_benchmark import write_result  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_P95_MS = 150.0
USERNAME, PASSWORD = "bench-annotator", "bench-password-not-secret"
# What labelers type, and the class they then view (the first result).
QUERIES = [
    "norfolk", "norwich", "tabby", "laptop", "espresso", "golden retriever", "pizza", "goldfish",
    "sports car", "crane", "tench", "mushroom", "banjo", "school bus", "volcano", "siamese",
]  # fmt: skip
REFERENCES_PER_CLASS = 4
EXTRA_REFERENCE_CLASSES = 40  # other classes with references, so most results show thumbnails


def prepare(images: int) -> int:
    """Database, files and the round (in this process, with the environment already set);
    returns the round's id."""
    import django

    django.setup()
    from django.core.management import call_command

    from labeling.accounts.roles import Role
    from labeling.accounts.services import user_create_or_update
    from labeling.images.services import reference_image_create, reference_thumbnail_create
    from labeling.rounds.services import round_create, round_open
    from labeling.taxonomy.models import Synset
    from labeling.taxonomy.snapshot import class_search_index

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_taxonomy", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    user = user_create_or_update(username=USERNAME, password=PASSWORD, roles=[Role.ANNOTATOR])

    found = {hit.record.wnid for q in QUERIES for hit in class_search_index().search(q, 15)}
    classes = list(Synset.objects.filter(class_index__isnull=False).order_by("class_index"))
    rng = random.Random(8)
    chosen = [s for s in classes if s.wnid in found] + rng.sample(classes, EXTRA_REFERENCE_CLASSES)
    seed = 0
    for synset in dict.fromkeys(chosen):
        for position in range(1, REFERENCES_PER_CLASS + 1):
            seed += 1
            reference = reference_image_create(
                synset=synset,
                original_name=f"{synset.wnid}_{position}.JPEG",
                data=photo_like(500, 375, seed),
                position=position,
            )
            reference_thumbnail_create(reference=reference)

    # Seeds past the references', so no image repeats a reference's pixels.
    image_ids = val_images_create(images, classes=classes, rng=rng, seed_offset=100_000)
    # Celery runs eagerly here: opening the round makes the annotators' copies of its images.
    round = round_create(
        name="Benchmark round", kind="evaluation", image_ids=image_ids, labelers=[user], seed=1
    )
    round_open(round=round)
    return round.pk


# In the page: the resource entries since the last call, by kind, then cleared.
RESOURCES_JS = """() => {
    const kinds = [
        ["image", /\\/files\\/images\\/[^/]+\\/$/],
        ["thumbnail", /\\/files\\/references\\/\\d+\\/thumb\\/$/],
        ["search", /\\/api\\/classes\\/search\\//],
        ["thumbnail lookup", /\\/api\\/references\\/\\?/],
        ["class panel", /\\/label\\/classes\\//],
        ["answer", /\\/api\\/rounds\\/\\d+\\/answers\\/$/],
    ];
    const out = {};
    for (const entry of performance.getEntriesByType("resource")) {
        const kind = kinds.find(([, re]) => re.test(entry.name));
        if (!kind || entry.responseEnd === 0) continue;
        (out[kind[0]] = out[kind[0]] || []).push(entry.responseEnd - entry.startTime);
    }
    performance.clearResourceTimings();
    return out;
}"""


def drive(base: str, round_id: int, confirms: int, think: float) -> tuple[list[float], dict]:
    from playwright.sync_api import sync_playwright

    resources: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/accounts/login/?next=/label/{round_id}/")
        page.fill("#id_username", USERNAME)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/label/{round_id}/")
        page.wait_for_function("() => window.LabelScreen && window.LabelScreen.ready")
        page.evaluate("() => performance.setResourceTimingBufferSize(10000)")
        box = page.get_by_role("combobox", name="Search classes")
        for i in range(confirms):
            query = QUERIES[i % len(QUERIES)]
            box.focus()
            page.keyboard.type(query, delay=90)  # a fast typist
            page.wait_for_function(
                "(q) => document.getElementById('label-results').children.length > 0"
                " && !document.getElementById('label-results').hidden",
                arg=query,
            )
            page.wait_for_timeout(150)  # let the type-ahead settle on the last keystroke
            page.keyboard.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('#label-candidate .candidate-panel') !== null"
            )
            page.wait_for_timeout(think * 1000)
            before = page.evaluate("() => (window.LabelScreen.swaps || []).length")
            page.keyboard.press("Control+Enter")
            page.wait_for_function(
                "(n) => (window.LabelScreen.swaps || []).length > n", arg=before, timeout=15_000
            )
            # The answer's response gives the image shown its item id.
            page.wait_for_function("() => document.getElementById('label-screen').dataset.item")
            for kind, values in page.evaluate(RESOURCES_JS).items():
                resources.setdefault(kind, []).extend(values)
        swaps = page.evaluate("() => window.LabelScreen.swaps")
        progress = page.evaluate(
            f"() => fetch('/api/rounds/{round_id}/progress/').then((r) => r.json())"
        )
        browser.close()
    if errors:
        raise SystemExit(f"the page raised: {errors}")
    if progress["done"] != confirms:
        raise SystemExit(f"{progress['done']} answers stored, expected {confirms}")
    return swaps, resources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--confirms", type=int, default=100)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (Dockerfile: 3)")
    parser.add_argument(
        "--think", type=float, default=0.5, help="seconds between viewing a class and confirming"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-label-screen-"))
    env = server_environment(tmp, f"sqlite:///{tmp / 'db.sqlite3'}")
    os.environ.update(env)
    server = None
    try:
        started = time.perf_counter()
        round_id = prepare(args.confirms + 1)  # one more: the last confirm shows a next image
        print(f"prepared in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "labeling.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={args.workers}",
                "--timeout=60",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        swaps, resources = drive(base, round_id, args.confirms, args.think)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    def figures(values: list[float]) -> dict:
        return {
            "n": len(values),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(percentile(values, 95), 1),
            "max_ms": round(max(values), 1),
        }

    result = {
        "confirms": args.confirms,
        "workers": args.workers,
        "think_seconds": args.think,
        "confirm_to_next_image_visible": figures(swaps),
        "target_p95_ms": TARGET_P95_MS,
        "requests": {kind: figures(values) for kind, values in sorted(resources.items())},
    }
    print(f"{'':34} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    rows = [("confirm -> next image visible", result["confirm_to_next_image_visible"])]
    rows += [(f"request: {kind}", f) for kind, f in result["requests"].items()]
    for name, f in rows:
        times = " ".join(f"{f[key]:>6.1f}ms" for key in ("p50_ms", "p95_ms", "max_ms"))
        print(f"{name:34} {f['n']:>5} {times}")
    swap = result["confirm_to_next_image_visible"]
    req = result["requests"]
    print(
        f"confirm → next image visible p50 {swap['p50_ms']} ms, p95 {swap['p95_ms']} ms "
        f"(target ≤ {TARGET_P95_MS:.0f} ms) over {swap['n']} confirms; requests p50/p95: "
        + ", ".join(f"{k} {v['p50_ms']}/{v['p95_ms']} ms" for k, v in req.items())
    )
    out = write_result("label_screen", result)
    print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)
    if swap["p95_ms"] > TARGET_P95_MS:
        sys.exit(1)


if __name__ == "__main__":
    main()
