"""The models of the train kind, with forward and backward passes written out by hand.

Every model is a stack of dense layers on one flat float64 parameter vector, so the optimizers
of tui_lab.core.optim update it unchanged:
    linear    one dense layer, one output
    poly      the input x expanded to (x, x^2, ..., x^degree), then one dense layer
    logistic  one dense layer; one logit (sigmoid) for two classes, one per class (softmax) for more
    mlp       dense -> [batch norm | layer norm] -> activation -> [dropout] for each hidden layer, then a dense output
Layer l has a weight matrix W_l (fan_in x fan_out, row-major) then its bias b_l; a batch-normed
(or layer-normed) hidden layer adds gamma then beta after them. So for linear / poly / logistic the vector is the
weights with the bias last, as the spec's `params` wants.

The batch kernels work on buffers of shape (layers, rows, widest layer) held by the caller:
    A[l]  the input of layer l (A[0]: the expanded features; A[L]: the output logits)
    D[h]  the activation's derivative at hidden layer h; M[h] its dropout multipliers
    XH[h] the batch-normalized pre-activation; ISTD[h, j] 1 / sqrt(var + eps) of unit j
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .optim import ParamTensor
from .rng import uniform

MODELS = ("linear", "poly", "logistic", "mlp")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
INITS = ("xavier", "he", "normal", "zeros")

IDENTITY, TANH, RELU, SIGMOID = 0, 1, 2, 3
MSE, BINARY, SOFTMAX = 0, 1, 2          # output / loss kinds
BN_EPS = 1e-5                           # torch.nn.BatchNorm1d's eps and momentum
BN_MOMENTUM = 0.1
INIT_STREAM = 0x1417
# The kernels use NumPy's error model: a division by zero gives inf / nan (which the training loop
# reports as a diverged run) instead of raising, and the loops carry no per-division checks, so they
# vectorize.

# What the compiled kernels need to know about a model (all NumPy int arrays / ints). bn_off[l] is
# where hidden layer l's normalization parameters (gamma, beta) start, -1 without; layer_norm = 1 makes
# that normalization layer norm (over the units of each row) instead of batch norm (over the batch).
Layout = namedtuple("Layout", "sizes w_off b_off bn_off act out_kind degree layer_norm")


class Model:
    """A model's shape and parameter layout (no parameter values: those are a flat vector)."""

    def __init__(self, name: str, features: int, n_classes: int, *, hidden=(), activation: str = "tanh",
                 degree: int = 1, batchnorm: bool = False, layernorm: bool = False):
        self.name = name
        self.features = features
        self.n_classes = n_classes
        self.hidden = tuple(hidden)
        self.activation = activation
        self.degree = degree
        self.batchnorm = batchnorm and bool(self.hidden)
        self.layernorm = layernorm and bool(self.hidden) and not self.batchnorm
        normed = self.batchnorm or self.layernorm
        self.n_out = n_classes if n_classes > 2 else 1
        self.sizes = [degree if degree > 1 else features, *self.hidden, self.n_out]
        w_off, b_off, bn_off = [], [], []
        offset = 0
        for l in range(len(self.sizes) - 1):
            fan_in, fan_out = self.sizes[l], self.sizes[l + 1]
            w_off.append(offset)
            b_off.append(offset + fan_in * fan_out)
            offset += fan_in * fan_out + fan_out
            hidden_layer = l < len(self.sizes) - 2
            bn_off.append(offset if normed and hidden_layer else -1)
            if normed and hidden_layer:
                offset += 2 * fan_out
        self.n_params = offset
        out_kind = MSE if n_classes == 0 else (BINARY if n_classes == 2 else SOFTMAX)
        act = {"tanh": TANH, "relu": RELU, "sigmoid": SIGMOID}[activation] if self.hidden else IDENTITY
        ints = lambda v: np.array(v, dtype=np.int64)  # noqa: E731
        self.layout = Layout(ints(self.sizes), ints(w_off), ints(b_off), ints(bn_off), act, out_kind, degree,
                             int(self.layernorm))

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def width(self) -> int:
        return max(self.sizes)

    def weight_mask(self) -> np.ndarray:
        """1.0 on weight-matrix entries, 0.0 on biases and batch-norm parameters (what l1 / l2 penalize)."""
        mask = np.zeros(self.n_params)
        for l in range(self.n_layers):
            off = self.layout.w_off[l]
            mask[off:off + self.sizes[l] * self.sizes[l + 1]] = 1.0
        return mask

    def weight_tensors(self) -> tuple[ParamTensor, ...]:
        """Each weight matrix as torch's nn.Linear holds it: one channel per output unit (column j
        of the fan_in x fan_out block here). Biases and batch-norm parameters are vectors."""
        return tuple(ParamTensor(int(self.layout.w_off[l]), self.sizes[l + 1], self.sizes[l], 1, self.sizes[l + 1])
                     for l in range(self.n_layers))

    def init_params(self, init: str, seed: int) -> np.ndarray:
        """Weights drawn by `init` (seeded); biases 0, batch-norm gamma 1 and beta 0."""
        rng = np.random.default_rng([seed, INIT_STREAM])
        p = np.zeros(self.n_params)
        for l in range(self.n_layers):
            fan_in, fan_out = self.sizes[l], self.sizes[l + 1]
            off, count = self.layout.w_off[l], fan_in * fan_out
            if init == "xavier":     # Glorot uniform
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                p[off:off + count] = rng.uniform(-bound, bound, count)
            elif init == "he":       # Kaiming normal, fan_in mode
                p[off:off + count] = math.sqrt(2.0 / fan_in) * rng.standard_normal(count)
            elif init == "normal":   # unscaled N(0, 1)
                p[off:off + count] = rng.standard_normal(count)
            bn = self.layout.bn_off[l]
            if bn >= 0:
                p[bn:bn + fan_out] = 1.0
        return p

    def new_running(self) -> np.ndarray:
        """Batch norm's running statistics: [0] means (start 0), [1] variances (start 1)."""
        running = np.zeros((2, max(self.n_layers - 1, 1), self.width))
        running[1] = 1.0
        return running

    def buffers(self, rows: int) -> tuple[np.ndarray, ...]:
        """(A, D, M, XH, ISTD) work buffers for batches of up to `rows` rows (ISTD holds one value per
        unit for batch norm, per row for layer norm)."""
        layers, width = self.n_layers, self.width
        hidden = max(layers - 1, 1)
        return (np.zeros((layers + 1, rows, width)), np.zeros((hidden, rows, width)),
                np.ones((hidden, rows, width)), np.zeros((hidden, rows, width)), np.zeros((hidden, max(rows, width))))

    def params_dict(self) -> dict:
        return {"name": self.name, "sizes": list(self.sizes), "n_params": self.n_params}


