"""Timing helper shared by `tui-lab bench` and the measures each lab area registers with it."""

from __future__ import annotations

import time


def best_time(fn, repeat: int) -> float:
    """Seconds of the fastest of `repeat` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
