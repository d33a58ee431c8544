"""AdamP's projection on matrices, against a NumPy reference written from the authors'
algorithm (per parameter tensor: channel view, then whole-tensor view), and against the
authors' own package `adamp` where it is installed (with torch)."""

import math

import numpy as np
import pytest

from tui_lab.core import optim
from tui_lab.core.optim import Optimizer, ParamTensor
from tui_lab.core.optim import adamp as adamp_kernel
from tui_lab.core.surface_run import SURFACE_TENSORS, SurfaceRun
from tui_lab.core.surfaces import Surface


def cosine_rows(x, y, eps):
    return np.abs((x * y).sum(1) / (np.maximum(np.linalg.norm(x, axis=1), eps)
                                    * np.maximum(np.linalg.norm(y, axis=1), eps)))


def adamp_tensor_ref(params, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, delta=0.1,
                     wd_ratio=0.1, nesterov=False):
    """AdamP on a list of tensors (torch shapes), fed one gradient list per step; yields the
    tensors after each step and the view that projected each (0 none, 1 channel, 2 tensor)."""
    b1, b2 = betas
    params = [np.array(x, dtype=np.float64) for x in params]
    m = [np.zeros_like(x) for x in params]
    v = [np.zeros_like(x) for x in params]
    for t, step_grads in enumerate(grads, 1):
        views = []
        for k, (p, g) in enumerate(zip(params, step_grads)):
            m[k] = m[k] * b1 + (1 - b1) * g
            v[k] = v[k] * b2 + (1 - b2) * g * g
            denom = np.sqrt(v[k]) / math.sqrt(1 - b2 ** t) + eps
            d = (b1 * m[k] + (1 - b1) * g) / denom if nesterov else m[k] / denom
            ratio, view = 1.0, 0
            if p.ndim > 1:
                for number, rows in ((1, p.shape[0]), (2, 1)):
                    pv, gv, dv = p.reshape(rows, -1), g.reshape(rows, -1), d.reshape(rows, -1)
                    if cosine_rows(gv, pv, eps).max() < delta / math.sqrt(pv.shape[1]):
                        pn = pv / (np.linalg.norm(pv, axis=1, keepdims=True) + eps)
                        d = (dv - pn * (pn * dv).sum(1, keepdims=True)).reshape(p.shape)
                        ratio, view = wd_ratio, number
                        break
            views.append(view)
            if weight_decay > 0:
                p = p * (1 - lr * weight_decay * ratio)
            params[k] = p - lr / (1 - b1 ** t) * d
        yield [x.copy() for x in params], views


# One flat vector holding: a 3x4 matrix stored as torch stores it (channel rows), a torch 3x4
# weight stored transposed (4x3, fan_in x fan_out, as the lab's models store dense weights),
# and a 3-vector (a bias).
TENSORS = (ParamTensor(0, 3, 4, 4, 1), ParamTensor(12, 3, 4, 1, 3))
N = 27


def to_flat(tensors):
    a, w, b = tensors
    return np.concatenate([a.ravel(), w.T.ravel(), b])


def from_flat(p):
    return [p[:12].reshape(3, 4), p[12:24].reshape(4, 3).T, p[24:]]


def gradient_sequence(p0, steps, rng):
    """Gradients of every kind AdamP tells apart: almost orthogonal per channel (channel view),
    radial in one channel and the opposite in another so that only the whole tensor is
    almost orthogonal (tensor view), and plain random ones (no projection)."""
    out = []
    a, w, b = from_flat(p0)
    for t in range(steps):
        grads = []
        for x in (a, w):
            g = rng.normal(size=x.shape)
            g -= x * ((g * x).sum(1, keepdims=True) / (x * x).sum(1, keepdims=True))   # tangent per channel
            if t % 3 == 1:
                g[0] += 0.5 * x[0]
                g[1] -= 0.5 * x[1] * (x[0] @ x[0]) / (x[1] @ x[1])
            elif t % 3 == 2:
                g += rng.normal(size=x.shape)
            grads.append(g)
        grads.append(rng.normal(size=b.shape))
        out.append(grads)
    return out


