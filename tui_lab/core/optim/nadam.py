"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and a momentum warm-up schedule.

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  prod_t = mu_1 ... mu_t
    m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g^2
    denom = sqrt(v / (1 - beta2^t)) + eps
    p <- p - lr (1 - mu_t) / (1 - prod_t) * g / denom - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / denom
"""

import math

import numpy as np
from numba import njit

from .base import BETAS, DECOUPLED, EPS, LR, WEIGHT_DECAY, Hyper, OptimizerSpec, adam_moments, with_default
from . import explain as ex
from .explain import fmt, num
from ...i18n import N_

# hp layout: lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay; scalars[0]: product of mu


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, beta1, beta2, eps, wd, momentum_decay, decoupled = hp[0], hp[1], hp[2], hp[3], hp[4], hp[5], hp[6]
    m, v = state[0], state[1]
    bias_correction2 = 1.0 - beta2 ** float(t)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (float(t) * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((float(t) + 1.0) * momentum_decay)))
    scalars[0] = scalars[0] * mu
    mu_product = scalars[0]
    mu_product_next = mu_product * mu_next
    grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
    avg_coef = (-lr * mu_next) / (1.0 - mu_product_next)
    for i in range(p.shape[0]):
        p[i], gi, m[i], v[i] = adam_moments(p[i], g[i], m[i], v[i], lr, wd, decoupled, beta1, beta2)
        denom = math.sqrt(v[i] / bias_correction2) + eps
        p[i] = p[i] + grad_coef * gi / denom
        p[i] = p[i] + avg_coef * m[i] / denom


SPECS = (
    OptimizerSpec("nadam",
                  (with_default(LR, 0.002), BETAS, EPS, WEIGHT_DECAY,
                   Hyper("momentum_decay", 0.004, help=N_("momentum schedule rate")), DECOUPLED),
                  slots=2, scalars=1, summary=N_("Adam with Nesterov look-ahead")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (μ_t: the momentum schedule, ψ: momentum_decay,
    Π_t = μ_1 ... μ_t); see explain.py."""
    lr, (beta1, beta2), eps, psi = h["lr"], h["betas"], h["eps"], h["momentum_decay"]
    ex.adam_notes(out, h, f", ψ = {psi}" + (" (decoupled)" if h["decoupled_weight_decay"] and h["weight_decay"] else ""))
    t = 0 if s is None else s.t
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (float(t) * psi)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((float(t) + 1.0) * psi)))
    out.line("mu", "μ_t = β₁ (1 - ½·0.96^(t ψ))", lambda: (f"{num(beta1)}·(1 - 0.5·0.96^({t}·{num(psi)}))", mu))
    out.line("mu_next", "μ_{t+1} = β₁ (1 - ½·0.96^((t+1) ψ))",
             lambda: (f"{num(beta1)}·(1 - 0.5·0.96^({t + 1}·{num(psi)}))", mu_next))
    prod0 = None if s is None else s.scalars_before[0]
    prod = None if s is None else s.scalars[0]
    out.line("prod", "Π_t = Π_{t-1} μ_t", lambda: (f"{num(prod0)}·{num(mu)}", prod))
    g, w, m, v = ex.adam_moments(out, lr, beta1, beta2, h["weight_decay"], h["decoupled_weight_decay"])
    denom = None if s is None else np.sqrt(v / (1.0 - beta2 ** float(t))) + eps
    out.line("denom", "σ_t = √(v_t / (1 - β₂^t)) + ε", lambda: (f"√({fmt(v)} / (1 - {num(beta2)}^{t})) + {num(eps)}", denom))
    grad_coef = None if s is None else lr * (1.0 - mu) / (1.0 - prod)
    avg_coef = None if s is None else lr * mu_next / (1.0 - prod * mu_next)
    out.result("W_{t+1} = W_t - η (1 - μ_t) / (1 - Π_t) · g_t / σ_t - η μ_{t+1} / (1 - Π_t μ_{t+1}) · m_t / σ_t",
               lambda: f"{fmt(w)} - {num(grad_coef)}·{fmt(g)} / {fmt(denom)} - {num(avg_coef)}·{fmt(m)} / {fmt(denom)}")
