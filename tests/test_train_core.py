"""The train kind's numeric core: data sets, model gradients, regularizers, training loop, closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_lab.core.datasets import CLASSIFICATION, REGRESSION, Dataset, make_dataset, split_indices
from tui_lab.core.models import Model
from tui_lab.core.optim import OPTIMIZERS, Optimizer
from tui_lab.core.train import (DIVERGED, EARLY_STOPPED, TrainConfig, Trainer, _gamma, add_penalty_grad, batch_loss_grad,
                                batch_plan, penalty)
from tui_lab.core.rng import key_for


def targets_for(model: Model, y: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Target rows as the loss sees them, written from the definitions (independent of fill_targets)."""
    if model.n_classes == 0:
        return y[:, None]
    if model.n_classes == 2:
        return (y * (1 - smoothing) + 0.5 * smoothing)[:, None]
    onehot = np.eye(model.n_classes)[y.astype(int)]
    return (1 - smoothing) * onehot + smoothing / model.n_classes


def numeric_grad(f, p, h=1e-6):
    g = np.empty_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        g[i] = (f(p + e) - f(p - e)) / (2 * h)
    return g


# -- data sets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", REGRESSION + CLASSIFICATION)
def test_datasets_are_seeded_and_shaped(name):
    a = make_dataset(name, 120, 0.1, 7)
    b = make_dataset(name, 120, 0.1, 7)
    c = make_dataset(name, 120, 0.1, 8)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.x.shape == (120, a.features) and a.y.shape == (120,)
    if name in REGRESSION:
        assert a.features == 1 and a.n_classes == 0
        # The noise is what is left after the truth: its spread is the asked noise level.
        assert np.std(a.y - a.truth(a.x[:, 0])) == pytest.approx(0.1, rel=0.25)
        assert np.allclose(make_dataset(name, 50, 0.0, 1).y, a.truth(make_dataset(name, 50, 0.0, 1).x[:, 0]))
    else:
        assert a.features == 2 and a.n_classes >= 2
        assert set(np.unique(a.y)) == set(range(a.n_classes))


def test_blobs_take_a_number_of_classes():
    data = make_dataset("blobs", 100, 0.1, 0, classes=5)
    assert data.n_classes == 5 and set(np.unique(data.y)) == set(range(5))


def test_split_is_a_seeded_partition():
    tr, va, te = split_indices(101, (0.6, 0.2, 0.2), 3)
    assert (len(va), len(te), len(tr)) == (20, 20, 61)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(101))
    again = split_indices(101, (0.6, 0.2, 0.2), 3)
    assert all(np.array_equal(u, v) for u, v in zip((tr, va, te), again))


# -- gradients against finite differences ---------------------------------------------------------

MODEL_CASES = [
    ("linear", "linear", {}),
    ("poly", "sine", {"degree": 5}),
    ("logistic", "moons", {}),
    ("logistic", "blobs", {}),
    ("mlp", "sine", {"hidden": (5, 4), "activation": "tanh"}),
    ("mlp", "moons", {"hidden": (6,), "activation": "sigmoid"}),
    ("mlp", "blobs", {"hidden": (5, 3), "activation": "relu"}),
    ("mlp", "spirals", {"hidden": (4, 4), "activation": "tanh", "batchnorm": True}),
    ("mlp", "blobs", {"hidden": (5,), "activation": "sigmoid", "batchnorm": True}),
]


def make_model(name, data, options):
    return Model(name, data.features, data.n_classes, **options)


@pytest.mark.parametrize("name,dataset,options", MODEL_CASES)
def test_model_gradients_match_finite_differences(name, dataset, options):
    data = make_dataset(dataset, 12, 0.2, 1)
    model = make_model(name, data, options)
    p = model.init_params("normal", 2) * 0.5 + 0.01
    t = targets_for(model, data.y)
    loss, g = batch_loss_grad(model, p, data.x, t)
    assert np.allclose(g, numeric_grad(lambda q: batch_loss_grad(model, q, data.x, t)[0], p), atol=1e-7)
    assert math.isfinite(loss)


def test_dropout_and_label_smoothing_gradients():
    # Dropout's mask is a function of (key, counter), so the same mask is drawn at every evaluation.
    data = make_dataset("blobs", 16, 0.2, 4)
    model = Model("mlp", 2, 3, hidden=(8, 6), activation="tanh")
    p = model.init_params("xavier", 1)
    t = targets_for(model, data.y, smoothing=0.2)
    key = int(key_for(0, 9))

    def loss(q):
        return batch_loss_grad(model, q, data.x, t, dropout=0.4, dropout_key=key)[0]
    _, g = batch_loss_grad(model, p, data.x, t, dropout=0.4, dropout_key=key)
    assert np.allclose(g, numeric_grad(loss, p), atol=1e-7)
    # Dropout changes the training loss but not the evaluation pass.
    assert loss(p) != batch_loss_grad(model, p, data.x, t)[0]
    assert batch_loss_grad(model, p, data.x, t, train=False, dropout=0.4, dropout_key=key)[0] == \
        batch_loss_grad(model, p, data.x, t, train=False)[0]


