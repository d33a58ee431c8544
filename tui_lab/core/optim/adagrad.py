"""Adagrad (torch.optim.Adagrad): per-coordinate steps shrink with the summed squared gradients.

    g <- g + wd * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s <- s + g^2
    p <- p - clr * g / (sqrt(s) + eps)
"""

import math

import numpy as np
from numba import njit

from .base import WEIGHT_DECAY, Hyper, OptimizerSpec, with_default, LR
from .explain import fmt, num
from ...i18n import N_

# hp layout: lr, lr_decay, weight_decay, initial_accumulator_value, eps


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, lr_decay, wd, eps = hp[0], hp[1], hp[2], hp[4]
    clr = lr / (1.0 + (float(t) - 1.0) * lr_decay)
    acc = state[0]
    for i in range(p.shape[0]):
        gi = g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        acc[i] = acc[i] + 1.0 * gi * gi
        std = math.sqrt(acc[i]) + eps
        p[i] = p[i] + (-clr) * gi / std


SPECS = (
    OptimizerSpec(
        "adagrad",
        (with_default(LR, 0.01),
         Hyper("lr_decay", 0.0, help=N_("learning-rate decay per step")),
         WEIGHT_DECAY,
         Hyper("initial_accumulator_value", 0.0, help=N_("starting value of the squared-gradient sum")),
         Hyper("eps", 1e-10, low_open=True, help=N_("added to the denominator"))),
        slots=1, summary=N_("steps shrink as squared gradients accumulate")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (G_t: the sum of squared gradients); see explain.py."""
    lr, decay, wd, eps = h["lr"], h["lr_decay"], h["weight_decay"], h["eps"]
    out.note(f"η = {lr}, ε = {eps}" + (f", λ = {wd}" if wd else "") + (f", lr_decay = {decay}" if decay else "")
             + (f", G_0 = {h['initial_accumulator_value']}" if h["initial_accumulator_value"] else ""))
    g = out.gradient()
    g = out.l2_gradient(wd, g)
    eta, eta_symbol = lr, "η"
    if decay != 0.0:
        eta = None if s is None else lr / (1.0 + (float(s.t) - 1.0) * decay)
        out.line("eta", "η_t = η / (1 + (t - 1) lr_decay)", lambda: (f"{num(lr)} / (1 + {s.t - 1}·{num(decay)})", eta))
        eta_symbol = "η_t"
    G0, G = out.old(0), out.new(0)
    out.line("G", "G_t = G_{t-1} + g_t²", lambda: (f"{fmt(G0)} + {fmt(g)}²", G))
    out.result(f"W_{{t+1}} = W_t - {eta_symbol} g_t / (√G_t + ε)",
               lambda: f"{fmt(s.w[s.idx])} - {num(eta)}·{fmt(g)} / ({fmt(np.sqrt(G))} + {num(eps)})")
