"""The sharpness measures: the top Hessian eigenvalue by power iteration on finite-difference
Hessian-vector products, and the filter-normalised loss profile."""

import numpy as np
import pytest

from tui_lab.core.datasets import make_dataset, split_indices
from tui_lab.core.models import Model
from tui_lab.core.optim import Optimizer
from tui_lab.core.sharpness import filter_normalized_direction, hessian_vector, top_eigenvalue
from tui_lab.core.train import TrainConfig, Trainer


def test_hessian_vector_and_power_iteration_on_a_quadratic():
    rng = np.random.default_rng(3)
    q = rng.standard_normal((6, 6))
    a = q @ q.T + np.diag(np.arange(6.0))          # symmetric positive definite
    grad = lambda w: a @ w                          # noqa: E731  (gradient of w^T A w / 2)
    w, v = rng.standard_normal(6), rng.standard_normal(6)
    assert np.allclose(hessian_vector(grad, w, v), a @ v, rtol=1e-9, atol=1e-9)
    assert top_eigenvalue(grad, w, seed=0, iterations=500) == pytest.approx(np.linalg.eigvalsh(a)[-1], rel=1e-5)


def linear_trainer(epochs=200):
    data = make_dataset("linear", 120, 0.2, 0)
    splits = split_indices(120, (0.6, 0.2, 0.2), 0)
    return Trainer(data, splits, Model("linear", 1, 0), Optimizer("sgd", {"lr": 0.1}),
                   TrainConfig(epochs=epochs, batch_size=0, sharpness=1.0))


def test_top_eigenvalue_of_least_squares_is_the_closed_form():
    tr = linear_trainer().run()
    x = tr.x[tr.train_idx, 0]
    design = np.stack([x, np.ones_like(x)], axis=1)
    hessian = 2.0 * design.T @ design / x.size        # mean((w x + b - y)^2) has this constant Hessian
    measured = tr.sharpness(1.0)
    assert measured["sharpness"] == pytest.approx(np.linalg.eigvalsh(hessian)[-1], rel=1e-6)


def test_loss_profile_is_a_parabola_for_least_squares_and_passes_through_the_minimum():
    tr = linear_trainer().run()
    profile = tr.sharpness(0.5)["loss_profile"]
    alphas, losses = profile["alpha"], profile["loss"]
    assert alphas[0] == -0.5 and alphas[-1] == 0.5 and alphas[10] == 0.0
    assert losses[10] == pytest.approx(tr.evaluate(tr.train_idx)[0], rel=1e-12)
    assert np.allclose(np.polyval(np.polyfit(alphas, losses, 2), alphas), losses, rtol=1e-9, atol=1e-12)


def test_filter_normalized_direction_matches_each_units_weight_norm():
    model = Model("mlp", 2, 2, hidden=(5, 4))
    w = model.init_params("xavier", 1)
    d = filter_normalized_direction(model, w, seed=7)
    for l in range(model.n_layers):
        fan_in, fan_out, off, boff = model.sizes[l], model.sizes[l + 1], model.layout.w_off[l], model.layout.b_off[l]
        block, weights = (v[off:off + fan_in * fan_out].reshape(fan_in, fan_out) for v in (d, w))
        assert np.allclose(np.linalg.norm(block, axis=0), np.linalg.norm(weights, axis=0))
        assert np.all(d[boff:boff + fan_out] == 0.0)          # biases are left out
    assert not np.allclose(d, filter_normalized_direction(model, w, seed=8))


def test_hessian_vector_product_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    data = make_dataset("moons", 80, 0.2, 0)
    splits = split_indices(80, (1.0, 0.0, 0.0), 0)
    model = Model("mlp", 2, 2, hidden=(6,))
    tr = Trainer(data, splits, model, Optimizer("adam", {"lr": 0.01}), TrainConfig(epochs=20, batch_size=16)).run()
    v = np.random.default_rng(0).standard_normal(model.n_params)
    ours = hessian_vector(lambda w: tr.train_loss_grad(w)[1], tr.params, v)

    x, y = torch.from_numpy(tr.x[tr.train_idx]), torch.from_numpy(tr.y[tr.train_idx])
    sizes = model.sizes

    def loss(p):
        w1 = p[:sizes[0] * sizes[1]].reshape(sizes[0], sizes[1])
        b1 = p[sizes[0] * sizes[1]:sizes[0] * sizes[1] + sizes[1]]
        rest = p[sizes[0] * sizes[1] + sizes[1]:]
        w2, b2 = rest[:sizes[1]].reshape(sizes[1], 1), rest[sizes[1]:]
        z = (torch.tanh(x @ w1 + b1) @ w2 + b2)[:, 0]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    _, theirs = torch.autograd.functional.hvp(loss, torch.from_numpy(tr.params.copy()), torch.from_numpy(v))
    assert np.allclose(ours, theirs.numpy(), rtol=1e-5, atol=1e-7)
