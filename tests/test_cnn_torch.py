"""The CNN against torch (nn.Conv2d, BatchNorm2d, MaxPool2d / AvgPool2d, nn.Linear, autograd, torch.optim),
from the same initial weights and on the same batches: forward, backward, and whole training epochs."""

from __future__ import annotations

import numpy as np
import pytest

from tui_lab import load_scenario
from tui_lab.cnn_bench import torch_cnn
from tui_lab.core.cnn import CnnModel, batch_loss_grad
from tui_lab.core.rng import permutation
from tui_lab.core.train import SHUFFLE

torch = pytest.importorskip("torch")


def flat_grads(net) -> np.ndarray:
    return np.concatenate([p.grad.numpy().ravel() for p in net.parameters()])


def flat_params(net) -> np.ndarray:
    return np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])


@pytest.mark.parametrize("pool,batchnorm,activation,kernel", [
    ("max", False, "relu", 3), ("avg", True, "tanh", 3), ("none", False, "sigmoid", 2), ("max", True, "relu", 5)])
def test_forward_and_backward_match_torch(pool, batchnorm, activation, kernel):
    model = CnnModel((1, 8, 8), 10, conv=(4, 6), kernel=kernel, pool=pool, hidden=(16,), activation=activation,
                     batchnorm=batchnorm)
    p = model.init_params("he", 4)
    rng = np.random.default_rng(1)
    x = rng.random((7, 1, 8, 8))
    labels = rng.integers(0, 10, 7)
    running = model.new_running()
    loss, g = batch_loss_grad(model, p, x, np.eye(10)[labels], running=running)
    net = torch_cnn(model, p).train()
    ref = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    assert np.allclose(g, flat_grads(net), rtol=1e-9, atol=1e-12)
    if batchnorm:
        bns = [m for m in net if isinstance(m, torch.nn.BatchNorm2d)]
        for l, bn in enumerate(bns):
            assert np.allclose(running[0, l, :bn.num_features], bn.running_mean.numpy(), rtol=1e-12, atol=1e-15)
            assert np.allclose(running[1, l, :bn.num_features], bn.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("optimizer,batchnorm,batch", [("adam", False, 32), ("sgd", True, 16), ("rmsprop", False, 0)])
def test_training_epochs_match_torch(optimizer, batchnorm, batch):
    hyper = {"adam": {"lr": 0.002}, "sgd": {"lr": 0.05, "momentum": 0.9}, "rmsprop": {"lr": 0.001}}[optimizer]
    sc = {"title": "t", "kind": "train", "seed": 2, "data": {"name": "digits", "n": 300},
          "model": {"name": "cnn", "conv": [4, 8], "kernel": 3, "pool": "max", "hidden": [16], "activation": "relu"},
          "train": {"epochs": 2, "batch_size": batch}, "regularize": {"batchnorm": batchnorm, "l2": 1e-3},
          "optimizers": [{"name": optimizer, **hyper}]}
    tr = load_scenario(sc).settings.make_trainers(2)[0]
    net = torch_cnn(tr.model, tr.params)
    opt = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}[optimizer](
        net.parameters(), **hyper)
    x, y = torch.from_numpy(tr.x), torch.from_numpy(tr.y).long()
    n = tr.train_idx.size
    size = n if batch == 0 else batch
    mask = torch.from_numpy(tr.mask)
    for epoch in range(2):
        order = np.arange(n)
        if size < n:
            permutation(tr.keys[SHUFFLE], epoch * n, order)     # the lab's seeded batch order
        rows_all = tr.train_idx[order]
        net.train()
        for start in range(0, n, size):
            rows = torch.from_numpy(rows_all[start:start + size])
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x[rows]), y[rows])
            flat = torch.cat([q.reshape(-1) for q in net.parameters()])
            (loss + 0.5e-3 * (flat * flat * mask).sum()).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            val = torch.from_numpy(tr.val_idx)
            ref_val = torch.nn.functional.cross_entropy(net(x[val]), y[val]).item()
        tr.advance(1)
        assert tr.history[1, epoch] == pytest.approx(ref_val, rel=1e-9)
    assert np.allclose(tr.params, flat_params(net), rtol=1e-8, atol=1e-10)


def test_bench_measures_the_cnn_beside_torch():
    from tui_lab.bench import MEASURES
    from tui_lab.cnn_bench import measure_cnn_epochs

    assert measure_cnn_epochs in MEASURES
    threads = torch.get_num_threads()
    ours, refs = measure_cnn_epochs(quick=True)
    assert ours["cnn_epochs_per_s"] > 0 and refs["torch"]["cnn_epochs_per_s"] > 0
    assert torch.get_num_threads() == threads          # torch ran on one thread, then got its setting back
