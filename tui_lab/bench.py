"""`tui-lab bench`: the figures of SPEC section 4, each beside its reference.

A measure is a function (quick: bool) -> (figures, references) where figures maps spec names
to numbers and references maps "numpy" / "torch" to the same names measured on that library.
Each lab area adds its measures to MEASURES.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from .output import table, write_atomic


def best_time(fn, repeat: int) -> float:
    """Seconds of the fastest of `repeat` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def measure_optimizer_steps(quick: bool) -> tuple[dict, dict]:
    """2-D Adam steps on Rosenbrock through run_scenario, trajectory recorded, one thread."""
    from . import run_scenario
    from .core.surfaces import value_grad

    steps = 200_000 if quick else 2_000_000
    scenario = {"title": "bench", "kind": "surface", "surface": {"name": "rosenbrock"},
                "run": {"steps": steps}, "optimizers": [{"name": "adam", "lr": 0.01}]}
    ours = steps / best_time(lambda: run_scenario(scenario), 1 if quick else 3)

    ref_steps = 2_000 if quick else 20_000
    prm = np.array([1.0, 100.0])

    def numpy_adam():
        p = np.array([-1.5, 2.0]); m = np.zeros(2); v = np.zeros(2); traj = np.empty((ref_steps + 1, 2))
        traj[0] = p
        for t in range(1, ref_steps + 1):
            _, gx, gy = value_grad.py_func(0, p[0], p[1], prm)
            g = np.array([gx, gy])
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            p = p - 0.01 / (1 - 0.9 ** t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + 1e-8)
            traj[t] = p
    refs = {"numpy": {"optimizer_steps_per_s": ref_steps / best_time(numpy_adam, 1)}}
    if have_torch():
        import torch

        def torch_adam():
            p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
            opt = torch.optim.Adam([p], lr=0.01)
            traj = []
            for _ in range(ref_steps):
                opt.zero_grad()
                loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
                loss.backward()
                opt.step()
                traj.append(p.detach().clone())
        refs["torch"] = {"optimizer_steps_per_s": ref_steps / best_time(torch_adam, 1)}
    return {"optimizer_steps_per_s": ours}, refs


def measure_sweep(quick: bool) -> tuple[dict, dict]:
    """Learning-rate x momentum sweep of SGD on Rosenbrock, 300 steps a run, all cores."""
    from .core.optim import Optimizer
    from .core.surface_run import SurfaceRun, sweep
    from .core.surfaces import Surface

    side = 16 if quick else 48
    run = SurfaceRun(Surface.build("rosenbrock"), Optimizer("sgd", {"lr": 1e-3, "momentum": 0.5}))
    lrs, moms = np.logspace(-5, -2, side), np.linspace(0.0, 0.99, side)
    ours = side * side / best_time(lambda: sweep(run, "lr", lrs, "momentum", moms, 300), 3)

    def numpy_sweep():
        for lr in lrs[:4]:
            for mom in moms[:4]:
                p = np.array([-1.5, 2.0]); b = np.zeros(2)
                for _ in range(300):
                    x, y = p
                    g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
                    b = mom * b + g
                    p = p - lr * b
    return {"sweep_runs_per_s": ours}, {"numpy": {"sweep_runs_per_s": 16 / best_time(numpy_sweep, 1)}}


MEASURES = [measure_optimizer_steps, measure_sweep]


def run_bench(json_path: str | None, quick: bool = False) -> int:
    figures: dict = {}
    references: dict = {}
    for measure in MEASURES:
        ours, refs = measure(quick)
        figures.update(ours)
        for lib, values in refs.items():
            references.setdefault(lib, {}).update(values)
    rows = []
    for name, value in figures.items():
        row = [name, value]
        for lib in ("numpy", "torch"):
            ref = references.get(lib, {}).get(name)
            row.append(ref)
        rows.append(row)
    result = {**figures, "reference": references}
    if json_path == "-":
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    print(table(["figure", "tui-lab", "numpy", "torch"], rows))
    if json_path:
        write_atomic(Path(json_path), json.dumps(result, indent=2) + "\n")
    return 0
