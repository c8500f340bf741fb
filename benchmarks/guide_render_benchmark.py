"""Time to render a guide text (Markdown to sanitized HTML) as the text grows.

    .venv/bin/python benchmarks/guide_render_benchmark.py [--sizes 100000,200000,400000,800000]
        [--renderer labeling.guide.rendering:markdown_to_safe_html] [--give-up 60]

Renders texts of several shapes at each size, without the cache, and prints the CPU time of
each with the growth from one size to the next (linear rendering doubles when the text doubles;
quadratic quadruples). The shapes are the usual kinds of guide text and the inputs that made
Python-Markdown quadratic or worse. The guide takes texts up to 100,000 characters; the larger
sizes show the growth. `--renderer module:function` times another renderer with the same
signature (e.g. a copy of an older one); `--give-up` skips a shape's larger sizes once one size
took longer than that many seconds. Also times a cached read of a 100,000-character entry.
Writes benchmarks/results/guide_render.json.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "guide_render.json"
NAMES = {"n02094114": "Norfolk terrier", "n02094258": "Norwich terrier"}

SECTION = """## Ears

The **Norfolk** has *dropped* ears; unlike [[n02094258]] they fold forward. See
[the breed standard][std] or [the club](https://example.org/club "club") and `code`.

- coat: wiry, grizzled
- size: small

> Look at the ears before the coat.

| trait | Norfolk | Norwich |
|:--|:-:|--:|
| ears | drop | prick |

```text
[not a link](x)
```

[std]: https://example.org/standard "Standard"

"""
# name: (repeated unit, what it stands for). The first four are what people write.
SHAPES = {
    "guide sections": SECTION,
    "one paragraph": "word **bold** *it* [[n02094114]] `c` [link](https://example.org) ",
    "table rows": "| ears | drop | prick, **pointed** |\n",
    "list items": "- coat: *wiry*, [[n02094114]]\n",
    "`[a ` (links never closed)": "[a ",
    "`[a](` (URLs never closed)": "[a](",
    "`<a ` (HTML never closed)": "<a ",
    "`-` lines (setext headings)": "-\n",
    "`=` lines": "=\n",
    "`> ` (nested quotes)": "> ",
    "`*_` (emphasis runs)": "*_",
    "`1. ` (nested lists)": "1. ",
}


def setup_django() -> None:
    """Rendering touches no database (the class names are given): the settings as they are."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labeling.settings")
    import django

    django.setup()


def load_renderer(spec: str) -> Callable[..., str]:
    """`module:function`, the module by dotted name or by file path."""
    module_name, _, function = spec.partition(":")
    if module_name.endswith(".py"):
        loader = importlib.util.spec_from_file_location("renderer_under_test", module_name)
        assert loader is not None and loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    return getattr(module, function)


def cpu_seconds(render: Callable[..., str], text: str) -> float:
    start = time.thread_time()
    render(text, class_names=NAMES)
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,200000,400000,800000")
    parser.add_argument("--renderer", default="labeling.guide.rendering:markdown_to_safe_html")
    parser.add_argument("--give-up", type=float, default=60.0)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    setup_django()
    render = load_renderer(args.renderer)
    render("warm **up** [a](b)", class_names=NAMES)
    results: dict[str, dict[int, float | None]] = {}
    print(f"{'shape':32}" + "".join(f"{size:>16,}" for size in sizes))
    for name, unit in SHAPES.items():
        row: dict[int, float | None] = {}
        cells = []
        previous = None
        for size in sizes:
            if previous is not None and previous > args.give_up:  # or failed
                row[size] = None
                cells.append(f"{'—':>16}")
                continue
            try:
                seconds = cpu_seconds(render, (unit * (size // len(unit) + 1))[:size])
            except RecursionError:  # Python-Markdown alone, on lists nested too deep
                row[size] = None
                cells.append(f"{'RecursionError':>16}")
                previous = float("inf")
                continue
            growth = f" x{seconds / previous:.1f}" if previous else ""
            cells.append(f"{f'{seconds:.2f} s{growth}':>16}")
            row[size] = seconds
            previous = seconds
        results[name] = row
        print(f"{name:32}" + "".join(cells), flush=True)

    cached = None
    if args.renderer.endswith(":markdown_to_safe_html"):
        from django.core.cache import cache

        from labeling.guide.rendering import markdown_render

        cache.clear()
        text = (SECTION * 100)[:100_000]
        markdown_render(text, class_names=NAMES)
        start = time.thread_time()
        markdown_render(text, class_names=NAMES)
        cached = time.thread_time() - start
        print(f"cached read of a 100,000-character entry: {cached * 1000:.2f} ms")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "renderer": args.renderer,
                "machine": platform.platform(),
                "cpu_seconds": results,
                "cached_read_seconds": cached,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