@njit(cache=True, nogil=True, error_model="numpy")
def expand(lay, xb, rows, A):
    """A[0] <- the features the first layer sees: the inputs, or their powers for poly (xb may be
    A[0] itself: the power loop writes x itself first)."""
    if lay.degree > 1:
        for i in range(rows):
            power = 1.0
            for k in range(lay.degree):
                power *= xb[i, 0]
                A[0, i, k] = power
    else:
        for i in range(rows):
            for k in range(xb.shape[1]):
                A[0, i, k] = xb[i, k]


@njit(cache=True, nogil=True, error_model="numpy")
def add_matmul(X, W, out, rows, m, n):
    """out[:rows, :n] += X[:rows, :m] @ W[:m, :n], each entry summed over m in ascending order (as a
    plain loop would, so the result does not depend on the blocking). Four rows at a time: each row
    of W is loaded once for four outputs, and the inner loop over n vectorizes."""
    if n == 1:      # one output (a regression or two-class head): a running sum per row, no inner loop
        for i in range(rows):
            s, x = out[i, 0], X[i]
            for k in range(m):
                s += x[k] * W[k, 0]
            out[i, 0] = s
        return
    i = 0
    while i + 4 <= rows:
        o0, o1, o2, o3 = out[i], out[i + 1], out[i + 2], out[i + 3]
        x0, x1, x2, x3 = X[i], X[i + 1], X[i + 2], X[i + 3]
        for k in range(m):
            a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
            w = W[k]
            for j in range(n):
                wj = w[j]
                o0[j] += a0 * wj
                o1[j] += a1 * wj
                o2[j] += a2 * wj
                o3[j] += a3 * wj
        i += 4
    for i in range(i, rows):
        o0, x0 = out[i], X[i]
        for k in range(m):
            a0, w = x0[k], W[k]
            for j in range(n):
                o0[j] += a0 * w[j]