CASES = [{}, {"lr": 0.05, "weight_decay": 0.1}, {"lr": 0.05, "weight_decay": 0.2, "nesterov": True, "wd_ratio": 0.3},
         {"lr": 0.02, "delta": 0.5, "betas": [0.8, 0.99]}]


def run_ours(hyper, p0, grads):
    opt = Optimizer("adamp", hyper)
    state, scalars = opt.init_state(N, TENSORS)
    p = p0.copy()
    points, views = [], []
    for t, g in enumerate(grads, 1):
        optim.step(opt.family, p, to_flat(g), state, scalars, opt.hp, t)
        points.append(from_flat(p.copy()))
        views.append([int(state[adamp_kernel.VIEW, 0]), int(state[adamp_kernel.VIEW, 1]), 0])
    return points, views


@pytest.mark.parametrize("hyper", CASES)
def test_projection_matches_reference(hyper):
    rng = np.random.default_rng(7)
    p0 = rng.normal(size=N)
    # a fresh gradient sequence at the start point keeps the three kinds of gradient apart
    grads = gradient_sequence(p0, 30, rng)
    ours, our_views = run_ours(hyper, p0, grads)
    kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in hyper.items()}
    ref = list(adamp_tensor_ref(from_flat(p0), grads, **kwargs))
    for step, ((ref_params, ref_views), mine, views) in enumerate(zip(ref, ours, our_views)):
        assert views == ref_views, step
        for x, y in zip(mine, ref_params):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    seen = {v for views in our_views for v in views}
    assert seen == {0, 1, 2}, "the cases must exercise no projection, channel and tensor views"


def test_projection_removes_the_radial_part():
    """Where the channel view projects, the step is orthogonal to each channel's weights (up to
    the eps in p / (|p| + eps)), so the step does not change the channel norms to first order."""
    rng = np.random.default_rng(3)
    p0 = rng.normal(size=N)
    grads = gradient_sequence(p0, 1, rng)
    opt = Optimizer("adamp", {"lr": 0.01})
    state, scalars = opt.init_state(N, TENSORS)
    p = p0.copy()
    optim.step(opt.family, p, to_flat(grads[0]), state, scalars, opt.hp, 1)
    assert state[adamp_kernel.VIEW, 0] == adamp_kernel.CHANNEL_VIEW
    step, w = from_flat(p - p0)[0], from_flat(p0)[0]
    cos = (step * w).sum(1) / (np.linalg.norm(step, axis=1) * np.linalg.norm(w, axis=1))
    assert np.abs(cos).max() < 1e-7
    # without the projection (a vector), the same first step is exactly lr per entry, as Adam's
    plain = p0.copy()
    state, scalars = opt.init_state(N)
    optim.step(opt.family, plain, to_flat(grads[0]), state, scalars, opt.hp, 1)
    np.testing.assert_allclose(np.abs(plain - p0), 0.01, rtol=1e-4)   # eps / |g| off exactly lr


def test_vectors_take_adams_step():
    """Fewer than two dimensions: AdamP without weight decay is Adam (to rounding: AdamP
    updates the first moment as beta1 m + (1 - beta1) g, torch's Adam by lerp)."""
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=6)
    a, b = Optimizer("adamp", {"lr": 0.01}), Optimizer("adam", {"lr": 0.01})
    pa, pb = p0.copy(), p0.copy()
    (sa, ca), (sb, cb) = a.init_state(6), b.init_state(6)
    for t in range(1, 60):
        g = rng.normal(size=6)
        optim.step(a.family, pa, g, sa, ca, a.hp, t)
        optim.step(b.family, pb, g, sb, cb, b.hp, t)
    np.testing.assert_allclose(pa, pb, rtol=1e-12)


