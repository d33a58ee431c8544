"""`tui-lab bench`: the performance figures, each beside its reference.

A measure is a function (quick: bool) -> (figures, references) where figures maps spec names
to numbers and references maps "numpy" / "torch" to the same names measured on that library.
Each lab area adds its measures to MEASURES.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .app.measures import measure_frame, measure_startup
from .cnn_bench import measure_cnn_epochs
from .i18n import tr
from .practice_bench import measure_practice
from .output import table, write_atomic
from .timing import best_time


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
    from .limits import MAX_STEPS

    steps = 200_000 if quick else MAX_STEPS
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


def measure_train_epochs(quick: bool) -> tuple[dict, dict]:
    """Epochs per second of a 2-16-16-1 tanh MLP on 300 moons points, batch 32, Adam (per-epoch
    evaluation included in ours); the references are plain training loops of the same model."""
    from .core.datasets import make_dataset
    from .core.models import Model
    from .core.optim import Optimizer
    from .core.train import TrainConfig, Trainer

    epochs = 200 if quick else 2000
    data = make_dataset("moons", 300, 0.1, 0)
    model = Model("mlp", 2, 2, hidden=(16, 16))
    splits = (np.arange(300), np.arange(0), np.arange(0))
    trainer = Trainer(data, splits, model, Optimizer("adam", {"lr": 0.01}), TrainConfig(epochs=epochs, batch_size=32))

    def ours_run():
        trainer.reset()
        trainer.run()
    ours = epochs / best_time(ours_run, 1 if quick else 3)

    ref_epochs = 5 if quick else 30
    x, y = data.x, data.y[:, None]
    init = model.init_params("xavier", 0)
    shapes = [(2, 16), (16,), (16, 16), (16,), (16, 1), (1,)]
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    layers = [init[offsets[i]:offsets[i + 1]].reshape(s).copy() for i, s in enumerate(shapes)]

    def numpy_epochs():
        p = [a.copy() for a in layers]
        m = [np.zeros_like(a) for a in p]
        v = [np.zeros_like(a) for a in p]
        rng = np.random.default_rng(0)
        t = 0
        for _ in range(ref_epochs):
            order = rng.permutation(300)
            for start in range(0, 300, 32):
                b = order[start:start + 32]
                h1 = np.tanh(x[b] @ p[0] + p[1])
                h2 = np.tanh(h1 @ p[2] + p[3])
                z = h2 @ p[4] + p[5]
                dz = (1.0 / (1.0 + np.exp(-z)) - y[b]) / len(b)
                d2 = (dz @ p[4].T) * (1 - h2 * h2)
                d1 = (d2 @ p[2].T) * (1 - h1 * h1)
                grads = [x[b].T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ dz, dz.sum(0)]
                t += 1
                for a, g, ma, va in zip(p, grads, m, v):
                    ma[...] = 0.9 * ma + 0.1 * g
                    va[...] = 0.999 * va + 0.001 * g * g
                    a -= 0.01 / (1 - 0.9 ** t) * ma / (np.sqrt(va) / np.sqrt(1 - 0.999 ** t) + 1e-8)
    refs = {"numpy": {"train_epochs_per_s": ref_epochs / best_time(numpy_epochs, 1)}}
    if have_torch():
        import torch

        def torch_epochs():
            net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16),
                                      torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
            opt = torch.optim.Adam(net.parameters(), lr=0.01)
            loss_fn = torch.nn.BCEWithLogitsLoss()
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            gen = torch.Generator().manual_seed(0)
            for _ in range(ref_epochs):
                order = torch.randperm(300, generator=gen)
                for start in range(0, 300, 32):
                    b = order[start:start + 32]
                    opt.zero_grad()
                    loss = loss_fn(net(tx[b]), ty[b])
                    loss.backward()
                    opt.step()
        threads = torch.get_num_threads()
        torch.set_num_threads(1)     # small tensors: one thread is torch's fastest setting
        try:
            refs["torch"] = {"train_epochs_per_s": ref_epochs / best_time(torch_epochs, 1 if quick else 3)}
        finally:
            torch.set_num_threads(threads)
    return {"train_epochs_per_s": ours}, refs


def measure_conv(quick: bool) -> tuple[dict, dict]:
    """Microseconds for conv2d forward + backward (input, kernel and bias gradients): 1x3x32x32 input,
    8x3x3x3 kernels, padding 1, float64 everywhere; torch runs F.conv2d with autograd."""
    from .core.conv import Conv, reference_backward, reference_forward

    rng = np.random.default_rng(0)
    conv = Conv(rng.normal(size=(3, 32, 32)), rng.normal(size=(8, 3, 3, 3)), rng.normal(size=8), padding=(1, 1, 1, 1))
    grad = rng.normal(size=(8, 32, 32))

    def ours_pass():
        conv.forward()
        conv.backward(grad)

    def numpy_pass():
        reference_forward(conv)
        reference_backward(conv, grad)
    repeat = 200 if quick else 1000      # a pass is ~0.1 ms; torch needs many calls to reach its best
    refs = {"numpy": {"conv2d_fwd_bwd_us": 1e6 * best_time(numpy_pass, repeat // 20)}}
    if have_torch():
        import torch
        import torch.nn.functional as F

        x = torch.tensor(conv.x[None], requires_grad=True)
        w = torch.tensor(conv.kernel, requires_grad=True)
        b = torch.tensor(conv.bias, requires_grad=True)
        g = torch.tensor(grad[None])

        def torch_pass():
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b, padding=1).backward(g)
        refs["torch"] = {"conv2d_fwd_bwd_us": 1e6 * best_time(torch_pass, repeat)}
    return {"conv2d_fwd_bwd_us": 1e6 * best_time(ours_pass, repeat)}, refs


MEASURES = [measure_optimizer_steps, measure_sweep, measure_train_epochs, measure_frame, measure_startup, measure_conv,
            measure_cnn_epochs, measure_practice]


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
    print(table([tr("figure"), "tui-lab", "numpy", "torch"], rows))     # figure names are the JSON keys
    if json_path:
        write_atomic(Path(json_path), json.dumps(result, indent=2) + "\n")
    return 0