@njit(cache=True, nogil=True, error_model="numpy")
def add_matmul_tn(X, Y, G, rows, m, n):
    """G[:m, :n] += X[:rows, :m]^T @ Y[:rows, :n], each entry summed over the rows in ascending order;
    four rows of G at a time."""
    if n == 1:      # one output: G is a column, contiguous, and the loop over m vectorizes
        for i in range(rows):
            x, y = X[i], Y[i, 0]
            for k in range(m):
                G[k, 0] += x[k] * y
        return
    k = 0
    while k + 4 <= m:
        g0, g1, g2, g3 = G[k], G[k + 1], G[k + 2], G[k + 3]
        for i in range(rows):
            x, y = X[i], Y[i]
            a0, a1, a2, a3 = x[k], x[k + 1], x[k + 2], x[k + 3]
            for j in range(n):
                yj = y[j]
                g0[j] += a0 * yj
                g1[j] += a1 * yj
                g2[j] += a2 * yj
                g3[j] += a3 * yj
        k += 4
    for k in range(k, m):
        g0 = G[k]
        for i in range(rows):
            a0, y = X[i, k], Y[i]
            for j in range(n):
                g0[j] += a0 * y[j]


# exp(-y) by Cody-Waite range reduction (y = k ln 2 - r) and a degree-13 Taylor polynomial on
# |r| <= ln(2) / 2, within 1 ulp of libm; written without calls so that loops over it vectorize.
LN2_HI, LN2_LO, INV_LN2 = 6.93147180369123816490e-01, 1.90821492927058770002e-10, 1.44269504088896338700e+00
TANH_SATURATES = 20.0     # tanh(s) rounds to +-1 for |s| past about 19.1


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def fast_tanh(s):
    """tanh(s) = -expm1(-2|s|) / (2 + expm1(-2|s|)), with the sign of s: within an absolute 2.3e-16
    of libm's tanh (relative accuracy kept near 0 too), and about five times faster in a loop,
    because nothing in it is a call, so the loop over a layer vectorizes."""
    y = 2.0 * s if s >= 0.0 else -2.0 * s
    y = y if y < 2.0 * TANH_SATURATES else 2.0 * TANH_SATURATES
    kf = math.floor(y * INV_LN2 + 0.5)
    r = (kf * LN2_HI - y) + kf * LN2_LO          # -y = -k ln 2 + r
    q = 1.0 / 6227020800.0                       # q(r) = (exp(r) - 1) / r = sum r^i / (i + 1)!, Horner
    q = q * r + 1.0 / 479001600.0                # (written out: a loop over a tuple of coefficients
    q = q * r + 1.0 / 39916800.0                 # is not unrolled, and costs 15%)
    q = q * r + 1.0 / 3628800.0
    q = q * r + 1.0 / 362880.0
    q = q * r + 1.0 / 40320.0
    q = q * r + 1.0 / 5040.0
    q = q * r + 1.0 / 720.0
    q = q * r + 1.0 / 120.0
    q = q * r + 1.0 / 24.0
    q = q * r + 1.0 / 6.0
    q = q * r + 0.5
    q = q * r + 1.0
    k = int(kf)
    scale = ((0.5 if k & 1 else 1.0) * (0.25 if k & 2 else 1.0) * (0.0625 if k & 4 else 1.0)
             * (0.00390625 if k & 8 else 1.0) * (1.52587890625e-05 if k & 16 else 1.0)
             * (2.3283064365386963e-10 if k & 32 else 1.0))   # 2^-k, k < 64
    em1 = q * r if k == 0 else (q * r + 1.0) * scale - 1.0       # exp(-y) - 1
    return math.copysign(-em1 / (2.0 + em1), s)


@njit(cache=True, nogil=True, error_model="numpy")
def activate(act, z, d, rows, n):
    """z[:rows, :n] <- act(z) in place, d <- act'(z), one loop per activation (no branch per element)."""
    if act == TANH:
        for i in range(rows):
            for j in range(n):
                h = fast_tanh(z[i, j])
                z[i, j] = h
                d[i, j] = 1.0 - h * h
    elif act == RELU:
        for i in range(rows):
            for j in range(n):
                positive = z[i, j] > 0.0
                d[i, j] = 1.0 if positive else 0.0
                z[i, j] = z[i, j] if positive else 0.0
    else:
        for i in range(rows):
            for j in range(n):
                h = 1.0 / (1.0 + math.exp(-z[i, j]))
                z[i, j] = h
                d[i, j] = h * (1.0 - h)


