"""Adadelta (torch.optim.Adadelta): steps in units of past updates, no tuned learning rate.

    g <- g + wd * p
    v <- rho * v + (1 - rho) * g^2
    d = sqrt(u + eps) / sqrt(v + eps) * g
    u <- rho * u + (1 - rho) * d^2
    p <- p - lr * d
"""

import math

from numba import njit

from .base import LR, WEIGHT_DECAY, Hyper, OptimizerSpec, with_default

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
         Hyper("rho", 0.9, high=1.0, help="decay of the running averages"),
         Hyper("eps", 1e-6, low_open=True, help="added inside both square roots"),
         WEIGHT_DECAY),
        slots=2, summary="unit-correct steps without a tuned learning rate"),
)
