"""Adagrad (torch.optim.Adagrad): per-coordinate steps shrink with the summed squared gradients.

    g <- g + wd * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s <- s + g^2
    p <- p - clr * g / (sqrt(s) + eps)
"""

import math

from numba import njit

from .base import WEIGHT_DECAY, Hyper, OptimizerSpec, with_default, LR

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
         Hyper("lr_decay", 0.0, help="learning-rate decay per step"),
         WEIGHT_DECAY,
         Hyper("initial_accumulator_value", 0.0, help="starting value of the squared-gradient sum"),
         Hyper("eps", 1e-10, low_open=True, help="added to the denominator")),
        slots=1, summary="steps shrink as squared gradients accumulate"),
)