@njit(cache=True, nogil=True, error_model="numpy")
def layer_norm(p, off, z, rows, n, xh, istd):
    """Layer norm of each row of z[:rows, :n] in place (torch.nn.LayerNorm(n), eps 1e-5, biased
    variance, the same in training and evaluation): z <- gamma * (z - mean) / sqrt(var + eps) + beta,
    with gamma = p[off:off + n] and beta = p[off + n:off + 2n]. Keeps xh and each row's 1 / sqrt(var + eps)."""
    for i in range(rows):
        mean = 0.0
        for j in range(n):
            mean += z[i, j]
        mean /= n
        var = 0.0
        for j in range(n):
            var += (z[i, j] - mean) ** 2
        inv = 1.0 / math.sqrt(var / n + BN_EPS)
        istd[i] = inv
        for j in range(n):
            xh[i, j] = (z[i, j] - mean) * inv
            z[i, j] = p[off + j] * xh[i, j] + p[off + n + j]


@njit(cache=True, nogil=True, error_model="numpy")
def layer_norm_backward(p, off, delta, rows, n, xh, istd, g):
    """Through layer_norm: g[gamma], g[beta] += their gradients, and delta (d loss / d output, rows x n)
    <- d loss / d input: istd * (d - mean(d) - xh * mean(d * xh)) with d = gamma * delta, per row."""
    for i in range(rows):
        mean_d, mean_dx = 0.0, 0.0
        for j in range(n):
            g[off + j] += delta[i, j] * xh[i, j]
            g[off + n + j] += delta[i, j]
            d = p[off + j] * delta[i, j]
            mean_d += d
            mean_dx += d * xh[i, j]
        mean_d /= n
        mean_dx /= n
        for j in range(n):
            delta[i, j] = istd[i] * (p[off + j] * delta[i, j] - mean_d - xh[i, j] * mean_dx)


@njit(cache=True, nogil=True, error_model="numpy")
def forward(p, lay, rows, train, dropout, drop_key, drop_counter, running, A, D, M, XH, ISTD):
    """A[L][:rows] <- output logits from A[0][:rows]. In training, batch norm uses the batch's
    statistics (and updates `running`) and dropout is applied; in evaluation, running statistics
    and no dropout. M (the dropout masks) is written only when dropping out: without dropout it
    must hold ones, as Model.buffers makes it (a buffer that held masks is not used without)."""
    sizes = lay.sizes
    n_layers = sizes.shape[0] - 1
    for l in range(n_layers):
        n_in, n_out = sizes[l], sizes[l + 1]
        wo, bo = lay.w_off[l], lay.b_off[l]
        z = A[l + 1]
        for i in range(rows):
            for j in range(n_out):
                z[i, j] = p[bo + j]
        add_matmul(A[l], p[wo:wo + n_in * n_out].reshape((n_in, n_out)), z, rows, n_in, n_out)
        if l == n_layers - 1:
            break
        bn = lay.bn_off[l]
        if bn >= 0 and lay.layer_norm:
            layer_norm(p, bn, z, rows, n_out, XH[l], ISTD[l])
        elif bn >= 0:
            for j in range(n_out):
                if train:
                    mean = 0.0
                    for i in range(rows):
                        mean += z[i, j]
                    mean /= rows
                    var = 0.0
                    for i in range(rows):
                        var += (z[i, j] - mean) ** 2
                    running[0, l, j] = (1.0 - BN_MOMENTUM) * running[0, l, j] + BN_MOMENTUM * mean
                    running[1, l, j] = ((1.0 - BN_MOMENTUM) * running[1, l, j]
                                        + BN_MOMENTUM * var / max(rows - 1, 1))
                    var /= rows
                else:
                    mean, var = running[0, l, j], running[1, l, j]
                istd = 1.0 / math.sqrt(var + BN_EPS)
                ISTD[l, j] = istd
                gamma, beta = p[bn + j], p[bn + n_out + j]
                for i in range(rows):
                    xh = (z[i, j] - mean) * istd
                    XH[l, i, j] = xh
                    z[i, j] = gamma * xh + beta
        activate(lay.act, z, D[l], rows, n_out)
        if train and dropout > 0.0:
            for i in range(rows):
                for j in range(n_out):
                    u = uniform(drop_key, drop_counter + (l * A.shape[1] + i) * A.shape[2] + j)
                    m = 0.0 if u < dropout else 1.0 / (1.0 - dropout)
                    M[l, i, j] = m
                    z[i, j] *= m


