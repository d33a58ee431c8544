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
                  slots=2, summary="Adam with a rectified warm-up of the adaptive step"),
)
