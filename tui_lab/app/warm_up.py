"""The lab's first start: which kernels the background warm-up compiles, in the order a student
meets them (the race's optimizer loop first, then contours, data-driven surfaces, the sweep, then
one small run of every other kind so their tabs find their kernels in the cache). Until then
every tab runs on the kernels' interpreted twins (see core/kernels.py). The cache lives in a
folder keyed by the core's sources (`use_keyed_cache`), so a changed core never loads a stale kernel."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

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
    """The train loops' recording variants (MLP and CNN, with the step inspector's probe), compiled ahead."""
    from .. import load_scenario
    from ..core.step_inspector import TrainInspection

    for data, model in (({"name": "linear", "n": 20}, {"name": "linear"}),
                        ({"name": "shapes", "n": 20}, {"name": "cnn", "conv": [2], "hidden": []})):
        scenario = load_scenario({"title": "warm-up", "kind": "train", "data": data, "model": model,
                                  "train": {"epochs": 1}, "optimizers": [{"name": "sgd", "lr": 0.1}]})
        TrainInspection(scenario.settings.make_trainers(scenario.seed)[0]).follow(1)


JOBS = (_race, _surfaces, _sweep)       # what this process loads once the child has compiled it
PREBUILD = JOBS + (_first_of_each_kind, _train_inspector)
_started = False
FIRST_FRAME = threading.Event()     # set by the lab at its first frame: cached kernels load after it


def run_jobs() -> None:
    """Every job, compiled, in this process (the warm-up's child process runs this, at a lower
    priority than the lab itself so the screen stays lively while it compiles)."""
    from .lifeline import end_with_parent

    if hasattr(os, "nice"):
        os.nice(10)
    end_with_parent()
    for job in PREBUILD:
        job()


CORE = Path(__file__).resolve().parent.parent / "core"     # every kernel of the lab lives here
KEEP_UNUSED_S = 86400                                     # cache folders of other keys older than this go


def use_keyed_cache() -> str | None:
    """Point Numba's cache at a folder named by `core_key()`, unless NUMBA_CACHE_DIR is set
    already; returns the folder (None: Numba's own places, as before).

    Numba checks a cached kernel only against its own file: a kernel that calls (or inlines) a
    kernel of another file that has changed since, e.g. after an upgrade or an edit of models.py,
    is loaded stale and can crash the process. Under a key of all the sources, any change starts
    an empty folder instead, which the first-start machinery fills in the background. Folders of
    other keys unused for a day are removed. Must run before Numba is imported; costs ~15 ms."""
    import shutil

    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    key = core_key(CORE)
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tui-lab" / "numba"
        folder = base / key
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)                                # in use: kept by the pruning below
        others = [other for other in base.iterdir() if other != folder]
    except (OSError, RuntimeError):                     # no home, or not writable
        return None
    for other in others:
        try:
            if time.time() - other.stat().st_mtime > KEEP_UNUSED_S:
                shutil.rmtree(other, ignore_errors=True)
        except OSError:
            pass
    os.environ["NUMBA_CACHE_DIR"] = str(folder)        # the warm-up's child inherits it
    return str(folder)


def core_key(core: Path) -> str:
    """A hash of every source file under `core`, the Numba install and the Python version."""
    import hashlib
    from importlib.util import find_spec

    numba = find_spec("numba")                          # found without importing it (that takes 0.4 s)
    # Numba's own file stands for its version: an upgrade rewrites it
    stamp = f"{numba.origin} {os.stat(numba.origin).st_mtime_ns}" if numba and numba.origin else ""
    digest = hashlib.sha256(f"{stamp} {sys.version}".encode())
    for path in sorted(core.rglob("*.py")):
        digest.update(str(path.relative_to(core)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def warm_up() -> None:
    """Start the background warm-up (once per process): a child process compiles into Numba's
    cache, then this process loads the kernels from it, after the lab's first frame."""
    global _started
    if not _started:
        from ..core.kernels import start_warm_up

        _started = True
        start_warm_up(JOBS, [sys.executable, "-c", "from tui_lab.app.warm_up import run_jobs; run_jobs()"],
                      load_after=FIRST_FRAME)
