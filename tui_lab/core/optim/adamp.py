"""AdamP (Heo et al. 2021), as the authors' package `adamp.AdamP` computes it.

Adam's step direction, then, on a matrix whose gradient is almost orthogonal to the weights
(the scale-invariant case, e.g. weights before a normalisation layer), the radial part of the
step is projected out, so the step no longer inflates the weight norm; weight decay is
decoupled and, where the projection acted, scaled by wd_ratio:

    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2
    denom = sqrt(v) / sqrt(1 - beta2^t) + eps
    d = m / denom   (nesterov: d = (beta1 m + (1 - beta1) g) / denom)
    on a matrix (>= 2 dimensions), for each view in (per channel, whole tensor):
        if max over the view's rows of |cos(g, p)| < delta / sqrt(row length):
            p_n = p / (|p|_row + eps);  d <- d - p_n <p_n, d>_row;  wd scaled by wd_ratio; stop
    p <- p (1 - lr wd ratio)  (when wd > 0);  p <- p - lr / (1 - beta1^t) * d

Vectors (biases, batch-norm parameters) take the plain Adam step, as in the reference. Which
entries of the flat parameter vector form a matrix, and its channels, is written into the
state by `mark_tensors` (see base.ParamTensor); entries not in any matrix are vectors.
"""

import math

import numpy as np
from numba import njit

from . import explain as ex
from .base import BETAS, EPS, LR, Hyper, OptimizerSpec, with_default
from .explain import fmt, num
from ...i18n import N_, tr

# hp layout: lr, beta1, beta2, eps, weight_decay, delta, wd_ratio, nesterov
# state slots. Per entry: the moments, the step direction d after any projection, the entry's
# channel row and tensor (-1: a vector entry). Per tensor (indexed by tensor number): its
# channel length and size, then the step's scratch sums, the largest channel |cos| and the
# view that projected (0 none, 1 channel, 2 whole tensor).
M, V, DIRECTION, ROW, TENSOR, CHANNEL_SIZE, TENSOR_SIZE = range(7)
ROW_GP, ROW_GG, ROW_PP, ROW_DOT, TENSOR_GP, TENSOR_GG, TENSOR_PP, TENSOR_DOT, CHANNEL_COS, VIEW = range(7, 17)
NO_PROJECTION, CHANNEL_VIEW, LAYER_VIEW = 0, 1, 2


@njit(cache=True, nogil=True, inline="always")
def cosine(xy, xx, yy, eps):
    """torch.nn.functional.cosine_similarity from the sums x.y, x.x, y.y (norms clamped at eps)."""
    return xy / (max(math.sqrt(xx), eps) * max(math.sqrt(yy), eps))


