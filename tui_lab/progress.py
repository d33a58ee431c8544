"""How far a long headless computation has got: the kinds' loops report, `tui-lab run` shows it.

The loops run in chunks and call `expect` once (the whole amount of work) and `advance` after each
chunk. Reporting is two integer updates, so it costs nothing when nobody shows it (the API, the app).
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_state = {"done": 0, "total": 0, "unit": ""}


def reset() -> None:
    with _lock:
        _state.update(done=0, total=0, unit="")


def expect(total: int, unit: str) -> None:
    """More work is coming: `total` units (steps, epochs, fits...)."""
    with _lock:
        _state["total"] += int(total)
        _state["unit"] = _state["unit"] or unit


def advance(done: int) -> None:
    with _lock:
        _state["done"] += int(done)


def snapshot() -> tuple[int, int, str]:
    """(done, total, unit) so far."""
    with _lock:
        return _state["done"], _state["total"], _state["unit"]


def chunks(total: int, unit: str, *, first: int = 16, seconds: float = 0.1, expected: bool = False):
    """Chunk sizes that add up to `total`, each aimed at about `seconds` of work (timed while the
    caller works on it), reported as done after each. A loop that runs its compiled kernel chunk by
    chunk answers Ctrl-C between chunks even on the main thread. `expected`: total already announced."""
    if not expected:
        expect(total, unit)
    left, size = int(total), max(1, first)
    while left > 0:
        n = min(size, left)
        start = time.perf_counter()
        yield n
        elapsed = time.perf_counter() - start
        advance(n)
        left -= n
        size = max(1, min(4 * n, int(n * seconds / elapsed))) if elapsed > 0 else 4 * n