@njit(cache=True, nogil=True, error_model="numpy")
def log_sum_exp(z):
    """log(sum(exp(z))), shifted by the largest entry so that nothing overflows."""
    top = z[0]
    for k in range(1, z.shape[0]):
        top = max(top, z[k])
    s = 0.0
    for k in range(z.shape[0]):
        s += math.exp(z[k] - top)
    return top + math.log(s)


@njit(cache=True, nogil=True, error_model="numpy")
def loss_grad(lay, logits, T, rows, dZ):
    """Sum over rows of the data loss of logits against targets T (soft targets allowed), and
    dZ <- d(mean loss) / d(logits). Regression: (z - t)^2; two classes: sigmoid cross-entropy on
    one logit with t = P(class 1); more: softmax cross-entropy with T a distribution."""
    total = 0.0
    inv = 1.0 / rows
    n_out = lay.sizes[lay.sizes.shape[0] - 1]
    for i in range(rows):
        if lay.out_kind == MSE:
            r = logits[i, 0] - T[i, 0]
            total += r * r
            dZ[i, 0] = 2.0 * r * inv
        elif lay.out_kind == BINARY:
            z, t = logits[i, 0], T[i, 0]
            total += max(z, 0.0) - t * z + math.log1p(math.exp(-abs(z)))
            dZ[i, 0] = (1.0 / (1.0 + math.exp(-z)) - t) * inv
        else:
            lse = log_sum_exp(logits[i, :n_out])
            for k in range(n_out):
                total -= T[i, k] * (logits[i, k] - lse)
                dZ[i, k] = (math.exp(logits[i, k] - lse) - T[i, k]) * inv
    return total


@njit(cache=True, nogil=True, error_model="numpy")
def backward(p, lay, rows, train, A, D, M, XH, ISTD, dZ, g, delta, delta_prev, WT):
    """g <- gradient of the loss whose d/d(logits) is dZ, through the buffers `forward` left
    (delta, delta_prev: rows x width work rows; WT: width x width room for a transposed weight matrix)."""
    g[:] = 0.0
    sizes = lay.sizes
    n_layers = sizes.shape[0] - 1
    n_last = sizes[n_layers]
    for i in range(rows):
        for j in range(n_last):
            delta[i, j] = dZ[i, j]
    for l in range(n_layers - 1, -1, -1):
        n_in, n_out = sizes[l], sizes[l + 1]
        wo, bo = lay.w_off[l], lay.b_off[l]
        for i in range(rows):
            for j in range(n_out):
                g[bo + j] += delta[i, j]
        add_matmul_tn(A[l], delta, g[wo:wo + n_in * n_out].reshape((n_in, n_out)), rows, n_in, n_out)
        if l == 0:
            break
        # delta_prev = delta @ W^T, through a transposed copy of W so that add_matmul's inner loop
        # runs along contiguous memory.
        for k in range(n_in):
            for j in range(n_out):
                WT[j, k] = p[wo + k * n_out + j]
        for i in range(rows):
            for k in range(n_in):
                delta_prev[i, k] = 0.0
        add_matmul(delta, WT, delta_prev, rows, n_out, n_in)
        h = l - 1        # the hidden layer whose output fed layer l
        for i in range(rows):
            for k in range(n_in):
                delta_prev[i, k] *= M[h, i, k] * D[h, i, k]
        bn = lay.bn_off[h]
        if bn >= 0 and lay.layer_norm:
            layer_norm_backward(p, bn, delta_prev, rows, n_in, XH[h], ISTD[h], g)
        elif bn >= 0:
            for k in range(n_in):
                gamma = p[bn + k]
                sum_d, sum_dx = 0.0, 0.0
                for i in range(rows):
                    sum_d += delta_prev[i, k]
                    sum_dx += delta_prev[i, k] * XH[h, i, k]
                g[bn + k] += sum_dx
                g[bn + n_in + k] += sum_d
                istd = ISTD[h, k]
                for i in range(rows):
                    if train:   # the batch statistics depend on every row of the batch
                        delta_prev[i, k] = gamma * istd * (delta_prev[i, k] - sum_d / rows
                                                           - XH[h, i, k] * sum_dx / rows)
                    else:
                        delta_prev[i, k] = gamma * istd * delta_prev[i, k]
        delta, delta_prev = delta_prev, delta