@njit(cache=True, nogil=True, inline="always")
def update(p, g, state, scalars, hp, t):
    lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
    delta, wd_ratio, nesterov = hp[5], hp[6], hp[7]
    m, v, d, row, tensor = state[M], state[V], state[DIRECTION], state[ROW], state[TENSOR]
    bias_correction1 = 1.0 - beta1 ** float(t)
    bias_correction2 = 1.0 - beta2 ** float(t)
    step_size = lr / bias_correction1
    n = p.shape[0]
    state[ROW_GP:, :] = 0.0
    for i in range(n):
        gi = g[i]
        m[i] = m[i] * beta1 + (1.0 - beta1) * gi
        v[i] = v[i] * beta2 + (1.0 - beta2) * gi * gi
        denom = math.sqrt(v[i]) / math.sqrt(bias_correction2) + eps
        if nesterov != 0.0:
            d[i] = (beta1 * m[i] + (1.0 - beta1) * gi) / denom
        else:
            d[i] = m[i] / denom
        if row[i] >= 0.0:
            r, k = int(row[i]), int(tensor[i])
            state[ROW_GP, r] += gi * p[i]
            state[ROW_GG, r] += gi * gi
            state[ROW_PP, r] += p[i] * p[i]
            state[TENSOR_GP, k] += gi * p[i]
            state[TENSOR_GG, k] += gi * gi
            state[TENSOR_PP, k] += p[i] * p[i]
    for i in range(n):              # the largest channel |cos| of each tensor
        if row[i] >= 0.0:
            r, k = int(row[i]), int(tensor[i])
            c = abs(cosine(state[ROW_GP, r], state[ROW_GG, r], state[ROW_PP, r], eps))
            state[CHANNEL_COS, k] = max(state[CHANNEL_COS, k], c)
    for i in range(n):              # which view projects each tensor, and the projections' dot products
        if row[i] >= 0.0:
            r, k = int(row[i]), int(tensor[i])
            if state[CHANNEL_COS, k] < delta / math.sqrt(state[CHANNEL_SIZE, k]):
                state[VIEW, k] = CHANNEL_VIEW
                state[ROW_DOT, r] += p[i] / (math.sqrt(state[ROW_PP, r]) + eps) * d[i]
            elif abs(cosine(state[TENSOR_GP, k], state[TENSOR_GG, k], state[TENSOR_PP, k], eps)) \
                    < delta / math.sqrt(state[TENSOR_SIZE, k]):
                state[VIEW, k] = LAYER_VIEW
                state[TENSOR_DOT, k] += p[i] / (math.sqrt(state[TENSOR_PP, k]) + eps) * d[i]
    for i in range(n):
        ratio = 1.0
        if row[i] >= 0.0:
            r, k = int(row[i]), int(tensor[i])
            if state[VIEW, k] == CHANNEL_VIEW:
                d[i] = d[i] - p[i] / (math.sqrt(state[ROW_PP, r]) + eps) * state[ROW_DOT, r]
                ratio = wd_ratio
            elif state[VIEW, k] == LAYER_VIEW:
                d[i] = d[i] - p[i] / (math.sqrt(state[TENSOR_PP, k]) + eps) * state[TENSOR_DOT, k]
                ratio = wd_ratio
        if wd > 0.0:
            p[i] = p[i] * (1.0 - lr * wd * ratio)
        p[i] = p[i] + (-step_size) * d[i]


def mark_tensors(state: np.ndarray, tensors) -> None:
    """Write which entries form which matrix and channel (every other entry is a vector)."""
    state[ROW, :] = -1.0
    state[TENSOR, :] = -1.0
    rows = 0
    for k, tensor in enumerate(tensors):
        idx = tensor.indices()
        state[ROW, idx] = rows + np.arange(tensor.channels)[:, None]
        state[TENSOR, idx] = k
        state[CHANNEL_SIZE, k] = tensor.per_channel
        state[TENSOR_SIZE, k] = tensor.channels * tensor.per_channel
        rows += tensor.channels


SPECS = (
    OptimizerSpec(
        "adamp",
        (with_default(LR, 0.001), BETAS, EPS,
         Hyper("weight_decay", 0.0, help=N_("decoupled weight decay (p <- p(1 - lr wd)), times wd_ratio where projected")),
         Hyper("delta", 0.1, help=N_("cosine threshold (over sqrt of the row length) below which the step is projected")),
         Hyper("wd_ratio", 0.1, help=N_("weight-decay factor on projected weights")),
         Hyper("nesterov", False, kind="bool", help=N_("Nesterov's look-ahead first moment"))),
        slots=17, summary=N_("Adam that projects out the radial step of scale-invariant weights"),
        mark_tensors=mark_tensors),
)


