"""Layer norm on the hidden layers of an mlp: exact against its formula, finite differences, and
torch.nn.LayerNorm where torch is installed."""

import math

import numpy as np
import pytest

from tui_lab import ScenarioError, run_scenario
from tui_lab.core.datasets import make_dataset, split_indices
from tui_lab.core.models import Model
from tui_lab.core.optim import Optimizer
from tui_lab.core.rng import key_for, permutation
from tui_lab.core.train import SHUFFLE, STREAM_BASE, TrainConfig, Trainer, batch_loss_grad


def targets(model, y):
    return y[:, None] if model.n_out == 1 else np.eye(model.n_out)[y.astype(int)]


def numeric_grad(f, p, h=1e-6):
    g = np.empty_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        g[i] = (f(p + e) - f(p - e)) / (2 * h)
    return g


def test_layernorm_adds_gamma_and_beta_per_hidden_unit_and_excludes_batchnorm():
    plain, normed = Model("mlp", 2, 2, hidden=(5, 4)), Model("mlp", 2, 2, hidden=(5, 4), layernorm=True)
    assert normed.n_params == plain.n_params + 2 * (5 + 4) and normed.layout.layer_norm == 1
    p = normed.init_params("xavier", 0)
    bn = normed.layout.bn_off
    assert np.all(p[bn[0]:bn[0] + 5] == 1.0) and np.all(p[bn[0] + 5:bn[0] + 10] == 0.0)
    assert normed.weight_mask()[bn[0]:bn[0] + 10].sum() == 0.0          # l1 / l2 leave gamma and beta alone
    assert not Model("mlp", 2, 2, hidden=(5,), batchnorm=True, layernorm=True).layernorm


def test_layernorm_forward_is_its_formula():
    data = make_dataset("moons", 7, 0.2, 0)
    model = Model("mlp", 2, 2, hidden=(6,), activation="tanh", layernorm=True)
    p = model.init_params("normal", 1)
    p[model.layout.bn_off[0]:model.layout.bn_off[0] + 12] = np.linspace(-1.0, 2.0, 12)     # gamma, beta not 1, 0
    tr = Trainer(data, (np.arange(7), np.arange(0), np.arange(0)), model, Optimizer("sgd", {"lr": 0.1}), TrainConfig())
    tr.params = p
    w, b = p[:12].reshape(2, 6), p[12:18]
    gamma, beta = p[18:24], p[24:30]
    z = data.x @ w + b
    zn = (z - z.mean(1, keepdims=True)) / np.sqrt(z.var(1, keepdims=True) + 1e-5) * gamma + beta
    logit = np.tanh(zn) @ p[30:36] + p[36]
    assert np.allclose(tr.predict(data.x), 1.0 / (1.0 + np.exp(-logit)), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dataset,options", [
    ("sine", {"hidden": (5, 4), "activation": "tanh"}),
    ("blobs", {"hidden": (6,), "activation": "relu"}),
    ("moons", {"hidden": (4, 3), "activation": "sigmoid"}),
])
@pytest.mark.parametrize("train", [True, False])
def test_layernorm_gradients_match_finite_differences(dataset, options, train):
    data = make_dataset(dataset, 12, 0.2, 1)
    model = Model("mlp", data.features, data.n_classes, layernorm=True, **options)
    p = model.init_params("normal", 2) * 0.5 + 0.01
    t = targets(model, data.y)
    loss, g = batch_loss_grad(model, p, data.x, t, train=train)
    assert math.isfinite(loss)
    assert np.allclose(g, numeric_grad(lambda q: batch_loss_grad(model, q, data.x, t, train=train)[0], p), atol=1e-7)


def test_one_layernorm_epoch_matches_torch():
    torch = pytest.importorskip("torch")
    data = make_dataset("blobs", 90, 0.2, 5)
    splits = split_indices(90, (1.0, 0.0, 0.0), 5)
    model = Model("mlp", 2, 3, hidden=(16, 8), activation="tanh", layernorm=True)
    tr = Trainer(data, splits, model, Optimizer("adam", {"lr": 0.01}), TrainConfig(epochs=1, batch_size=16), seed=5)
    start = tr.params.copy()
    tr.run()
    modules, lin_norm = [], []
    for l in range(model.n_layers):
        fan_in, fan_out = model.sizes[l], model.sizes[l + 1]
        lin = torch.nn.Linear(fan_in, fan_out).double()
        w, b = model.layout.w_off[l], model.layout.b_off[l]
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(start[w:b].reshape(fan_in, fan_out).T.copy()))
            lin.bias.copy_(torch.from_numpy(start[b:b + fan_out].copy()))
        modules.append(lin)
        norm = None
        if l < model.n_layers - 1:
            norm = torch.nn.LayerNorm(fan_out).double()      # eps 1e-5, gamma 1, beta 0: as ours start
            modules += [norm, torch.nn.Tanh()]
        lin_norm.append((lin, norm))
    net = torch.nn.Sequential(*modules)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    order = np.empty(len(splits[0]), dtype=np.int64)
    permutation(key_for(5, STREAM_BASE + SHUFFLE), 0, order)
    rows = splits[0][order]
    tx, ty = torch.from_numpy(data.x), torch.from_numpy(data.y).long()
    for s in range(0, len(rows), 16):
        b = torch.from_numpy(rows[s:s + 16])
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(tx[b]), ty[b]).backward()
        opt.step()
    theirs = []
    for lin, norm in lin_norm:
        theirs += [lin.weight.detach().numpy().T.ravel(), lin.bias.detach().numpy()]
        if norm is not None:
            theirs += [norm.weight.detach().numpy(), norm.bias.detach().numpy()]
    assert np.allclose(tr.params, np.concatenate(theirs), rtol=1e-10, atol=1e-12)


BASE = {"title": "t", "kind": "train", "data": {"name": "moons", "n": 60},
        "model": {"name": "mlp", "hidden": [8, 8]}, "train": {"epochs": 3, "batch_size": 16},
        "optimizers": [{"name": "adam", "lr": 0.01}]}


def test_layernorm_key_runs_and_reports():
    result = run_scenario({**BASE, "regularize": {"layernorm": [False, True]}})
    assert [r["settings"]["layernorm"] for r in result["runs"]] == [False, True]
    assert result["runs"][0]["train_loss"][-1] != result["runs"][1]["train_loss"][-1]


@pytest.mark.parametrize("regularize,model,fragment", [
    ({"layernorm": True, "batchnorm": True}, {}, "not both"),
    ({"layernorm": True}, {"name": "logistic"}, "hidden layers of an mlp"),
])
def test_layernorm_bad_input(regularize, model, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        run_scenario({**BASE, "model": {**BASE["model"], **model}, "regularize": regularize})
