"""Surfaces (formulas, gradients, minima) and the semantics of a surface run."""

import math

import numpy as np
import pytest

import tui_lab
from tui_lab.core.optim import Optimizer
from tui_lab.core.surface_run import SurfaceRun, sweep
from tui_lab.core.surfaces import SURFACES, Surface

FORMULAS = {   # the spec's formulas, written out independently of the kernels
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2,
    "himmelblau": lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "rastrigin": lambda x, y: 20 + x * x - 10 * math.cos(2 * math.pi * x) + y * y - 10 * math.cos(2 * math.pi * y),
    "ackley": lambda x, y: (-20 * math.exp(-0.2 * math.sqrt(0.5 * (x * x + y * y)))
                            - math.exp(0.5 * (math.cos(2 * math.pi * x) + math.cos(2 * math.pi * y))) + math.e + 20),
    "quadratic": lambda x, y: 0.5 * (x * x + 10 * y * y),
    "saddle": lambda x, y: x * x - y * y,
    "goldstein_price": lambda x, y: ((1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y))
                                     * (30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y
                                                                      + 27 * y * y))),
    "styblinski_tang": lambda x, y: 0.5 * (x ** 4 - 16 * x * x + 5 * x + y ** 4 - 16 * y * y + 5 * y),
}


def test_every_spec_surface_exists():
    assert set(SURFACES) == set(FORMULAS) | {"linreg"}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_value_matches_formula_and_gradient_matches_finite_differences(name):
    surface = Surface.build(name)
    x0, x1, y0, y1 = surface.window()
    rng = np.random.default_rng(1)
    for x, y in zip(rng.uniform(x0, x1, 25), rng.uniform(y0, y1, 25)):
        f, gx, gy = surface.value_grad(x, y)
        assert f == pytest.approx(FORMULAS[name](x, y), rel=1e-12, abs=1e-12)
        h = 1e-6
        fd_x = (FORMULAS[name](x + h, y) - FORMULAS[name](x - h, y)) / (2 * h)
        fd_y = (FORMULAS[name](x, y + h) - FORMULAS[name](x, y - h)) / (2 * h)
        scale = 1 + abs(f)
        assert gx == pytest.approx(fd_x, rel=1e-6, abs=1e-6 * scale)
        assert gy == pytest.approx(fd_y, rel=1e-6, abs=1e-6 * scale)


@pytest.mark.parametrize("name", sorted(set(SURFACES) - {"saddle"}))
def test_known_minima_are_stationary_and_lowest_on_the_grid(name):
    surface = Surface.build(name, seed=3)
    xs, ys, grid = surface.grid(201, 201)
    for mx, my in surface.minima():
        f, gx, gy = surface.value_grad(mx, my)
        assert abs(gx) < 1e-6 and abs(gy) < 1e-6
        assert f <= grid.min() + 1e-9


def test_goldstein_price_minimum_value_is_three():
    assert Surface.build("goldstein_price").value_grad(0.0, -1.0)[0] == pytest.approx(3.0)


def test_surface_parameters_change_the_function():
    s = Surface.build("rosenbrock", {"a": 2.0, "b": 10.0})
    assert s.value_grad(0.0, 0.0)[0] == 4.0
    assert s.minima() == [[2.0, 4.0]]


def test_linreg_loss_is_the_mse_of_its_data_and_the_minimum_is_least_squares():
    s = Surface.build("linreg", seed=5, n=50, noise=0.3)
    w, b = 0.7, -0.2
    f, gw, gb = s.value_grad(w, b)
    r = w * s.data_x + b - s.data_y
    assert f == pytest.approx(np.mean(r * r), rel=1e-12)
    assert gw == pytest.approx(2 * np.mean(r * s.data_x), rel=1e-12)
    assert gb == pytest.approx(2 * np.mean(r), rel=1e-12)
    (mw, mb), = s.minima()
    sol = np.linalg.lstsq(np.column_stack([s.data_x, np.ones(50)]), s.data_y, rcond=None)[0]
    assert (mw, mb) == pytest.approx(tuple(sol))


def surface_scenario(**run):
    return {"title": "t", "kind": "surface", "surface": {"name": "rosenbrock"}, "run": run,
            "optimizers": [{"name": "adam", "lr": 0.05}, {"name": "sgd", "lr": 0.05}]}


def test_trajectory_semantics_and_divergence():
    result = tui_lab.run_scenario(surface_scenario(steps=300))
    adam, sgd = result["runs"]
    assert adam["trajectory"].shape == (301, 2) and len(adam["loss"]) == 301
    assert list(adam["trajectory"][0]) == [-1.5, 2.0]
    assert adam["steps"] == 300 and not adam["diverged"] and adam["diverged_at"] is None
    assert adam["final_loss"] == adam["loss"][-1]
    # SGD with lr 0.05 on Rosenbrock blows up: marked, trajectory ends at the last finite point
    assert sgd["diverged"]
    k = sgd["diverged_at"]
    assert len(sgd["trajectory"]) == k and sgd["steps"] == k - 1
    assert np.all(np.isfinite(sgd["trajectory"])) and np.all(np.isfinite(sgd["loss"]))
    # the next step really is non-finite
    opt = Optimizer("sgd", {"lr": 0.05})
    run = SurfaceRun(Surface.build("rosenbrock"), opt)
    run.advance(k - 1)
    p = run.point.copy()
    f, gx, gy = run.surface.value_grad(*p)
    nxt = p - 0.05 * np.array([gx, gy])
    assert not (np.all(np.isfinite(nxt)) and np.isfinite(Surface.build("rosenbrock").value_grad(*nxt)[0]))


