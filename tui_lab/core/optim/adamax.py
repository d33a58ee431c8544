"""Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

    g <- g + wd * p
    m <- lerp(m, g, 1 - beta1);  u <- max(beta2 * u, |g| + eps)
    p <- p - lr / (1 - beta1^t) * m / u
"""

from numba import njit

from .base import BETAS, EPS, LR, WEIGHT_DECAY, OptimizerSpec, lerp, with_default

# hp layout: lr, beta1, beta2, eps, weight_decay


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    m, u = state[0], state[1]
    clr = lr / (1.0 - beta1 ** float(t))
    for i in range(p.shape[0]):
        gi = g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        m[i] = lerp(m[i], gi, 1.0 - beta1)
        u[i] = max(u[i] * beta2, abs(gi) + eps)
        p[i] = p[i] + (-clr) * m[i] / u[i]


SPECS = (
    OptimizerSpec("adamax", (with_default(LR, 0.002), BETAS, EPS, WEIGHT_DECAY),
                  slots=2, summary="Adam with the infinity norm in the denominator"),
)
