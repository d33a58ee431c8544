"""SGD with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).

    g <- g + wd * p
    b <- g                          on the first step
    b <- momentum * b + (1 - dampening) * g   afterwards
    g <- g + momentum * b  (nesterov)   or   g <- b
    p <- p - lr * g
"""

from numba import njit

from .base import LR, WEIGHT_DECAY, Hyper, OptimizerSpec, with_default
from .explain import fmt, num
from ...i18n import N_, tr

# hp layout: lr, momentum, dampening, weight_decay, nesterov


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, momentum, dampening, wd, nesterov = hp[0], hp[1], hp[2], hp[3], hp[4]
    buf = state[0]
    for i in range(p.shape[0]):
        gi = g[i]
        if wd != 0.0:
            gi = gi + wd * p[i]
        if momentum != 0.0:
            if t == 1:
                buf[i] = gi
            else:
                buf[i] = buf[i] * momentum + (1.0 - dampening) * gi
            if nesterov != 0.0:
                gi = gi + momentum * buf[i]
            else:
                gi = buf[i]
        p[i] = p[i] + (-lr) * gi


def _check(h: dict) -> str | None:
    if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
        return "nesterov: " + tr("Nesterov momentum requires a momentum > 0 and zero dampening")
    return None


def _spec(name: str, momentum: float, nesterov: bool, lr_default, summary: str) -> OptimizerSpec:
    return OptimizerSpec(
        name,
        (with_default(LR, lr_default),
         Hyper("momentum", momentum, help=N_("momentum factor")),
         Hyper("dampening", 0.0, high=1.0, help=N_("dampening for momentum")),
         WEIGHT_DECAY,
         Hyper("nesterov", nesterov, kind="bool", help=N_("Nesterov's look-ahead momentum"))),
        slots=1, summary=summary, check=_check)


SPECS = (
    _spec("sgd", 0.0, False, None, N_("plain gradient descent")),
    _spec("momentum", 0.9, False, None, N_("SGD with heavy-ball momentum 0.9")),
    _spec("nag", 0.9, True, None, N_("SGD with Nesterov momentum 0.9")),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (a_t: the momentum buffer, β: momentum); see explain.py."""
    lr, beta, damp, wd = h["lr"], h["momentum"], h["dampening"], h["weight_decay"]
    out.note(f"η = {lr}" + (f", β = {beta}" if beta else "") + (f", τ = {damp} " + tr("(dampening)") if damp else "")
             + (f", λ = {wd}" if wd else ""))
    g = out.gradient()
    g = out.l2_gradient(wd, g)
    d, d_rule = g, "g_t"
    if beta != 0.0:
        a0, a = out.old(0), out.new(0)
        if s is not None and s.t == 1:
            out.line("a", N_("a_t = g_t  (first step)"), lambda: (fmt(g), a))
        else:
            if damp:
                out.line("a", "a_t = β a_{t-1} + (1 - τ) g_t",
                         lambda: (f"{num(beta)}·{fmt(a0)} + {num(1.0 - damp)}·{fmt(g)}", a))
            else:
                out.line("a", "a_t = β a_{t-1} + g_t", lambda: (f"{num(beta)}·{fmt(a0)} + {fmt(g)}", a))
        if s is not None:
            out.arrow("momentum", -a)
        if h["nesterov"]:
            out.line("d", "d_t = g_t + β a_t  (Nesterov, torch's form)",
                     lambda: (f"{fmt(g)} + {num(beta)}·{fmt(a)}", g + beta * a))
            d, d_rule = (None if s is None else g + beta * a), "d_t"
        else:
            d, d_rule = a, "a_t"
    out.result(f"W_{{t+1}} = W_t - η {d_rule}", lambda: f"{fmt(s.w[s.idx])} - {num(lr)}·{fmt(d)}")