def test_penalty_gradients():
    model = Model("mlp", 2, 2, hidden=(4,), batchnorm=True)
    p = model.init_params("he", 0) + 0.05
    mask = model.weight_mask()
    g = np.zeros_like(p)
    add_penalty_grad(p, mask, 0.3, 0.2, g)
    assert np.allclose(g, numeric_grad(lambda q: penalty(q, mask, 0.3, 0.2), p), atol=1e-7)
    # Biases and batch-norm parameters are not penalized: 2*4 + 4*1 weights only.
    assert mask.sum() == 12 and np.all(g[mask == 0] == 0)


def test_batchnorm_uses_running_statistics_in_evaluation():
    data = make_dataset("moons", 200, 0.1, 0)
    model = Model("mlp", 2, 2, hidden=(8,), batchnorm=True)
    tr = Trainer(data, split_indices(200, (0.6, 0.2, 0.2), 0), model, Optimizer("adam", {"lr": 0.01}),
                 TrainConfig(epochs=20, batch_size=16))
    tr.run()
    assert not np.allclose(tr.running[0], 0.0)        # the running means moved
    one_by_one = np.array([tr.predict(data.x[i:i + 1])[0] for i in range(5)])
    assert np.allclose(one_by_one, tr.predict(data.x[:5]))   # evaluation does not depend on the batch


# -- the training loop ------------------------------------------------------------------------------

def small_trainer(config: TrainConfig, dataset="moons", optimizer=("adam", {"lr": 0.01}), model=None, seed=0):
    data = make_dataset(dataset, 120, 0.2, seed)
    model = model or Model("mlp", data.features, data.n_classes, hidden=(8, 8))
    return Trainer(data, split_indices(120, (0.6, 0.2, 0.2), seed), model, Optimizer(*optimizer), config, seed)


def test_batch_plan():
    assert batch_plan(72, 0, False) == (72, 1)
    assert batch_plan(72, 1, False) == (1, 72)
    assert batch_plan(72, 10, False) == (10, 8)
    assert batch_plan(72, 10, True) == (10, 7)
    tr = small_trainer(TrainConfig(epochs=3, batch_size=10, drop_last=True))
    tr.run()
    assert tr.steps == 3 * 7


def test_chunks_give_the_same_run_as_one_call():
    config = TrainConfig(epochs=30, batch_size=8, dropout=0.2, input_noise=0.05, weight_noise=0.01, mixup=0.4,
                         augment="jitter", l2=1e-3, l1=1e-4, label_smoothing=0.1)
    whole = small_trainer(config)
    whole.run()
    chunked = small_trainer(config)
    for size in (1, 7, 13, 100):
        chunked.advance(size)
    assert np.array_equal(whole.params, chunked.params)
    assert np.array_equal(whole.history, chunked.history)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_the_model(name):
    hp = {"lr": 0.05} if name not in ("adadelta",) else {"lr": 1.0}
    tr = small_trainer(TrainConfig(epochs=40, batch_size=16), optimizer=(name, hp))
    tr.run()
    loss = tr.curve(0)
    assert not tr.diverged and loss[-1] < loss[0]


def test_early_stopping_restores_the_best_weights():
    data = make_dataset("sine", 40, 0.3, 1)
    model = Model("poly", 1, 0, degree=12)
    tr = Trainer(data, split_indices(40, (0.5, 0.5, 0.0), 1), model, Optimizer("adam", {"lr": 0.05}),
                 TrainConfig(epochs=3000, batch_size=0, early_stopping=20))
    tr.run()
    assert tr.status == EARLY_STOPPED
    r = tr.result()
    assert r["stopped_epoch"] == r["best_epoch"] + 20 < 3000
    val = tr.curve(1)
    assert r["best_epoch"] == int(np.argmin(val)) + 1
    assert tr.evaluate(tr.val_idx)[0] == val.min()     # the weights are those of the best epoch


def test_divergence_stops_the_run_without_crashing():
    tr = small_trainer(TrainConfig(epochs=500, batch_size=0), dataset="linear",
                       optimizer=("sgd", {"lr": 50.0}), model=Model("poly", 1, 0, degree=3))
    tr.run()
    r = tr.result()
    assert tr.status == DIVERGED and r["diverged"] and r["stopped_epoch"] < 500
    assert np.all(np.isfinite(r["train_loss"])) and np.all(np.isfinite(tr.params))


