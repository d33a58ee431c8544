"""The Inspect step view's numbers, for every optimizer and every option.

Each displayed intermediate is compared with this file's own computation of the published
update rule (run alongside from step 1, fed the gradient of the analytic surface), and the
displayed W_{t+1} with the headless run's trajectory, bit for bit."""

import copy
import math

import numpy as np
import pytest

import tui_lab
from tui_lab.core.optim import Optimizer
from tui_lab.core.optim.explain import fmt
from tui_lab.core.step_inspector import SurfaceInspection
from tui_lab.core.surface_run import SurfaceRun
from tui_lab.core.surfaces import Surface

A, B = 1.0, 100.0


def rosenbrock_grad(w):
    x, y = w
    return np.array([-2 * (A - x) - 4 * B * x * (y - x * x), 2 * B * (y - x * x)])


def coupled_decay(h, g, w, expected):
    """torch's L2 weight decay, g <- g + λ W, shown as its own line when λ is not 0."""
    if h["weight_decay"]:
        g = g + h["weight_decay"] * w
        expected["g_decay"] = g
    return g


class Reference:
    """One optimizer's published rule, step by step, producing every quantity the view shows."""

    def __init__(self, name, h):
        self.name, self.h = name, h
        self.s = {}

    def step(self, t, w, g):
        h, s, e = self.h, self.s, {}
        zeros = np.zeros(2)
        e["g"] = g.copy()
        fam = self.name
        if fam in ("sgd", "momentum", "nag"):
            g = coupled_decay(h, g, w, e)
            d = g
            if h["momentum"]:
                a = g.copy() if t == 1 else h["momentum"] * s["a"] + (1 - h["dampening"]) * g
                s["a"] = e["a"] = a
                d = g + h["momentum"] * a if h["nesterov"] else a
                if h["nesterov"]:
                    e["d"] = d
            e["W_next"] = w - h["lr"] * d
        elif fam == "adagrad":
            g = coupled_decay(h, g, w, e)
            eta = h["lr"] / (1 + (t - 1) * h["lr_decay"])
            if h["lr_decay"]:
                e["eta"] = eta
            G = s.get("G", np.full(2, h["initial_accumulator_value"])) + g * g
            s["G"] = e["G"] = G
            e["W_next"] = w - eta * g / (np.sqrt(G) + h["eps"])
        elif fam == "adadelta":
            g = coupled_decay(h, g, w, e)
            rho, eps = h["rho"], h["eps"]
            G = rho * s.get("G", zeros) + (1 - rho) * g * g
            dw = np.sqrt(s.get("H", zeros) + eps) / np.sqrt(G + eps) * g
            H = rho * s.get("H", zeros) + (1 - rho) * dw * dw
            s["G"], s["H"] = G, H
            e.update(G=G, dW=dw, H=H, W_next=w - h["lr"] * dw)
        elif fam == "rmsprop":
            g = coupled_decay(h, g, w, e)
            al, eps = h["alpha"], h["eps"]
            G = al * s.get("G", zeros) + (1 - al) * g * g
            s["G"] = e["G"] = G
            if h["centered"]:
                gbar = al * s.get("gbar", zeros) + (1 - al) * g
                s["gbar"] = e["gbar"] = gbar
                denom = np.sqrt(G - gbar * gbar) + eps
            else:
                denom = np.sqrt(G) + eps
            e["denom"] = denom
            if h["momentum"]:
                b = h["momentum"] * s.get("b", zeros) + g / denom
                s["b"] = e["b"] = b
                e["W_next"] = w - h["lr"] * b
            else:
                e["W_next"] = w - h["lr"] * g / denom
        elif fam in ("adam", "adamw", "nadam", "radam"):
            b1, b2 = h["betas"]
            lr, wd, eps = h["lr"], h["weight_decay"], h["eps"]
            if wd:
                if h.get("decoupled_weight_decay"):
                    w = w * (1 - lr * wd)
                    e["W_decay"] = w
                else:
                    g = g + wd * w
                    e["g_decay"] = g
            m = b1 * s.get("m", zeros) + (1 - b1) * g
            v = b2 * s.get("v", zeros) + (1 - b2) * g * g
            s["m"], s["v"] = m, v
            e.update(m=m, v=v)
            if fam in ("adam", "adamw"):
                e["m_hat"] = m / (1 - b1 ** t)
                vv = v
                if h["amsgrad"]:
                    vv = np.maximum(s.get("vmax", zeros), v)
                    s["vmax"] = e["v_max"] = vv
                e["v_hat"] = vv / (1 - b2 ** t)
                e["W_next"] = w - lr * e["m_hat"] / (np.sqrt(e["v_hat"]) + eps)
            elif fam == "nadam":
                mu = lambda k: b1 * (1 - 0.5 * 0.96 ** (k * h["momentum_decay"]))  # noqa: E731
                prod = math.prod(mu(k) for k in range(1, t + 1))
                e.update(mu=mu(t), mu_next=mu(t + 1), prod=prod)
                e["denom"] = np.sqrt(v / (1 - b2 ** t)) + eps
                e["W_next"] = (w - lr * (1 - mu(t)) / (1 - prod) * g / e["denom"]
                               - lr * mu(t + 1) / (1 - prod * mu(t + 1)) * m / e["denom"])
            else:
                e["m_hat"] = m / (1 - b1 ** t)
                rho_inf = 2 / (1 - b2) - 1
                rho = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
                e["rho"] = rho
                if rho > 5:
                    e["r"] = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
                    e["W_next"] = w - lr * e["m_hat"] * e["r"] * math.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
                else:
                    e["W_next"] = w - lr * e["m_hat"]
        elif fam == "adamax":
            b1, b2 = h["betas"]
            g = coupled_decay(h, g, w, e)
            m = b1 * s.get("m", zeros) + (1 - b1) * g
            u = np.maximum(b2 * s.get("u", zeros), np.abs(g) + h["eps"])
            s["m"], s["u"] = m, u
            e.update(m=m, u=u, W_next=w - h["lr"] / (1 - b1 ** t) * m / u)
        elif fam == "adamp":
            b1, b2 = h["betas"]
            lr, wd, eps, delta = h["lr"], h["weight_decay"], h["eps"], h["delta"]
            m = b1 * s.get("m", zeros) + (1 - b1) * g
            v = b2 * s.get("v", zeros) + (1 - b2) * g * g
            s["m"], s["v"] = m, v
            denom = np.sqrt(v) / math.sqrt(1 - b2 ** t) + eps
            d = (b1 * m + (1 - b1) * g) / denom if h["nesterov"] else m / denom
            cos = abs(g @ w) / (max(np.linalg.norm(g), eps) * max(np.linalg.norm(w), eps))
            e.update(m=m, v=v, d=d, cos=cos, threshold=delta / math.sqrt(2))
            ratio = 1.0
            if cos < delta / math.sqrt(2):     # one channel of two: channel and whole views agree
                wn = w / (np.linalg.norm(w) + eps)
                d = d - wn * (wn @ d)
                e["d_proj"], ratio = d, h["wd_ratio"]
            else:
                e["cos_tensor"], e["threshold_tensor"] = cos, delta / math.sqrt(2)
            if wd:
                w = w * (1 - lr * wd * ratio)
                e["W_decay"] = w
            e["W_next"] = w - lr / (1 - b1 ** t) * d
        return e


