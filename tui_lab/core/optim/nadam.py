"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum and a momentum warm-up schedule.

    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)),  prod_t = mu_1 ... mu_t
    m <- lerp(m, g, 1 - beta1);  v <- beta2 * v + (1 - beta2) * g^2
    denom = sqrt(v / (1 - beta2^t)) + eps
    p <- p - lr (1 - mu_t) / (1 - prod_t) * g / denom - lr mu_{t+1} / (1 - prod_t mu_{t+1}) * m / denom
"""

import math

from numba import njit

from .base import BETAS, DECOUPLED, EPS, LR, WEIGHT_DECAY, Hyper, OptimizerSpec, adam_moments, with_default

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
                   Hyper("momentum_decay", 0.004, help="momentum schedule rate"), DECOUPLED),
                  slots=2, scalars=1, summary="Adam with Nesterov look-ahead"),
)
