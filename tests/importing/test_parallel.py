"""Many items are worked on by a pool of processes, few in this process; results keep the order."""

from __future__ import annotations

import os

from labeling.importing.parallel import PARALLEL_MIN_ITEMS, make_pool, pool_map


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def test_few_items_or_one_worker_are_worked_on_in_this_process():
    assert make_pool(PARALLEL_MIN_ITEMS - 1, workers=4) is None
    assert make_pool(1000, workers=1) is None
    results = list(pool_map(None, square_and_pid, range(5)))
    assert results == [(n * n, os.getpid()) for n in range(5)]


def test_many_items_go_to_worker_processes_and_come_back_in_order():
    items = list(range(PARALLEL_MIN_ITEMS * 2))
    pool = make_pool(len(items), workers=2)
    assert pool is not None
    try:
        results = list(pool_map(pool, square_and_pid, items))
    finally:
        pool.shutdown()
    assert [square for square, _ in results] == [n * n for n in items]
    assert os.getpid() not in {pid for _, pid in results}
