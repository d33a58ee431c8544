"""Trajectories from run_scenario against a torch.optim loop (zero_grad, backward, step) on
the same surface, float64, 150 steps. Skipped when torch is not installed."""

import math

import numpy as np
import pytest

import tui_lab

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def float64_torch():
    """The lab computes in float64. torch keeps some scalar state (NAdam's mu product) in its
    default dtype, so the like-for-like comparison is torch with float64 as the default."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)

TORCH_SURFACES = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
    "himmelblau": lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2,
    "quadratic": lambda x, y: 0.5 * (x ** 2 + 10 * y ** 2),
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "beale": lambda x, y: ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2),
    "styblinski_tang": lambda x, y: 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x + y ** 4 - 16 * y ** 2 + 5 * y),
    "rastrigin": lambda x, y: (20 + x ** 2 - 10 * torch.cos(2 * math.pi * x) + y ** 2 - 10 * torch.cos(2 * math.pi * y)),
}
TORCH_CLASSES = {"sgd": "SGD", "momentum": "SGD", "nag": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta",
                 "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax", "nadam": "NAdam",
                 "radam": "RAdam"}
# Per surface a scale for the learning rate, so every run stays in a well-conditioned regime.
LR_SCALE = {"rosenbrock": 0.1, "himmelblau": 0.3, "quadratic": 1.0, "booth": 0.5, "beale": 0.2,
            "styblinski_tang": 0.3, "rastrigin": 0.1}

CASES = [
    ("sgd", {"lr": 0.002}),
    ("sgd", {"lr": 0.001, "momentum": 0.8, "dampening": 0.2, "weight_decay": 0.05}),
    ("momentum", {"lr": 0.001}),
    ("nag", {"lr": 0.001, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.2, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adadelta", {"lr": 1.0, "rho": 0.95}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("rmsprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01, "betas": [0.8, 0.99]}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}),
    ("adamax", {"lr": 0.05}),
    ("nadam", {"lr": 0.05, "momentum_decay": 0.01}),
    ("radam", {"lr": 0.05, "weight_decay": 0.01}),
]


def torch_trajectory(surface, start, name, hyper, steps):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    kwargs = dict(hyper)
    if name == "momentum":
        kwargs.setdefault("momentum", 0.9)
    if name == "nag":
        kwargs.setdefault("momentum", 0.9)
        kwargs.setdefault("nesterov", True)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    opt = getattr(torch.optim, TORCH_CLASSES[name])([p], **kwargs)
    points, losses = [p.detach().clone().numpy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = TORCH_SURFACES[surface](p[0], p[1])
        loss.backward()
        losses.append(loss.item())
        opt.step()
        points.append(p.detach().clone().numpy())
    return np.array(points), np.array(losses)


@pytest.mark.parametrize("surface", sorted(TORCH_SURFACES))
@pytest.mark.parametrize("name,hyper", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch_optim(surface, name, hyper):
    hyper = {**hyper, "lr": hyper["lr"] * LR_SCALE[surface]} if name != "adadelta" else hyper
    scenario = {"title": "t", "kind": "surface", "surface": {"name": surface}, "run": {"steps": 150},
                "optimizers": [{"name": name, **hyper}]}
    result = tui_lab.run_scenario(scenario)
    run = result["runs"][0]
    assert not run["diverged"]
    expected, losses = torch_trajectory(surface, result["surface"]["start"], name, hyper, 150)
    np.testing.assert_allclose(run["trajectory"], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(run["loss"][:-1], losses, rtol=1e-9, atol=1e-12)