def test_same_seed_same_bits_and_chunks_equal_one_run():
    scenario = {"title": "t", "kind": "surface", "seed": 11, "surface": {"name": "linreg"},
                "run": {"steps": 120, "batch_size": 7, "grad_noise": 0.3, "l1": 0.01, "l2": 0.02},
                "data": {"n": 40, "noise": 0.4}, "optimizers": [{"name": "momentum", "lr": 0.01}]}
    a, b = tui_lab.run_scenario(scenario), tui_lab.run_scenario(scenario)
    assert a["runs"][0]["trajectory"].tobytes() == b["runs"][0]["trajectory"].tobytes()
    other_seed = tui_lab.run_scenario({**scenario, "seed": 12})
    assert not np.array_equal(a["runs"][0]["trajectory"], other_seed["runs"][0]["trajectory"])
    settings = tui_lab.load_scenario(scenario).settings
    run = settings.make_runs(11)[0]
    parts = [run.advance(k)[0] for k in (1, 50, 69)]
    chunked = np.vstack([parts[0]] + [p[1:] for p in parts[1:]])
    assert chunked.tobytes() == a["runs"][0]["trajectory"].tobytes()


def test_minibatch_gradient_is_the_batch_mean_and_full_batch_is_deterministic_descent():
    s = Surface.build("linreg", seed=2, n=10, noise=0.5)
    full = SurfaceRun(s, Optimizer("sgd", {"lr": 0.1}))
    traj, _ = full.advance(1)
    _, gw, gb = s.value_grad(*s.start)
    assert traj[1] == pytest.approx([s.start[0] - 0.1 * gw, s.start[1] - 0.1 * gb])
    # batch size 10 of 10 points is the full batch; batch size 1 visits each point once per epoch
    one = SurfaceRun(s, Optimizer("sgd", {"lr": 0.1}), batch_size=1)
    p = np.array(s.start)
    traj, _ = one.advance(10)
    used = []
    for k in range(10):
        step = (p - traj[k + 1]) / 0.1   # the gradient that was used
        r = step[1] / 2.0                # d/db of (w x + b - y)^2 is 2 r
        matches = [i for i in range(10) if abs(2 * r * s.data_x[i] - step[0]) < 1e-9
                   and abs(p[0] * s.data_x[i] + p[1] - s.data_y[i] - r) < 1e-9]
        assert len(matches) == 1
        used.append(matches[0])
        p = traj[k + 1]
    assert sorted(used) == list(range(10))


def test_l1_l2_penalties_enter_loss_and_gradient():
    s = Surface.build("quadratic")
    run = SurfaceRun(s, Optimizer("sgd", {"lr": 0.1}), l1=0.5, l2=0.2)
    traj, loss = run.advance(1)
    x, y = s.start
    assert loss[0] == pytest.approx(0.5 * (x * x + 10 * y * y) + 0.1 * (x * x + y * y) + 0.5 * (abs(x) + abs(y)))
    gx = x + 0.2 * x + 0.5 * np.sign(x)
    gy = 10 * y + 0.2 * y + 0.5 * np.sign(y)
    assert traj[1] == pytest.approx([x - 0.1 * gx, y - 0.1 * gy])


def test_gradient_noise_has_the_requested_spread():
    s = Surface.build("quadratic", start=(0.0, 0.0))
    run = SurfaceRun(s, Optimizer("sgd", {"lr": 0.1}), grad_noise=0.5)
    # each SGD step is -lr (H p + noise), so the noise can be read back off the trajectory
    traj, _ = run.advance(4000)
    assert not run.diverged
    h = np.array([1.0, 10.0])
    noise = -(traj[1:] - traj[:-1]) / 0.1 - h * traj[:-1]
    assert np.std(noise) == pytest.approx(0.5, rel=0.05)
    assert abs(np.mean(noise)) < 0.03


def test_sweep_cells_equal_single_runs():
    s = Surface.build("rosenbrock")
    base = SurfaceRun(s, Optimizer("sgd", {"lr": 1e-3, "momentum": 0.5}))
    lrs, moms = np.array([1e-4, 1e-3, 5e-3]), np.array([0.0, 0.9])
    res = sweep(base, "lr", lrs, "momentum", moms, 200, target=1.0)
    for i, lr in enumerate(lrs):
        for j, mom in enumerate(moms):
            run = SurfaceRun(s, Optimizer("sgd", {"lr": lr, "momentum": mom}))
            _, loss = run.advance(200)
            expected = math.inf if run.diverged else loss[-1]
            assert res["final_loss"][i, j] == expected
            below = np.nonzero(loss <= 1.0)[0]
            assert res["steps_to_target"][i, j] == (below[0] if below.size else -1)
    assert np.isinf(res["final_loss"]).any() and np.isfinite(res["final_loss"]).any()