def test_surface_point_is_one_channel():
    """On a surface the point (x, y) is a 1x2 weight: on `saddle` x^2 - y^2 from a point near
    the diagonal the gradient is almost orthogonal to (x, y), and AdamP projects."""
    run = SurfaceRun(Surface.build("saddle", start=[1.0, 1.02]), Optimizer("adamp", {"lr": 0.01}))
    assert SURFACE_TENSORS[0].indices().tolist() == [[0, 1]]
    traj, _ = run.advance(1)
    assert run.state[adamp_kernel.VIEW, 0] == adamp_kernel.CHANNEL_VIEW
    step = traj[1] - traj[0]
    assert abs(step @ traj[0]) / (np.linalg.norm(step) * np.linalg.norm(traj[0])) < 1e-7   # no radial part


torch = None


@pytest.fixture
def package():
    global torch
    torch = pytest.importorskip("torch")
    return pytest.importorskip("adamp")


@pytest.mark.parametrize("hyper", CASES)
def test_matches_authors_package(package, hyper):
    rng = np.random.default_rng(11)
    p0 = rng.normal(size=N)
    grads = gradient_sequence(p0, 30, rng)
    ours, _ = run_ours(hyper, p0, grads)
    params = [torch.tensor(np.ascontiguousarray(x), dtype=torch.float64, requires_grad=True) for x in from_flat(p0)]
    kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in hyper.items()}
    opt = package.AdamP(params, **kwargs)
    for step_grads, mine in zip(grads, ours):
        for x, g in zip(params, step_grads):
            x.grad = torch.tensor(np.ascontiguousarray(g), dtype=torch.float64)
        opt.step()
        for x, y in zip(params, mine):
            np.testing.assert_allclose(x.detach().numpy(), y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("surface,start", [("saddle", [1.0, 1.02]), ("rosenbrock", [-1.5, 2.0]),
                                           ("himmelblau", [0.5, -0.5])])
def test_surface_matches_authors_package(package, surface, start):
    """The surface run against adamp.AdamP on a 1x2 tensor, 200 steps."""
    hyper = {"lr": 0.01, "weight_decay": 0.1}
    run = SurfaceRun(Surface.build(surface, start=start), Optimizer("adamp", hyper))
    traj, _ = run.advance(200)
    p = torch.tensor([start], dtype=torch.float64, requires_grad=True)
    opt = package.AdamP([p], **hyper)
    formulas = {"saddle": lambda x, y: x ** 2 - y ** 2,
                "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
                "himmelblau": lambda x, y: (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2}
    points = [p.detach().numpy()[0].copy()]
    for _ in range(len(traj) - 1):
        opt.zero_grad()
        formulas[surface](p[0, 0], p[0, 1]).backward()
        opt.step()
        points.append(p.detach().numpy()[0].copy())
    np.testing.assert_allclose(traj, np.array(points), rtol=1e-9, atol=1e-12)


def test_dense_weights_are_torch_linear_weights():
    """A model's weight block l is fan_in x fan_out; torch's nn.Linear weight is its transpose,
    so AdamP's channel j is output unit j: column j of the block. Biases are vectors."""
    from tui_lab.core.models import Model

    model = Model("mlp", 2, 2, hidden=(3,))
    first, second = model.weight_tensors()
    off = int(model.layout.w_off[0])
    assert first.indices().tolist() == [[off + i * 3 + j for i in range(2)] for j in range(3)]
    assert second.indices().shape == (1, 3)
    state, _ = Optimizer("adamp", {}).init_state(model.n_params, model.weight_tensors())
    bias = int(model.layout.b_off[0])
    assert state[adamp_kernel.ROW, bias:bias + 3].tolist() == [-1.0, -1.0, -1.0]
    assert state[adamp_kernel.ROW, first.indices()[2]].tolist() == [2.0, 2.0]
