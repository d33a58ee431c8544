"""Every optimizer against a plain NumPy reference written from its published algorithm
(the pseudo-code of the torch.optim documentation), fed the same gradient sequence.
No torch needed: the references are the equations themselves."""

import numpy as np
import pytest

from tui_lab.core import optim
from tui_lab.core.optim import OPTIMIZERS, Optimizer


def weight_decay_step(p, g, lr, weight_decay, decoupled):
    """AdamW's decoupled decay shrinks p itself; classic L2 decay adds wd * p to the gradient."""
    return (p - lr * weight_decay * p, g) if decoupled else (p, g + weight_decay * p)


def sgd_ref(p, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    b = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        yield p


def adagrad_ref(p, grads, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    s = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g
        p = p - clr * g / (np.sqrt(s) + eps)
        yield p


def adadelta_ref(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    v = np.zeros_like(p)
    u = np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        dx = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * dx * dx
        p = p - lr * dx
        yield p


def rmsprop_ref(p, grads, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v = np.zeros_like(p)
    gave = np.zeros_like(p)
    b = np.zeros_like(p)
    for g in grads:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gave = alpha * gave + (1 - alpha) * g
            vt = v - gave * gave
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            p = p - lr * b
        else:
            p = p - lr * g / (np.sqrt(vt) + eps)
        yield p


def adam_ref(p, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled_weight_decay=False):
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    vmax = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        p, g = weight_decay_step(p, g, lr, weight_decay, decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        if amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax / (1 - b2 ** t)
        else:
            vhat = v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
        yield p


def adamw_ref(p, grads, weight_decay=0.01, **kw):
    return adam_ref(p, grads, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def adamax_ref(p, grads, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    b1, b2 = betas
    m = np.zeros_like(p)
    u = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g) + eps)
        p = p - lr / (1 - b1 ** t) * m / u
        yield p


def nadam_ref(p, grads, lr=0.002, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=0.004,
              decoupled_weight_decay=False):
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))  # noqa: E731
    for t, g in enumerate(grads, 1):
        p, g = weight_decay_step(p, g, lr, weight_decay, decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        prod_t = np.prod([mu(i) for i in range(1, t + 1)])
        mhat = mu(t + 1) * m / (1 - prod_t * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod_t)
        vhat = v / (1 - b2 ** t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
        yield p


def radam_ref(p, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False):
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    rho_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, 1):
        p, g = weight_decay_step(p, g, lr, weight_decay, decoupled_weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            adaptive = np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
            rect = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            p = p - lr * mhat * adaptive * rect
        else:
            p = p - lr * mhat
        yield p


def adamp_ref(p, grads, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, delta=0.1, wd_ratio=0.1,
              nesterov=False):
    """AdamP on a vector (fewer than two dimensions): the Adam direction, no projection, decoupled decay.
    The projection on matrices is checked in test_optim_adamp.py."""
    b1, b2 = betas
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
        direction = (b1 * m + (1 - b1) * g) / denom if nesterov else m / denom
        p = p * (1 - lr * weight_decay)
        p = p - lr / (1 - b1 ** t) * direction
        yield p


REFERENCES = {"sgd": sgd_ref, "momentum": lambda p, g, **kw: sgd_ref(p, g, **{"momentum": 0.9, **kw}),
              "nag": lambda p, g, **kw: sgd_ref(p, g, **{"momentum": 0.9, "nesterov": True, **kw}),
              "adagrad": adagrad_ref, "adadelta": adadelta_ref, "rmsprop": rmsprop_ref, "adam": adam_ref,
              "adamw": adamw_ref, "adamax": adamax_ref, "nadam": nadam_ref, "radam": radam_ref, "adamp": adamp_ref}

CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ("momentum", {"lr": 0.02}),
    ("nag", {"lr": 0.02, "weight_decay": 0.05}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.02, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.5, "rho": 0.7, "eps": 1e-4, "weight_decay": 0.1}),
    ("rmsprop", {}),
    ("rmsprop", {"lr": 0.003, "alpha": 0.9, "momentum": 0.7, "centered": True, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 0.003, "centered": True}),
    ("rmsprop", {"lr": 0.003, "momentum": 0.5}),
    ("adam", {}),
    ("adam", {"lr": 0.05, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", {}),
    ("adamw", {"lr": 0.01, "betas": [0.5, 0.9], "weight_decay": 0.3, "amsgrad": True}),
    ("adamax", {}),
    ("adamax", {"lr": 0.05, "betas": [0.7, 0.95], "weight_decay": 0.05}),
    ("nadam", {}),
    ("nadam", {"lr": 0.01, "betas": [0.85, 0.98], "momentum_decay": 0.01, "weight_decay": 0.05}),
    ("nadam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("radam", {}),
    ("radam", {"lr": 0.01, "betas": [0.9, 0.9], "weight_decay": 0.05}),
    ("radam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("adamp", {}),
    ("adamp", {"lr": 0.01, "betas": [0.8, 0.99], "weight_decay": 0.1, "nesterov": True}),
]


@pytest.mark.parametrize("name,hyper", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_update_rule_matches_published_algorithm(name, hyper):
    rng = np.random.default_rng(42)
    p0 = rng.normal(size=5)
    grads = [rng.normal(size=5) * (1 + t % 7) for t in range(150)]   # varied scales exercise the adaptivity
    opt = Optimizer(name, hyper)
    p = p0.copy()
    state, scalars = opt.init_state(p.size)
    ours = []
    for t, g in enumerate(grads, 1):
        optim.step(opt.family, p, g, state, scalars, opt.hp, t)
        ours.append(p.copy())
    kwargs = {k: (tuple(v) if k == "betas" else v) for k, v in hyper.items()}
    reference = list(REFERENCES[name](p0.copy(), grads, **kwargs))
    np.testing.assert_allclose(np.array(ours), np.array(reference), rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[-1], p0)   # the optimizer did move


def test_every_optimizer_has_a_reference_and_cases():
    assert set(OPTIMIZERS) == set(REFERENCES)
    assert {n for n, _ in CASES} == set(OPTIMIZERS)


@pytest.mark.parametrize("name,expected", [
    ("sgd", {"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}),
    ("momentum", {"momentum": 0.9, "nesterov": False}),
    ("nag", {"momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.01, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10}),
    ("adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}),
    ("adam", {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False}),
    ("adamw", {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False}),
    ("nadam", {"lr": 0.002, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 0.004}),
    ("radam", {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
    ("adamax", {"lr": 0.002, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}),
    ("adamp", {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "delta": 0.1, "wd_ratio": 0.1,
               "nesterov": False}),
])
def test_defaults_are_pytorchs(name, expected):
    defaults = OPTIMIZERS[name].defaults()
    for key, value in expected.items():
        assert defaults[key] == value, key
    if name in ("sgd", "momentum", "nag"):
        assert defaults["lr"] is None   # required, as in torch.optim.SGD
