"""RMSprop (torch.optim.RMSprop), optionally centered and with momentum.

    g <- g + wd * p
    v <- alpha * v + (1 - alpha) * g^2
    centered: m <- lerp(m, g, 1 - alpha);  avg = sqrt(v - m^2) + eps   else avg = sqrt(v) + eps
    momentum > 0: b <- momentum * b + g / avg;  p <- p - lr * b
    else:         p <- p - lr * g / avg
"""

import math

from numba import njit

from .base import LR, WEIGHT_DECAY, Hyper, OptimizerSpec, lerp, with_default

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
         Hyper("alpha", 0.99, high=1.0, help="smoothing constant of the squared-gradient average"),
         Hyper("eps", 1e-8, low_open=True, help="added to the denominator"),
         WEIGHT_DECAY,
         Hyper("momentum", 0.0, help="momentum factor"),
         Hyper("centered", False, kind="bool", help="normalize by the estimated gradient variance")),
        slots=3, summary="divides by a running RMS of the gradient"),
)
