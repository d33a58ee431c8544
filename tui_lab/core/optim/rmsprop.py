"""RMSprop (torch.optim.RMSprop), optionally centered and with momentum.

    g <- g + wd * p
    v <- alpha * v + (1 - alpha) * g^2
    centered: m <- lerp(m, g, 1 - alpha);  avg = sqrt(v - m^2) + eps   else avg = sqrt(v) + eps
    momentum > 0: b <- momentum * b + g / avg;  p <- p - lr * b
    else:         p <- p - lr * g / avg
"""

import math

import numpy as np
from numba import njit

from .base import LR, WEIGHT_DECAY, Hyper, OptimizerSpec, lerp, with_default
from .explain import fmt, num
from ...i18n import N_

# hp layout: lr, alpha, eps, weight_decay, momentum, centered


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, alpha, eps, wd, momentum, centered = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5]
    square_avg, grad_avg, buf = state[0], state[1], state[2]
    for i in range(p.shape[0]):
        gi = g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        square_avg[i] = square_avg[i] * alpha + (1.0 - alpha) * gi * gi
        if centered != 0.0:
            grad_avg[i] = lerp(grad_avg[i], gi, 1.0 - alpha)
            avg = math.sqrt(square_avg[i] + (-1.0) * grad_avg[i] * grad_avg[i])
        else:
            avg = math.sqrt(square_avg[i])
        avg = avg + eps
        if momentum > 0.0:
            buf[i] = buf[i] * momentum + 1.0 * gi / avg
            p[i] = p[i] + (-lr) * buf[i]
        else:
            p[i] = p[i] + (-lr) * gi / avg


SPECS = (
    OptimizerSpec(
        "rmsprop",
        (with_default(LR, 0.01),
         Hyper("alpha", 0.99, high=1.0, help=N_("smoothing constant of the squared-gradient average")),
         Hyper("eps", 1e-8, low_open=True, help=N_("added to the denominator")),
         WEIGHT_DECAY,
         Hyper("momentum", 0.0, help=N_("momentum factor")),
         Hyper("centered", False, kind="bool", help=N_("normalize by the estimated gradient variance"))),
        slots=3, summary=N_("divides by a running RMS of the gradient")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (G_t: running mean of g², γ: alpha, ḡ_t: running mean
    of g when centered, b_t: the momentum buffer); see explain.py."""
    lr, alpha, eps, wd, beta, centered = h["lr"], h["alpha"], h["eps"], h["weight_decay"], h["momentum"], h["centered"]
    out.note(f"η = {lr}, γ = {alpha}, ε = {eps}" + (f", λ = {wd}" if wd else "") + (f", β = {beta}" if beta else ""))
    g = out.gradient()
    g = out.l2_gradient(wd, g)
    G0, G = out.old(0), out.new(0)
    out.line("G", "G_t = γ G_{t-1} + (1 - γ) g_t²", lambda: (f"{num(alpha)}·{fmt(G0)} + {num(1.0 - alpha)}·{fmt(g)}²", G))
    if centered:
        m0, m = out.old(1), out.new(1)
        out.line("gbar", "ḡ_t = γ ḡ_{t-1} + (1 - γ) g_t  (centered)",
                 lambda: (f"{num(alpha)}·{fmt(m0)} + {num(1.0 - alpha)}·{fmt(g)}", m))
        denom = None if s is None else np.sqrt(G + (-1.0) * m * m) + eps
        out.line("denom", "σ_t = √(G_t - ḡ_t²) + ε", lambda: (f"√({fmt(G)} - {fmt(m)}²) + {num(eps)}", denom))
    else:
        denom = None if s is None else np.sqrt(G) + eps
        out.line("denom", "σ_t = √G_t + ε", lambda: (f"√{fmt(G)} + {num(eps)}", denom))
    if beta > 0.0:
        b0, b = out.old(2), out.new(2)
        out.line("b", "b_t = β b_{t-1} + g_t / σ_t", lambda: (f"{num(beta)}·{fmt(b0)} + {fmt(g)} / {fmt(denom)}", b))
        if s is not None:
            out.arrow("momentum", -b)
        out.result("W_{t+1} = W_t - η b_t", lambda: f"{fmt(s.w[s.idx])} - {num(lr)}·{fmt(b)}")
    else:
        out.result("W_{t+1} = W_t - η g_t / σ_t", lambda: f"{fmt(s.w[s.idx])} - {num(lr)}·{fmt(g)} / {fmt(denom)}")
