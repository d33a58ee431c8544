"""Adam and AdamW (torch.optim.Adam / AdamW), with AMSGrad.

    adam:  g <- g + wd * p          adamw: p <- p * (1 - lr * wd)   (decoupled)
    m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g^2
    amsgrad: vmax <- max(vmax, v), used in place of v
    p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
"""

import math

import numpy as np
from numba import njit

from .base import BETAS, DECOUPLED, EPS, LR, Hyper, OptimizerSpec, adam_moments, with_default
from . import explain as ex
from .explain import fmt, num
from ...i18n import N_

# hp layout: lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled_weight_decay


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, beta1, beta2, eps, wd, amsgrad, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6]
    m, v, vmax = state[0], state[1], state[2]
    bias_correction1 = 1.0 - beta1 ** float(t)
    bias_correction2 = 1.0 - beta2 ** float(t)
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    for i in range(p.shape[0]):
        p[i], gi, m[i], v[i] = adam_moments(p[i], g[i], m[i], v[i], lr, wd, decoupled, beta1, beta2)
        if amsgrad != 0.0:
            vmax[i] = max(vmax[i], v[i])
            denom = math.sqrt(vmax[i]) / bias_correction2_sqrt + eps
        else:
            denom = math.sqrt(v[i]) / bias_correction2_sqrt + eps
        p[i] = p[i] + (-step_size) * m[i] / denom


def _spec(name: str, wd_default: float, decoupled: bool, summary: str) -> OptimizerSpec:
    return OptimizerSpec(
        name,
        (with_default(LR, 0.001), BETAS, EPS,
         Hyper("weight_decay", wd_default,
               help=N_("decoupled weight decay (p <- p(1 - lr wd))") if decoupled else N_("L2 penalty added to the gradient")),
         Hyper("amsgrad", False, kind="bool", help=N_("use the running maximum of the second moment")),
         with_default(DECOUPLED, decoupled)),
        slots=3, summary=summary)


SPECS = (
    _spec("adam", 0.0, False, N_("momentum plus per-coordinate RMS scaling, bias-corrected")),
    _spec("adamw", 0.01, True, N_("Adam with decoupled weight decay")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (m̂_t, v̂_t: the bias-corrected moments); see explain.py."""
    lr, (beta1, beta2), eps = h["lr"], h["betas"], h["eps"]
    ex.adam_notes(out, h, " (decoupled)" if h["decoupled_weight_decay"] and h["weight_decay"] else "")
    g, w, m, v = ex.adam_moments(out, lr, beta1, beta2, h["weight_decay"], h["decoupled_weight_decay"])
    t = 0 if s is None else s.t
    m_hat = None if s is None else m / (1.0 - beta1 ** t)
    out.line("m_hat", "m̂_t = m_t / (1 - β₁^t)", lambda: (f"{fmt(m)} / (1 - {num(beta1)}^{t})", m_hat))
    v_used, v_symbol = v, "v_t"
    if h["amsgrad"]:
        vmax0, v_used = out.old(2), out.new(2)
        out.line("v_max", "v_t^max = max(v_{t-1}^max, v_t)  (AMSGrad)", lambda: (f"max({fmt(vmax0)}, {fmt(v)})", v_used))
        v_symbol = "v_t^max"
    v_hat = None if s is None else v_used / (1.0 - beta2 ** t)
    out.line("v_hat", f"v̂_t = {v_symbol} / (1 - β₂^t)", lambda: (f"{fmt(v_used)} / (1 - {num(beta2)}^{t})", v_hat))
    out.result("W_{t+1} = W_t - η m̂_t / (√v̂_t + ε)",
               lambda: f"{fmt(w)} - {num(lr)}·{fmt(m_hat)} / ({fmt(np.sqrt(v_hat))} + {num(eps)})")
