"""The lab's first start: which kernels the background warm-up compiles, in the order a student
meets them (the race's optimizer loop first, then contours, data-driven surfaces, the sweep, then
one small run of every other kind so their tabs find their kernels in the cache). Until the
surface kernels are ready the lab animates with their interpreted twins (see core/kernels.py)."""

from __future__ import annotations

import os
import sys
import threading
import time

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


def _first_of_each_kind() -> None:
    """One small run of the first course scenario of every other kind (lessons dropped, training
    cut to two epochs): their kernels land in the cache before the student opens their tabs."""
    import tomllib

    from .. import run_scenario
    from ..scenario.shipped import shipped_names, shipped_path

    done = {"surface"}
    for name in shipped_names():
        raw = tomllib.loads(shipped_path(name).read_text(encoding="utf-8"))
        if raw.get("kind") in done:
            continue
        done.add(raw.get("kind"))
        raw.pop("lesson", None)
        if raw.get("kind") == "train":
            raw.setdefault("train", {})["epochs"] = 2
        try:
            run_scenario(raw)
        except Exception:            # a scenario this cut refuses: its kernels compile on first use instead
            continue


def _train_inspector() -> None:
    """The train loop's recording variant (with the step inspector's probe), compiled ahead."""
    from .. import load_scenario
    from ..core.step_inspector import TrainInspection

    scenario = load_scenario({"title": "warm-up", "kind": "train", "data": {"name": "linear", "n": 20},
                              "model": {"name": "linear"}, "train": {"epochs": 1},
                              "optimizers": [{"name": "sgd", "lr": 0.1}]})
    TrainInspection(scenario.settings.make_trainers(scenario.seed)[0]).follow(1)


JOBS = (_race, _surfaces, _sweep)       # what this process loads once the child has compiled it
PREBUILD = JOBS + (_first_of_each_kind, _train_inspector)
_started = False


def run_jobs() -> None:
    """Every job, compiled, in this process (the warm-up's child process runs this, at a lower
    priority than the lab itself so the screen stays lively while it compiles)."""
    if hasattr(os, "nice"):
        os.nice(10)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()
    for job in PREBUILD:
        job()


def _end_with_parent(parent: int) -> None:
    """The child stops when the lab is gone, however the lab ended (its cache files are written whole)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def warm_up() -> None:
    """Start the background warm-up (once per process): a child process compiles into Numba's
    cache, then this process loads the kernels from it."""
    global _started
    if not _started:
        from ..core.kernels import start_warm_up

        _started = True
        start_warm_up(JOBS, [sys.executable, "-c", "from tui_lab.app.warm_up import run_jobs; run_jobs()"])