def test_gamma_sampler_moments():
    keys = key_for(0, 1), key_for(0, 2)
    for shape in (0.4, 2.0):
        draws = np.array([_gamma(keys[0], keys[1], 256 * i, shape) for i in range(4000)])
        assert draws.mean() == pytest.approx(shape, rel=0.08)
        assert draws.var() == pytest.approx(shape, rel=0.2)


# -- closed forms and textbook behaviour ------------------------------------------------------------

def test_full_batch_ridge_regression_converges_to_the_closed_form():
    data = make_dataset("poly", 80, 0.2, 3)
    splits = (np.arange(80), np.arange(0), np.arange(0))
    model = Model("poly", 1, 0, degree=3)
    l2 = 0.05
    tr = Trainer(data, splits, model, Optimizer("momentum", {"lr": 0.1}), TrainConfig(epochs=6000, l2=l2), init="zeros")
    tr.run()
    # Stationary point of mean((Xw + b - y)^2) + (l2 / 2)|w|^2: the normal equations with the bias unpenalized.
    x = data.x[:, 0]
    X = np.stack([x, x ** 2, x ** 3, np.ones_like(x)], axis=1)
    n = len(x)
    A = 2.0 / n * X.T @ X + l2 * np.diag([1.0, 1.0, 1.0, 0.0])
    closed = np.linalg.solve(A, 2.0 / n * X.T @ data.y)
    assert np.allclose(tr.params, closed, atol=1e-8)


def separable_trainer(l2: float, epochs: int) -> Trainer:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2.0, 0.3, (30, 2)), rng.normal(2.0, 0.3, (30, 2))])
    y = np.repeat([0.0, 1.0], 30)
    data = Dataset("separable", x, y, 2, 0.3)
    return Trainer(data, (np.arange(60), np.arange(0), np.arange(0)), Model("logistic", 2, 2),
                   Optimizer("sgd", {"lr": 0.5}), TrainConfig(epochs=epochs, l2=l2), init="zeros")


def test_logistic_weights_grow_without_l2_and_stay_bounded_with_it():
    norms = {}
    for l2 in (0.0, 0.01):
        tr = separable_trainer(l2, 4000)
        norms[l2] = []
        for _ in range(4):
            tr.advance(1000)
            norms[l2].append(np.linalg.norm(tr.params[:2]))
    free, ridge = np.array(norms[0.0]), np.array(norms[0.01])
    assert np.all(np.diff(free) > 0.05)           # no finite minimizer: the weights keep growing (like log t)
    assert abs(ridge[-1] - ridge[-2]) < 1e-6       # the penalized objective has a minimizer, and it is reached
    assert ridge[-1] < free[-1]


def test_one_mlp_epoch_matches_torch():
    torch = pytest.importorskip("torch")
    from tui_lab.core.rng import permutation
    from tui_lab.core.train import SHUFFLE, STREAM_BASE

    data = make_dataset("blobs", 90, 0.2, 5)
    splits = split_indices(90, (1.0, 0.0, 0.0), 5)
    model = Model("mlp", 2, 3, hidden=(16, 16), activation="tanh")
    for opt_name, hp in (("momentum", {"lr": 0.1}), ("adam", {"lr": 0.01})):
        tr = Trainer(data, splits, model, Optimizer(opt_name, hp), TrainConfig(epochs=1, batch_size=16), seed=5)
        start = tr.params.copy()
        tr.run()
        # The same epoch in torch: same initial weights, same batches, torch's own forward, loss and backward.
        layers = [torch.nn.Linear(a, b).double() for a, b in zip(model.sizes[:-1], model.sizes[1:])]
        with torch.no_grad():
            for l, lin in enumerate(layers):
                w, b = model.layout.w_off[l], model.layout.b_off[l]
                lin.weight.copy_(torch.from_numpy(start[w:b].reshape(lin.in_features, lin.out_features).T.copy()))
                lin.bias.copy_(torch.from_numpy(start[b:b + lin.out_features].copy()))
        net = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1], torch.nn.Tanh(), layers[2])
        opt = getattr(torch.optim, {"momentum": "SGD", "adam": "Adam"}[opt_name])(
            net.parameters(), **({"lr": 0.1, "momentum": 0.9} if opt_name == "momentum" else hp))
        order = np.empty(len(splits[0]), dtype=np.int64)
        permutation(key_for(5, STREAM_BASE + SHUFFLE), 0, order)
        rows = splits[0][order]
        tx, ty = torch.from_numpy(data.x), torch.from_numpy(data.y).long()
        for s in range(0, len(rows), 16):
            b = torch.from_numpy(rows[s:s + 16])
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(tx[b]), ty[b]).backward()
            opt.step()
        theirs = np.concatenate([np.concatenate([lin.weight.detach().numpy().T.ravel(), lin.bias.detach().numpy()])
                                 for lin in layers])
        assert np.allclose(tr.params, theirs, rtol=1e-10, atol=1e-12), opt_name
