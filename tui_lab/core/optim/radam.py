"""RAdam (torch.optim.RAdam): Adam whose adaptive step is switched on once the variance
of the second-moment estimate is tractable (rho_t > 5), and rectified until then.

    m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g^2
    rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
    rho_t > 5: p <- p - m/(1-beta1^t) * lr * sqrt(1-beta2^t)/(sqrt(v)+eps) * r_t
    else:      p <- p - m/(1-beta1^t) * lr
"""

import math

from numba import njit

from .base import BETAS, DECOUPLED, EPS, LR, WEIGHT_DECAY, OptimizerSpec, adam_moments, with_default
from . import explain as ex
from .explain import fmt, num
from ...i18n import N_

# hp layout: lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, beta1, beta2, eps, wd, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5]
    m, v = state[0], state[1]
    bias_correction1 = 1.0 - beta1 ** float(t)
    bias_correction2 = 1.0 - beta2 ** float(t)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * float(t) * (beta2 ** float(t)) / bias_correction2
    rectified = rho_t > 5.0
    rect = 0.0
    if rectified:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    for i in range(p.shape[0]):
        p[i], gi, m[i], v[i] = adam_moments(p[i], g[i], m[i], v[i], lr, wd, decoupled, beta1, beta2)
        corrected = m[i] / bias_correction1
        if rectified:
            adaptive = bias_correction2 ** 0.5 / (math.sqrt(v[i]) + eps)
            p[i] = p[i] + (-1.0) * (corrected * lr * adaptive * rect)
        else:
            p[i] = p[i] + (-1.0) * (corrected * lr)


SPECS = (
    OptimizerSpec("radam", (with_default(LR, 0.001), BETAS, EPS, WEIGHT_DECAY, DECOUPLED),
                  slots=2, summary=N_("Adam with a rectified warm-up of the adaptive step")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (ρ_t: the length of the approximated moving average,
    r_t: the rectification); see explain.py."""
    lr, (beta1, beta2), eps = h["lr"], h["betas"], h["eps"]
    ex.adam_notes(out, h, " (decoupled)" if h["decoupled_weight_decay"] and h["weight_decay"] else "")
    g, w, m, v = ex.adam_moments(out, lr, beta1, beta2, h["weight_decay"], h["decoupled_weight_decay"])
    t = 0 if s is None else s.t
    m_hat = None if s is None else m / (1.0 - beta1 ** float(t))
    out.line("m_hat", "m̂_t = m_t / (1 - β₁^t)", lambda: (f"{fmt(m)} / (1 - {num(beta1)}^{t})", m_hat))
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    bc2 = 1.0 - beta2 ** float(t)
    rho_t = rho_inf - 2.0 * float(t) * (beta2 ** float(t)) / bc2 if s is not None else None
    out.line("rho", "ρ_t = ρ_∞ - 2 t β₂^t / (1 - β₂^t),  ρ_∞ = 2 / (1 - β₂) - 1",
             lambda: (f"{num(rho_inf)} - 2·{t}·{num(beta2)}^{t} / (1 - {num(beta2)}^{t})", rho_t))
    if s is None:
        out.line("W_next", "ρ_t > 5: W_{t+1} = W_t - η m̂_t r_t √(1 - β₂^t) / (√v_t + ε),  "
                           "r_t = √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))")
        out.line("W_next", N_("ρ_t ≤ 5: W_{t+1} = W_t - η m̂_t  (no adaptive step yet)"))
        return
    if rho_t > 5.0:
        rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
        out.line("r", "ρ_t > 5: r_t = √((ρ_t - 4)(ρ_t - 2) ρ_∞ / ((ρ_∞ - 4)(ρ_∞ - 2) ρ_t))",
                 lambda: (f"√(({num(rho_t)} - 4)({num(rho_t)} - 2)·{num(rho_inf)} / "
                          f"(({num(rho_inf)} - 4)({num(rho_inf)} - 2)·{num(rho_t)}))", rect))
        out.result("W_{t+1} = W_t - η m̂_t r_t √(1 - β₂^t) / (√v_t + ε)",
                   lambda: f"{fmt(w)} - {num(lr)}·{fmt(m_hat)}·{num(rect)}·√{num(bc2)} / (√{fmt(v)} + {num(eps)})")
    else:
        out.result(N_("ρ_t ≤ 5: W_{t+1} = W_t - η m̂_t  (no adaptive step yet)"),
                   lambda: f"{fmt(w)} - {num(lr)}·{fmt(m_hat)}")
