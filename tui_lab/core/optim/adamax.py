"""Adamax (torch.optim.Adamax): Adam with an infinity-norm second moment.

    g <- g + wd * p
    m <- lerp(m, g, 1 - beta1);  u <- max(beta2 * u, |g| + eps)
    p <- p - lr / (1 - beta1^t) * m / u
"""

from numba import njit

from .base import BETAS, EPS, LR, WEIGHT_DECAY, OptimizerSpec, lerp, with_default
from . import explain as ex
from .explain import fmt, num
from ...i18n import N_

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
                  slots=2, summary=N_("Adam with the infinity norm in the denominator")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (u_t: the infinity-norm second moment); see explain.py."""
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    ex.adam_notes(out, h)
    g = out.gradient()
    g = out.l2_gradient(wd, g)
    m0, m, u0, u = out.old(0), out.new(0), out.old(1), out.new(1)
    out.line("m", "m_t = β₁ m_{t-1} + (1 - β₁) g_t", lambda: (f"{num(beta1)}·{fmt(m0)} + {num(1.0 - beta1)}·{fmt(g)}", m))
    if s is not None:
        out.arrow("momentum", -m)
    out.line("u", "u_t = max(β₂ u_{t-1}, |g_t| + ε)", lambda: (f"max({num(beta2)}·{fmt(u0)}, |{fmt(g)}| + {num(eps)})", u))
    t = 0 if s is None else s.t
    out.result("W_{t+1} = W_t - η / (1 - β₁^t) · m_t / u_t",
               lambda: f"{fmt(s.w[s.idx])} - {num(lr)} / (1 - {num(beta1)}^{t})·{fmt(m)} / {fmt(u)}")