CASES = [
    ("sgd", {"lr": 2e-4}),
    ("sgd", {"lr": 2e-4, "momentum": 0.8, "dampening": 0.2, "weight_decay": 0.05}),
    ("momentum", {"lr": 1e-4}),
    ("nag", {"lr": 1e-4, "weight_decay": 0.01}),
    ("adagrad", {"lr": 0.2, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}),
    ("adadelta", {"lr": 1.0, "rho": 0.95}),
    ("adadelta", {"lr": 0.5, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("rmsprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01, "betas": [0.8, 0.99]}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}),
    ("adamax", {"lr": 0.05, "weight_decay": 0.01}),
    ("nadam", {"lr": 0.05, "momentum_decay": 0.01}),
    ("nadam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("nadam", {"lr": 0.05, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5}),
    ("sgd", {"lr": 1e-4, "momentum": 0.5, "nesterov": True}),
    ("adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "amsgrad": True}),
    ("radam", {"lr": 0.001, "weight_decay": 0.01}),
    ("radam", {"lr": 0.001, "weight_decay": 0.5, "decoupled_weight_decay": True}),
    ("adamp", {"lr": 0.01}),
    ("adamp", {"lr": 0.01, "weight_decay": 0.1, "nesterov": True}),
]
STEPS = 12


def headless(name, hyper, surface="rosenbrock", start=(-1.5, 2.0), steps=STEPS, **run):
    scenario = {"title": "t", "kind": "surface", "surface": {"name": surface, "start": list(start)},
                "run": {"steps": steps, **run}, "optimizers": [{"name": name, **hyper}]}
    return np.array(tui_lab.run_scenario(scenario)["runs"][0]["trajectory"])


@pytest.mark.parametrize("name,hyper", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_every_displayed_number(name, hyper):
    start = (-1.5, 2.0) if name != "adamp" else (1.0, 1.02)
    surface = "rosenbrock" if name != "adamp" else "saddle"
    traj = headless(name, hyper, surface, start)
    opt = Optimizer(name, hyper)
    inspection = SurfaceInspection(SurfaceRun(Surface.build(surface, start=start), opt))
    inspection.follow(STEPS)
    steps = list(inspection.steps)
    assert [s.t for s in steps] == list(range(1, STEPS + 1))
    ref = Reference(name, opt.hyperparams)
    grad = rosenbrock_grad if surface == "rosenbrock" else (lambda w: np.array([2 * w[0], -2 * w[1]]))
    shown_keys = set()
    for step in steps:
        inspection.shown = step.t - 1
        out = inspection.explain()
        expected = ref.step(step.t, traj[step.t - 1], grad(traj[step.t - 1]))
        assert np.array_equal(step.w, traj[step.t - 1])
        valued = [line for line in out.lines if line.value is not None]
        for line in valued:
            assert line.key in expected, f"{line.key} is displayed but not checked"
            np.testing.assert_allclose(line.value, expected[line.key], rtol=1e-11, atol=1e-300, err_msg=line.key)
            assert line.numbers.endswith("= " + fmt(line.value))
            shown_keys.add(line.key)
        # W_{t+1} is the loop's own next point, bit for bit
        assert np.array_equal(out.value("W_next"), traj[step.t])
    assert {"g", "W_next"} <= shown_keys


def test_adamp_cases_exercise_the_projection():
    """The AdamP cases above start near the saddle's diagonal, where g is almost orthogonal to W."""
    opt = Optimizer("adamp", {"lr": 0.01})
    inspection = SurfaceInspection(SurfaceRun(Surface.build("saddle", start=(1.0, 1.02)), opt))
    inspection.follow(1)
    keys = {line.key for line in inspection.explain().lines}
    assert "d_proj" in keys


@pytest.mark.parametrize("run", [{"l2": 0.1, "l1": 0.05}, {"grad_noise": 5.0}])
def test_penalties_and_noise_reach_the_gradient(run):
    """The displayed g_t is the gradient the loop used: penalties and seeded noise included,
    and W_{t+1} still equals the trajectory bit for bit."""
    traj = headless("adam", {"lr": 0.05}, **run)
    run_obj = SurfaceRun(Surface.build("rosenbrock", start=(-1.5, 2.0)), Optimizer("adam", {"lr": 0.05}),
                         l1=run.get("l1", 0.0), l2=run.get("l2", 0.0), grad_noise=run.get("grad_noise", 0.0))
    inspection = SurfaceInspection(run_obj)
    inspection.follow(STEPS)
    for step in inspection.steps:
        inspection.shown = step.t - 1
        out = inspection.explain()
        assert np.array_equal(out.value("W_next"), traj[step.t])
    if "l2" in run:
        w = traj[0]
        expected = rosenbrock_grad(w) + run["l2"] * w + run["l1"] * np.sign(w)
        np.testing.assert_allclose(inspection.steps[0].g, expected, rtol=1e-13)


def test_minibatch_gradient_is_the_batch_gradient():
    """linreg with mini-batches: the recorded g_t is that step's batch gradient (not the full
    batch's), and every W_{t+1} matches the headless trajectory bit for bit."""
    scenario = tui_lab.load_scenario({"title": "t", "kind": "surface", "surface": {"name": "linreg"},
                                      "run": {"steps": 30, "batch_size": 8},
                                      "optimizers": [{"name": "momentum", "lr": 0.05}]})
    traj = np.array(tui_lab.run_scenario(scenario)["runs"][0]["trajectory"])
    run = scenario.settings.make_runs(scenario.seed)[0]
    inspection = SurfaceInspection(run)
    inspection.follow(30)
    for step in inspection.steps:
        inspection.shown = step.t - 1
        assert np.array_equal(inspection.explain().value("W_next"), traj[step.t])
    # step 1's gradient: the mean-squared-error gradient over the first batch of epoch 0's order
    from tui_lab.core.rng import key_for, permutation
    from tui_lab.core.surface_run import BATCH_STREAM

    x, y = run.surface.data_x, run.surface.data_y
    order = np.empty(x.size, dtype=np.int64)
    permutation(key_for(scenario.seed, BATCH_STREAM + run.index), 0, order)
    rows = order[:8]
    w, b = traj[0]
    residual = w * x[rows] + b - y[rows]
    expected = np.array([np.mean(2 * residual * x[rows]), np.mean(2 * residual)])
    np.testing.assert_allclose(inspection.steps[0].g, expected, rtol=1e-12)
    full = np.array([np.mean(2 * (w * x + b - y) * x), np.mean(2 * (w * x + b - y))])
    assert not np.allclose(inspection.steps[0].g, full)


def test_going_back_and_history_bound():
    opt = Optimizer("adam", {"lr": 0.05})
    inspection = SurfaceInspection(SurfaceRun(Surface.build("rosenbrock"), opt), history=5)
    inspection.follow(20)
    assert [s.t for s in inspection.steps] == [16, 17, 18, 19, 20]
    assert inspection.step.t == 20
    while inspection.back():
        pass
    assert inspection.step.t == 16
    assert inspection.forward() and inspection.step.t == 17
    inspection.follow(3)        # the live run was reset and went on again: replayed
    assert inspection.step.t == 3


def test_step_one_is_shown_ahead_and_a_diverging_step_says_so():
    opt = Optimizer("sgd", {"lr": 1.0})
    run = SurfaceRun(Surface.build("rosenbrock"), opt)
    inspection = SurfaceInspection(run)
    inspection.follow(0)
    assert inspection.ahead and inspection.step.t == 1
    traj, _ = run.advance(50)
    assert run.diverged
    inspection.follow(run.t, diverged=True)
    last = inspection.explain().lines[-1]
    assert inspection.step.t == run.t + 1 and last.value is None and "diverged" in last.numbers


def train_trainer(name, hyper, **regularize):
    scenario = tui_lab.load_scenario({
        "title": "t", "kind": "train", "data": {"name": "moons", "n": 80},
        "model": {"name": "mlp", "hidden": [4]}, "train": {"epochs": 6, "batch_size": 16},
        "regularize": regularize, "optimizers": [{"name": name, **hyper}]})
    return scenario.settings.make_trainers(scenario.seed)[0]


@pytest.mark.parametrize("name,hyper", [("adam", {"lr": 0.05, "weight_decay": 0.01}),
                                        ("momentum", {"lr": 0.1}),
                                        ("adamp", {"lr": 0.05, "weight_decay": 0.1})])
@pytest.mark.parametrize("index", [0, 9])
def test_train_inspection_follows_the_epoch_loop(name, hyper, index):
    """The train view records the last step of each epoch for one parameter: its W_{t+1} is the
    live run's weight after that epoch, bit for bit, and its m_t / v_t / a_t are that step's
    update of the recorded buffers."""
    live = train_trainer(name, hyper)
    from tui_lab.core.step_inspector import TrainInspection

    inspection = TrainInspection(live, index=index)
    after = []
    for _ in range(4):
        live.advance(1)
        after.append(live.params[index])
    inspection.follow(4)
    assert [s.t for s in inspection.steps] == [live.steps // 4 * k for k in range(1, 5)]
    for k, step in enumerate(inspection.steps):
        inspection.shown = k
        out = inspection.explain()
        assert out.value("W_next")[0] == after[k]
        assert out.value("g")[0] == step.g[index]
        h = live.optimizer.hyperparams
        if name != "momentum":
            b1, b2 = h["betas"]
            g = step.g[index] + (h["weight_decay"] * step.w[index] if name == "adam" else 0.0)
            m0, v0 = step.state_before[0, index], step.state_before[1, index]
            np.testing.assert_allclose(out.value("m")[0], b1 * m0 + (1 - b1) * g, rtol=1e-12)
            np.testing.assert_allclose(out.value("v")[0], b2 * v0 + (1 - b2) * g * g, rtol=1e-12)
        else:
            a0 = step.state_before[0, index]
            np.testing.assert_allclose(out.value("a")[0], 0.9 * a0 + step.g[index], rtol=1e-12)
    assert "layer 1 weight" in inspection.parameter_name(0)
    assert inspection.parameter_name(9) == "layer 1 bias b[2]"


def test_train_inspection_follows_a_cnn_run():
    """A CNN run on the Train tab records its steps too (its epoch loop takes the same probe): the
    shown W_{t+1} of a conv kernel entry and of a dense weight is the live run's weight after each
    epoch, bit for bit, and Adam's m_t, v_t are that step's update of the recorded buffers."""
    from tui_lab.core.step_inspector import TrainInspection

    scenario = tui_lab.load_scenario({
        "title": "t", "kind": "train", "data": {"name": "shapes", "n": 60},
        "model": {"name": "cnn", "conv": [2], "kernel": 3, "hidden": [], "pool": "max"},
        "train": {"epochs": 3, "batch_size": 16}, "optimizers": [{"name": "adam", "lr": 0.01}]})
    live = scenario.settings.make_trainers(scenario.seed)[0]
    model = live.model
    dense_w = int(model.layout.dense[0, 2]) + model.layout.dense[0, 0] + 1    # unit 2's weight from input 2
    for index, name in ((1, "conv layer 1 kernel k[1, 1, 1, 2] (filter 1, input channel 1)"),
                        (dense_w, "dense layer 1 weight W[2→2] (input 2 to unit 2)")):
        run = copy.deepcopy(live)
        inspection = TrainInspection(run, index=index)
        after = []
        for _ in range(3):
            run.advance(1)
            after.append(run.params[index])
        inspection.follow(3)
        assert inspection.shadow.ws[0] is not run.ws[0]      # the shadow trains in another thread
        assert len(inspection.steps) == 3 and inspection.parameter_name() == name
        b1, b2 = run.optimizer.hyperparams["betas"]
        for k, step in enumerate(inspection.steps):
            inspection.shown = k
            out = inspection.explain()
            assert out.value("W_next")[0] == after[k]
            g, m0, v0 = step.g[index], step.state_before[0, index], step.state_before[1, index]
            assert g != 0.0
            np.testing.assert_allclose(out.value("m")[0], b1 * m0 + (1 - b1) * g, rtol=1e-12)
            np.testing.assert_allclose(out.value("v")[0], b2 * v0 + (1 - b2) * g * g, rtol=1e-12)
