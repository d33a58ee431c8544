"""Adadelta (torch.optim.Adadelta): steps in units of past updates, no tuned learning rate.

    g <- g + wd * p
    v <- rho * v + (1 - rho) * g^2
    d = sqrt(u + eps) / sqrt(v + eps) * g
    u <- rho * u + (1 - rho) * d^2
    p <- p - lr * d
"""

import math

import numpy as np
from numba import njit

from .base import LR, WEIGHT_DECAY, Hyper, OptimizerSpec, with_default
from .explain import fmt, num
from ...i18n import N_, tr

# hp layout: lr, rho, eps, weight_decay


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, rho, eps, wd = hp[0], hp[1], hp[2], hp[3]
    square_avg = state[0]
    acc_delta = state[1]
    for i in range(p.shape[0]):
        gi = g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        square_avg[i] = square_avg[i] * rho + (1.0 - rho) * gi * gi
        std = math.sqrt(square_avg[i] + eps)
        delta = math.sqrt(acc_delta[i] + eps)
        delta = delta / std * gi
        acc_delta[i] = acc_delta[i] * rho + (1.0 - rho) * delta * delta
        p[i] = p[i] + (-lr) * delta


SPECS = (
    OptimizerSpec(
        "adadelta",
        (with_default(LR, 1.0),
         Hyper("rho", 0.9, high=1.0, help=N_("decay of the running averages")),
         Hyper("eps", 1e-6, low_open=True, help=N_("added inside both square roots")),
         WEIGHT_DECAY),
        slots=2, summary=N_("unit-correct steps without a tuned learning rate")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (G_t: running mean of g², H_t: of the updates², γ: rho);
    torch adds a learning rate η (1.0 leaves the original method); see explain.py."""
    lr, rho, eps, wd = h["lr"], h["rho"], h["eps"], h["weight_decay"]
    out.note(f"η = {lr}" + (" " + tr("(1: the original Adadelta)") if lr == 1.0 else "") + f", γ = {rho}, ε = {eps}"
             + (f", λ = {wd}" if wd else ""))
    g = out.gradient()
    g = out.l2_gradient(wd, g)
    G0, G, H0, H = out.old(0), out.new(0), out.old(1), out.new(1)
    out.line("G", "G_t = γ G_{t-1} + (1 - γ) g_t²", lambda: (f"{num(rho)}·{fmt(G0)} + {num(1.0 - rho)}·{fmt(g)}²", G))
    dw = None if s is None else np.sqrt(H0 + eps) / np.sqrt(G + eps) * g
    out.line("dW", "ΔW_t = √(H_{t-1} + ε) / √(G_t + ε) · g_t",
             lambda: (f"√({fmt(H0)} + {num(eps)}) / √({fmt(G)} + {num(eps)})·{fmt(g)}", dw))
    out.line("H", "H_t = γ H_{t-1} + (1 - γ) ΔW_t²", lambda: (f"{num(rho)}·{fmt(H0)} + {num(1.0 - rho)}·{fmt(dw)}²", H))
    out.result("W_{t+1} = W_t - η ΔW_t", lambda: f"{fmt(s.w[s.idx])} - {num(lr)}·{fmt(dw)}")