@njit(cache=True, nogil=True, error_model="numpy")
def fill_targets(lay, y, idx, start, stop, smoothing, T):
    """T[:stop-start] <- the targets of rows idx[start:stop]: y itself (regression), P(class 1)
    (two classes) or a class distribution, with label smoothing eps: (1 - eps) onehot + eps / K."""
    n_out = lay.sizes[lay.sizes.shape[0] - 1]
    for r in range(stop - start):
        label = y[idx[start + r]]
        if lay.out_kind == MSE:
            T[r, 0] = label
        elif lay.out_kind == BINARY:
            T[r, 0] = label * (1.0 - smoothing) + 0.5 * smoothing
        else:
            for k in range(n_out):
                T[r, k] = smoothing / n_out + ((1.0 - smoothing) if k == int(label) else 0.0)


@njit(cache=True, nogil=True, error_model="numpy")
def evaluate(p, lay, running, X, y, idx, A, D, M, XH, ISTD, T, dZ):
    """(mean data loss, metric) of the rows idx in evaluation mode; the metric is accuracy for
    classification and R^2 for regression. NaN for an empty idx."""
    n = idx.shape[0]
    if n == 0:
        return math.nan, math.nan
    chunk = A.shape[1]
    n_out = lay.sizes[lay.sizes.shape[0] - 1]
    training = chunk < 0    # False as a runtime value (a literal False would compile `forward` once more)
    total, hits, ss_res = 0.0, 0.0, 0.0
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = stop - start
        for r in range(rows):     # gathered into A[0] and expanded in place: no copy of X[idx]
            for k in range(X.shape[1]):
                A[0, r, k] = X[idx[start + r], k]
        expand(lay, A[0], rows, A)
        forward(p, lay, rows, training, 0.0, np.uint64(0), start, running, A, D, M, XH, ISTD)
        fill_targets(lay, y, idx, start, stop, 0.0, T)
        logits = A[A.shape[0] - 1]
        total += loss_grad(lay, logits, T, rows, dZ)
        for r in range(rows):
            if lay.out_kind == MSE:
                ss_res += (logits[r, 0] - T[r, 0]) ** 2
            elif lay.out_kind == BINARY:
                hits += (logits[r, 0] > 0.0) == (T[r, 0] > 0.5)
            else:
                best = 0
                for k in range(1, n_out):
                    if logits[r, k] > logits[r, best]:
                        best = k
                hits += best == int(y[idx[start + r]])
    if lay.out_kind != MSE:
        return total / n, hits / n
    mean = 0.0
    for r in range(n):
        mean += y[idx[r]]
    mean /= n
    ss_tot = 0.0
    for r in range(n):
        ss_tot += (y[idx[r]] - mean) ** 2
    return total / n, (1.0 - ss_res / ss_tot) if ss_tot > 0.0 else math.nan


@njit(cache=True, nogil=True, error_model="numpy")
def predict(p, lay, running, X, A, D, M, XH, ISTD, out):
    """out <- the model's output for every row of X in evaluation mode: the regression value,
    P(class 1) for two classes, or the class probabilities (softmax)."""
    n = X.shape[0]
    chunk = A.shape[1]
    n_out = lay.sizes[lay.sizes.shape[0] - 1]
    training = chunk < 0    # False, as in evaluate
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        rows = stop - start
        expand(lay, X[start:stop], rows, A)
        forward(p, lay, rows, training, 0.0, np.uint64(0), start, running, A, D, M, XH, ISTD)
        logits = A[A.shape[0] - 1]
        for r in range(rows):
            if lay.out_kind == MSE:
                out[start + r, 0] = logits[r, 0]
            elif lay.out_kind == BINARY:
                out[start + r, 0] = 1.0 / (1.0 + math.exp(-logits[r, 0]))
            else:
                lse = log_sum_exp(logits[r, :n_out])
                for k in range(n_out):
                    out[start + r, k] = math.exp(logits[r, k] - lse)
