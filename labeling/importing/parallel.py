"""Process pools for the CPU-bound part of an import (decoding, hashing, rendering thumbnails)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a process pool costs more than it saves.
PARALLEL_MIN_ITEMS = 32


def worker_count() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def make_pool(items: int, workers: int | None) -> Executor | None:
    """A process pool for `items` pieces of work, or None to work in-process.

    Processes, not threads: the work is CPU-bound, and some of it (Pillow's decompression-bomb
    check in image_inspect) changes the process-wide warning filters, which is not thread-safe.
    Forked workers inherit the settings (also a test's overrides); they must never touch the
    database. The caller shuts the pool down.
    """
    workers = worker_count() if workers is None else workers
    if workers < 2 or items < PARALLEL_MIN_ITEMS:
        return None
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"))


def pool_map(pool: Executor | None, func: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """`func` over `items` in order: in the pool's processes, or here when there is no pool."""
    if pool is None:
        return map(func, items)
    return pool.map(func, items, chunksize=8)
