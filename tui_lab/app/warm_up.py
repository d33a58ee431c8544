"""The lab's first start: which kernels the background warm-up compiles, in the order a student
meets them (the race's optimizer loop first, then contours, data-driven surfaces, the sweep).
Until each is ready the lab animates with its interpreted twin (see core/kernels.py)."""

from __future__ import annotations

import sys

import numpy as np


def _race() -> None:
    from ..core.optim import Optimizer
    from ..core.surface_run import SurfaceRun
    from ..core.surfaces import Surface

    SurfaceRun(Surface.build("rosenbrock"), Optimizer("adam", {})).advance(1)   # every family's loop at once


def _surfaces() -> None:
    from ..core.surfaces import Surface

    for name in ("rosenbrock", "linreg"):
        surface = Surface.build(name)
        surface.grid(4, 4)
        surface.value_grad(0.0, 0.0)


def _sweep() -> None:
    from ..core.optim import Optimizer
    from ..core.surface_run import SurfaceRun, sweep
    from ..core.surfaces import Surface

    run = SurfaceRun(Surface.build("rosenbrock"), Optimizer("sgd", {"lr": 1e-3}))
    sweep(run, "lr", np.array([1e-3]), "momentum", np.array([0.0]), 1)


JOBS = (_race, _surfaces, _sweep)
_started = False


def run_jobs() -> None:
    """The jobs, compiled, in this process (the warm-up's child process runs this)."""
    for job in JOBS:
        job()


def warm_up() -> None:
    """Start the background warm-up (once per process): a child process compiles into Numba's
    cache, then this process loads the kernels from it."""
    global _started
    if not _started:
        from ..core.kernels import start_warm_up

        _started = True
        start_warm_up(JOBS, [sys.executable, "-c", "from tui_lab.app.warm_up import run_jobs; run_jobs()"])