def explain(h: dict, s, out) -> None:
    """The rule in the course's notation (d_t: the step direction, Ŵ = W_t / (‖W_t‖ + ε) over a
    channel or the whole matrix); see explain.py. The cosines and the projected direction are
    the kernel's own sums and buffer."""
    lr, (beta1, beta2), eps, wd = h["lr"], h["betas"], h["eps"], h["weight_decay"]
    delta, wd_ratio = h["delta"], h["wd_ratio"]
    ex.adam_notes(out, h, f", δ = {delta}, wd_ratio = {wd_ratio}")
    g = out.gradient()
    m0, m, v0, v = out.old(M), out.new(M), out.old(V), out.new(V)
    out.line("m", "m_t = β₁ m_{t-1} + (1 - β₁) g_t", lambda: (f"{num(beta1)}·{fmt(m0)} + {num(1.0 - beta1)}·{fmt(g)}", m))
    out.line("v", "v_t = β₂ v_{t-1} + (1 - β₂) g_t²", lambda: (f"{num(beta2)}·{fmt(v0)} + {num(1.0 - beta2)}·{fmt(g)}²", v))
    t = 0 if s is None else s.t
    bc2 = 1.0 - beta2 ** float(t)
    denom = None if s is None else np.sqrt(v) / math.sqrt(bc2) + eps
    if h["nesterov"]:
        d = None if s is None else (beta1 * m + (1.0 - beta1) * g) / denom
        out.line("d", "d_t = (β₁ m_t + (1 - β₁) g_t) / (√v_t / √(1 - β₂^t) + ε)  (Nesterov)",
                 lambda: (f"({num(beta1)}·{fmt(m)} + {num(1.0 - beta1)}·{fmt(g)}) / {fmt(denom)}", d))
    else:
        d = None if s is None else m / denom
        out.line("d", "d_t = m_t / (√v_t / √(1 - β₂^t) + ε)", lambda: (f"{fmt(m)} / {fmt(denom)}", d))
    if s is not None:
        out.arrow("momentum", -m)
    w, ratio = (None if s is None else s.w[s.idx]), 1.0
    if s is None:
        out.line("cos", N_("matrices: c = max over channels |cos(g_t, W_t)|; c < δ / √(channel length), "
                           "else |cos| over the whole matrix < δ / √(size): project"))
        out.line("d_proj", "  d_t ← d_t - Ŵ ⟨Ŵ, d_t⟩,  Ŵ = W_t / (‖W_t‖ + ε);  λ ← λ · wd_ratio")
        out.line("cos", N_("vectors (fewer than two dimensions): no projection, as in Adam"))
    else:
        rows = s.state[ROW][s.idx]
        if rows[0] < 0.0:
            out.line("cos", N_("W is a vector here: no projection (as in Adam)"))
        else:
            r, k = int(rows[0]), int(s.state[TENSOR][s.idx][0])
            view = s.state[VIEW, k]
            c = s.state[CHANNEL_COS, k]
            size = s.state[CHANNEL_SIZE, k]
            out.line("cos", N_("c = max over W's channels of |cos(g_t, W_t)|"), lambda: ("", c))
            out.line("threshold", N_("projected where c < δ / √(channel length)"),
                     lambda: (f"{num(delta)} / √{int(size)}", delta / math.sqrt(size)))
            if view == NO_PROJECTION:
                whole = abs(cosine(s.state[TENSOR_GP, k], s.state[TENSOR_GG, k], s.state[TENSOR_PP, k], eps))
                n = s.state[TENSOR_SIZE, k]
                out.line("cos_tensor", N_("else c = |cos(g_t, W_t)| over the whole matrix"), lambda: ("", whole))
                out.line("threshold_tensor", N_("projected where c < δ / √(size)"),
                         lambda: (f"{num(delta)} / √{int(n)}", delta / math.sqrt(n)))
                out.line("d_proj", N_("no projection: g_t is not almost orthogonal to W_t"))
            else:
                out.line("d_proj", N_("projected (channel): d_t ← d_t - Ŵ ⟨Ŵ, d_t⟩,  Ŵ = W_t / (‖W_t‖ + ε)")
                         if view == CHANNEL_VIEW else
                         N_("projected (whole matrix): d_t ← d_t - Ŵ ⟨Ŵ, d_t⟩,  Ŵ = W_t / (‖W_t‖ + ε)"),
                         lambda: (f"{fmt(d)} - " + tr("radial part"), s.state[DIRECTION][s.idx]))
                d, ratio = s.state[DIRECTION][s.idx], wd_ratio
    if wd > 0.0:
        w = out.decoupled_decay(lr, wd, ratio, " · wd_ratio" if ratio != 1.0 else "")
    out.result("W_{t+1} = W_t - η / (1 - β₁^t) · d_t",
               lambda: f"{fmt(w)} - {num(lr)} / (1 - {num(beta1)}^{t})·{fmt(d)}")
