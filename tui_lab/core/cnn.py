"""A small convolutional network for image sets, built on the lab's conv core (core/conv.py).

Architecture (torch equivalent in tests/test_cnn_torch.py):
    for each entry c of `conv`: Conv2d(c_in, c, kernel, padding "same", bias) -> [BatchNorm2d(c)]
                                -> activation -> MaxPool2d(2) | AvgPool2d(2) | nothing
    flatten (C, H, W row-major) -> for each h of `hidden`: Linear -> activation -> [dropout]
    -> Linear(n_classes) -> softmax cross-entropy (soft targets allowed: smoothing, mixup, CutMix).
Every convolution, forward and backward, is a call of the same compiled loops the Conv tab steps
(forward_loop, grad_input_loop, grad_kernel_loop, grad_bias_loop), one call per layer for the whole
batch: the images are laid side by side with their padding columns between them (`side_by_side`), so
each output sum is the one-image sum, term for term, and the loops run over long rows.

Parameters are one flat vector (what the optimizers update), layer by layer in torch's order and
layout: conv weight (O, C, KH, KW), conv bias, batch-norm weight and bias; linear weight (out, in),
linear bias. Batch norm follows torch.nn.BatchNorm2d: statistics per channel over (batch, H, W),
biased variance to normalise, unbiased variance into the running estimate, momentum 0.1, eps 1e-5.
Pooling windows are 2x2 with stride 2, rounding the size down; max pooling sends the gradient to the
first largest entry of a window in row-major order, as torch does.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from ..i18n import tr
from .conv import NAMED_KERNELS, forward_loop, grad_bias_loop, grad_input_loop, grad_kernel_loop, same_padding
from .models import BN_EPS, BN_MOMENTUM, INIT_STREAM, RELU, SIGMOID, TANH, log_sum_exp
from .optim.base import ParamTensor
from .rng import uniform

POOLS = ("max", "avg", "none")
NO_POOL, MAX_POOL, AVG_POOL = 0, 1, 2
POOL_CODES = {"none": NO_POOL, "max": MAX_POOL, "avg": AVG_POOL}
ACTIVATION_CODES = {"tanh": TANH, "relu": RELU, "sigmoid": SIGMOID}
MAX_CONV_LAYERS = 4
MAX_CHANNELS = 64
MAX_KERNEL = 7

# Columns of the conv table: input (c, h, w), output after pooling (c, h, w), parameter offsets.
C_IN, H_IN, W_IN, C_OUT, H_OUT, W_OUT, CW_OFF, CB_OFF, CBN_OFF = range(9)
# Columns of the dense table.
D_IN, D_OUT, DW_OFF, DB_OFF = range(4)

CnnLayout = namedtuple("CnnLayout", "conv dense kernel pads pool act n_classes")


def pooled(n: int, pool: str) -> int:
    return n if pool == "none" else n // 2


class CnnModel:
    """The shape and parameter layout of a CNN (no parameter values: those are a flat vector)."""

    name = "cnn"
    degree = 1          # what the train kind reports for every model (polynomial degree)

    def __init__(self, in_shape: tuple[int, int, int], n_classes: int, *, conv=(8, 16), kernel: int = 3,
                 pool: str = "max", hidden=(32,), activation: str = "relu", batchnorm: bool = False):
        self.in_shape = tuple(in_shape)
        self.n_classes = self.n_out = n_classes
        self.conv, self.kernel, self.pool = tuple(conv), kernel, pool
        self.hidden, self.activation, self.batchnorm = tuple(hidden), activation, batchnorm
        self.pads = same_padding(kernel, 1) * 2          # top, bottom, left, right
        c, h, w = self.in_shape
        rows, offset = [], 0
        self.shapes = [self.in_shape]                     # each conv stage's input, then the flattened map's
        for out in self.conv:
            w_off, b_off = offset, offset + out * c * kernel * kernel
            offset = b_off + out
            bn_off = offset if batchnorm else -1
            offset += 2 * out if batchnorm else 0
            rows.append((c, h, w, out, pooled(h, pool), pooled(w, pool), w_off, b_off, bn_off))
            c, h, w = out, pooled(h, pool), pooled(w, pool)
            self.shapes.append((c, h, w))
        self.flat = c * h * w
        self.sizes = [self.flat, *self.hidden, n_classes]
        dense = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            dense.append((n_in, n_out, offset, offset + n_in * n_out))
            offset += n_in * n_out + n_out
        self.n_params = offset
        ints = lambda v, cols: np.array(v, dtype=np.int64).reshape(len(v), cols)  # noqa: E731
        self.layout = CnnLayout(ints(rows, 9), ints(dense, 4), kernel, np.array(self.pads, dtype=np.int64),
                                POOL_CODES[pool], ACTIVATION_CODES[activation], n_classes)

    def problem(self) -> str | None:
        """None when every layer has something to work on, else a one-line reason."""
        for i, (c, h, w) in enumerate(self.shapes[1:]):
            if h < 1 or w < 1:
                return tr('after conv layer {layer} and {pool} pooling the feature map is {h}x{w}; use fewer conv '
                          'layers or pool = "none"', layer=i + 1, pool=self.pool, h=h, w=w)
        return None

    @property
    def n_conv(self) -> int:
        return len(self.conv)

    def weight_mask(self) -> np.ndarray:
        """1.0 on conv kernels and linear weights, 0.0 on biases and batch-norm parameters."""
        mask = np.zeros(self.n_params)
        for row in self.layout.conv:
            mask[row[CW_OFF]:row[CB_OFF]] = 1.0
        for row in self.layout.dense:
            mask[row[DW_OFF]:row[DB_OFF]] = 1.0
        return mask

    def weight_tensors(self) -> tuple[ParamTensor, ...]:
        """Each conv kernel (O rows of C*KH*KW) and linear weight (out rows of in) as torch holds it,
        for optimizers that work per output channel (AdamP)."""
        area = self.kernel * self.kernel
        return (tuple(ParamTensor(int(r[CW_OFF]), int(r[C_OUT]), int(r[C_IN]) * area, int(r[C_IN]) * area, 1)
                      for r in self.layout.conv)
                + tuple(ParamTensor(int(r[DW_OFF]), int(r[D_OUT]), int(r[D_IN]), int(r[D_IN]), 1)
                        for r in self.layout.dense))

    def init_params(self, init: str, seed: int) -> np.ndarray:
        """Weights drawn by `init` with torch's fan-in / fan-out of each layer (conv: channels times
        kernel area); biases 0, batch-norm weight 1 and bias 0."""
        rng = np.random.default_rng([seed, INIT_STREAM])
        p = np.zeros(self.n_params)
        area = self.kernel * self.kernel
        blocks = [(r[CW_OFF], r[CB_OFF], r[C_IN] * area, r[C_OUT] * area) for r in self.layout.conv]
        blocks += [(r[DW_OFF], r[DB_OFF], r[D_IN], r[D_OUT]) for r in self.layout.dense]
        for start, stop, fan_in, fan_out in blocks:
            if init == "xavier":
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                p[start:stop] = rng.uniform(-bound, bound, stop - start)
            elif init == "he":
                p[start:stop] = math.sqrt(2.0 / fan_in) * rng.standard_normal(stop - start)
            elif init == "normal":
                p[start:stop] = rng.standard_normal(stop - start)
        for r in self.layout.conv:
            if r[CBN_OFF] >= 0:
                p[r[CBN_OFF]:r[CBN_OFF] + r[C_OUT]] = 1.0
        return p

    def new_running(self) -> np.ndarray:
        """Batch norm's running statistics per conv layer and channel: [0] means (0), [1] variances (1)."""
        running = np.zeros((2, max(self.n_conv, 1), max(self.conv, default=1)))
        running[1] = 1.0
        return running

    def params_dict(self) -> dict:
        return {"name": "cnn", "conv": list(self.conv), "kernel": self.kernel, "pool": self.pool,
                "sizes": list(self.sizes), "n_params": self.n_params}

    def layer_params(self) -> list[tuple[str, int]]:
        """(layer description, parameter count) per layer: what the parameter-count lesson lists."""
        out = []
        for (c, h, w), row in zip(self.shapes, self.layout.conv):
            count = row[C_OUT] * (c * self.kernel * self.kernel + 1 + (2 if self.batchnorm else 0))
            out.append((f"conv {c}x{h}x{w} -> {row[C_OUT]} ch, {self.kernel}x{self.kernel}", int(count)))
        for n_in, n_out, *_ in self.layout.dense:
            out.append((f"dense {n_in} -> {n_out}", int(n_in * n_out + n_out)))
        return out


def sobel_alignment(filters: np.ndarray) -> np.ndarray:
    """Per filter (its first input channel, 3x3 kernels only): the largest |cosine| between it and the
    Sobel x / Sobel y edge kernels, 1 for an exact (scaled, possibly negated) Sobel kernel."""
    sobels = [NAMED_KERNELS[name].ravel() / np.linalg.norm(NAMED_KERNELS[name]) for name in ("sobel_x", "sobel_y")]
    flat = filters[:, 0].reshape(filters.shape[0], -1)
    flat = flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-300)
    return np.max([np.abs(flat @ s) for s in sobels], axis=0)


def neighbour_correlation(filters: np.ndarray) -> np.ndarray:
    """Per filter (first input channel): the mean product of horizontally and vertically adjacent weights
    over their mean square, after removing the filter's mean. Near 0 for random weights, positive for
    smooth strokes and edges, negative for checkerboards."""
    k = filters[:, 0] - filters[:, 0].mean(axis=(1, 2), keepdims=True)
    h, w = k.shape[1:]
    pairs = (k[:, :, 1:] * k[:, :, :-1]).sum(axis=(1, 2)) + (k[:, 1:, :] * k[:, :-1, :]).sum(axis=(1, 2))
    n_pairs = h * (w - 1) + w * (h - 1)
    return (pairs / n_pairs) / np.maximum((k * k).sum(axis=(1, 2)) / (h * w), 1e-300)


def workspace_bytes(model: CnnModel, rows: int) -> int:
    """Bytes of `workspace(model, rows)` plus the side-by-side copies a layer makes while it runs."""
    n_conv = max(model.n_conv, 1)
    stage = max(c * h * w for c, h, w in model.shapes)
    full = max([r[C_OUT] * r[H_IN] * r[W_IN] for r in model.layout.conv] or [1])
    width = max(model.sizes)
    n_dense = len(model.sizes) - 1
    left, right = model.pads[2], model.pads[3]
    wide = max((r[C_IN] + 2 * r[C_OUT]) * r[H_IN] * (r[W_IN] + left + right) for r in model.layout.conv)
    floats = ((2 * n_conv + 1) * stage + 3 * n_conv * full + (3 * n_dense + 1) * width
              + 2 * max(stage, full, width) + 2 * wide) * rows
    return 8 * floats


def workspace(model: CnnModel, rows: int) -> tuple[np.ndarray, ...]:
    """Work buffers for batches of up to `rows` images (see forward / backward for their roles)."""
    lay = model.layout
    n_conv = max(model.n_conv, 1)
    stage = max(c * h * w for c, h, w in model.shapes)
    full = max([r[C_OUT] * r[H_IN] * r[W_IN] for r in lay.conv] or [1])
    width = max(model.sizes)
    n_dense = len(model.sizes) - 1
    return (np.zeros((n_conv + 1, rows, stage)),          # S: each conv stage's input; S[n_conv] = flattened map
            np.zeros((n_conv, rows, full)),               # Y: conv output after batch norm and activation
            np.ones((n_conv, rows, full)),                # DY: activation derivative
            np.zeros((n_conv, rows, full)),               # XH: batch norm's normalised values
            np.zeros((n_conv, max(model.conv, default=1))),   # ISTD: batch norm's 1 / std per channel
            np.zeros((n_conv, rows, stage), dtype=np.int64),  # ARG: max pooling's chosen entry
            np.zeros((n_dense + 1, rows, width)),         # A: dense activations; A[n_dense] = logits
            np.ones((n_dense, rows, width)),              # DA: dense activation derivative
            np.ones((n_dense, rows, width)),              # M: dropout multipliers
            np.zeros((rows, max(stage, full, width))),    # G: gradient buffers
            np.zeros((rows, max(stage, full, width))))


@njit(cache=True, nogil=True, inline="always")
def _activate(act, s):
    """(activation(s), its derivative)."""
    if act == TANH:
        h = math.tanh(s)
        return h, 1.0 - h * h
    if act == RELU:
        return (s, 1.0) if s > 0.0 else (0.0, 0.0)
    h = 1.0 / (1.0 + math.exp(-s))
    return h, h * (1.0 - h)


@njit(cache=True, nogil=True)
def side_by_side(stage, rows, c_n, h, w, left, right):
    """The batch's images of one stage (rows of flattened (C, H, W)) as one wide image (C, H, rows*(W+left+right)):
    each image with `left` zero columns before it and `right` after. A "same" convolution of each image is
    then the convolution of the wide image padded only at top and bottom (stride 1): image r's output
    starts at column r*(W+left+right), and the columns between images are thrown away."""
    wp = w + left + right
    wide = np.zeros((c_n, h, rows * wp))
    for r in range(rows):
        wide[:, :, r * wp + left:r * wp + left + w] = stage[r, :c_n * h * w].reshape((c_n, h, w))
    return wide


@njit(cache=True, nogil=True)
def forward(p, lay, rows, train, dropout, drop_key, drop_counter, running, ws):
    """Logits into A[-1][:rows] from the images in S[0][:rows] (flattened C*H*W). In training, batch norm
    uses the batch's statistics (updating `running`) and dropout is applied."""
    S, Y, DY, XH, ISTD, ARG, A, DA, M, G, G2 = ws
    top, bottom, left, right = lay.pads[0], lay.pads[1], lay.pads[2], lay.pads[3]
    k = lay.kernel
    for l in range(lay.conv.shape[0]):
        c_in, h, w, c_out = lay.conv[l, C_IN], lay.conv[l, H_IN], lay.conv[l, W_IN], lay.conv[l, C_OUT]
        ho, wo = lay.conv[l, H_OUT], lay.conv[l, W_OUT]
        kernel = p[lay.conv[l, CW_OFF]:lay.conv[l, CB_OFF]].reshape((c_out, c_in, k, k))
        bias = p[lay.conv[l, CB_OFF]:lay.conv[l, CB_OFF] + c_out]
        area, size = h * w, c_out * h * w
        xw = side_by_side(S[l], rows, c_in, h, w, left, right)
        out = forward_loop(xw, kernel, bias, 1, 1, top, bottom, 0, 0, 1, 1, h, xw.shape[2] - k + 1)
        wp = w + left + right
        for r in range(rows):
            Y[l, r, :size].reshape((c_out, h, w))[:] = out[:, :, r * wp:r * wp + w]
        bn = lay.conv[l, CBN_OFF]
        if bn >= 0:
            count = rows * area
            for c in range(c_out):
                if train:
                    mean = 0.0
                    for r in range(rows):
                        for i in range(c * area, (c + 1) * area):
                            mean += Y[l, r, i]
                    mean /= count
                    var = 0.0
                    for r in range(rows):
                        for i in range(c * area, (c + 1) * area):
                            var += (Y[l, r, i] - mean) ** 2
                    running[0, l, c] = (1.0 - BN_MOMENTUM) * running[0, l, c] + BN_MOMENTUM * mean
                    running[1, l, c] = (1.0 - BN_MOMENTUM) * running[1, l, c] + BN_MOMENTUM * var / max(count - 1, 1)
                    var /= count
                else:
                    mean, var = running[0, l, c], running[1, l, c]
                istd = 1.0 / math.sqrt(var + BN_EPS)
                ISTD[l, c] = istd
                gamma, beta = p[bn + c], p[bn + c_out + c]
                for r in range(rows):
                    for i in range(c * area, (c + 1) * area):
                        xh = (Y[l, r, i] - mean) * istd
                        XH[l, r, i] = xh
                        Y[l, r, i] = gamma * xh + beta
        for r in range(rows):
            for i in range(size):
                Y[l, r, i], DY[l, r, i] = _activate(lay.act, Y[l, r, i])
        # pooling into the next stage's input
        for r in range(rows):
            if lay.pool == 0:
                S[l + 1, r, :size] = Y[l, r, :size]
                continue
            for c in range(c_out):
                for y in range(ho):
                    for x in range(wo):
                        at = c * area + 2 * y * w + 2 * x
                        o = (c * ho + y) * wo + x
                        if lay.pool == 1:
                            best = at
                            for j in (at + 1, at + w, at + w + 1):
                                if Y[l, r, j] > Y[l, r, best]:
                                    best = j
                            ARG[l, r, o] = best
                            S[l + 1, r, o] = Y[l, r, best]
                        else:
                            S[l + 1, r, o] = 0.25 * (Y[l, r, at] + Y[l, r, at + 1] + Y[l, r, at + w]
                                                     + Y[l, r, at + w + 1])
    n_conv = lay.conv.shape[0]
    flat = lay.dense[0, D_IN]
    for r in range(rows):
        A[0, r, :flat] = S[n_conv, r, :flat]
    n_dense = lay.dense.shape[0]
    for l in range(n_dense):
        n_in, n_out = lay.dense[l, D_IN], lay.dense[l, D_OUT]
        wo = lay.dense[l, DW_OFF]
        bias = p[lay.dense[l, DB_OFF]:lay.dense[l, DB_OFF] + n_out]
        for r in range(rows):
            a = A[l, r]
            for j in range(n_out):
                wj = p[wo + j * n_in:wo + (j + 1) * n_in]
                s = 0.0
                for i in range(n_in):
                    s += wj[i] * a[i]
                A[l + 1, r, j] = s + bias[j]
        if l == n_dense - 1:
            break
        for r in range(rows):
            for j in range(n_out):
                h, d = _activate(lay.act, A[l + 1, r, j])
                m = 1.0
                if train and dropout > 0.0:
                    u = uniform(drop_key, drop_counter + (l * rows + r) * n_out + j)
                    m = 0.0 if u < dropout else 1.0 / (1.0 - dropout)
                DA[l, r, j], M[l, r, j] = d, m
                A[l + 1, r, j] = h * m


@njit(cache=True, nogil=True)
def loss_grad(logits, T, rows, n_out, dZ):
    """Sum over rows of the softmax cross-entropy against target distributions T; dZ <- d(mean)/d(logits)."""
    total = 0.0
    inv = 1.0 / rows
    for r in range(rows):
        lse = log_sum_exp(logits[r, :n_out])
        for k in range(n_out):
            total -= T[r, k] * (logits[r, k] - lse)
            dZ[r, k] = (math.exp(logits[r, k] - lse) - T[r, k]) * inv
    return total


@njit(cache=True, nogil=True)
def backward(p, lay, rows, train, ws, dZ, g):
    """g <- the gradient of the loss whose d/d(logits) is dZ, through the buffers `forward` left."""
    S, Y, DY, XH, ISTD, ARG, A, DA, M, G, G2 = ws
    g[:] = 0.0
    n_dense = lay.dense.shape[0]
    delta, back = G, G2
    for r in range(rows):
        delta[r, :lay.n_classes] = dZ[r, :lay.n_classes]
    for l in range(n_dense - 1, -1, -1):
        n_in, n_out = lay.dense[l, D_IN], lay.dense[l, D_OUT]
        wo, bo = lay.dense[l, DW_OFF], lay.dense[l, DB_OFF]
        for r in range(rows):
            a = A[l, r]
            for j in range(n_out):
                d = delta[r, j]
                g[bo + j] += d
                if d != 0.0:
                    gj = g[wo + j * n_in:wo + (j + 1) * n_in]
                    for i in range(n_in):
                        gj[i] += d * a[i]
        if l == 0 and lay.conv.shape[0] == 0:
            return
        for r in range(rows):
            b = back[r]
            b[:n_in] = 0.0
            for j in range(n_out):
                d = delta[r, j]
                if d != 0.0:
                    wj = p[wo + j * n_in:wo + (j + 1) * n_in]
                    for i in range(n_in):
                        b[i] += d * wj[i]
            if l > 0:
                for i in range(n_in):
                    b[i] *= M[l - 1, r, i] * DA[l - 1, r, i]
        delta, back = back, delta
    # delta: d(loss)/d(flattened map) = d/d(S[n_conv])
    top, bottom, left, right = lay.pads[0], lay.pads[1], lay.pads[2], lay.pads[3]
    k = lay.kernel
    for l in range(lay.conv.shape[0] - 1, -1, -1):
        c_in, h, w, c_out = lay.conv[l, C_IN], lay.conv[l, H_IN], lay.conv[l, W_IN], lay.conv[l, C_OUT]
        ho, wo = lay.conv[l, H_OUT], lay.conv[l, W_OUT]
        area, size = h * w, c_out * h * w
        # through the pooling and the activation: back <- d/d(conv output after batch norm)
        for r in range(rows):
            if lay.pool == 0:
                back[r, :size] = delta[r, :size]
            else:
                back[r, :size] = 0.0
                for o in range(c_out * ho * wo):
                    if lay.pool == 1:
                        back[r, ARG[l, r, o]] += delta[r, o]
                    else:
                        c, rest = o // (ho * wo), o % (ho * wo)
                        at = c * area + 2 * (rest // wo) * w + 2 * (rest % wo)
                        q = 0.25 * delta[r, o]
                        back[r, at] += q
                        back[r, at + 1] += q
                        back[r, at + w] += q
                        back[r, at + w + 1] += q
            for i in range(size):
                back[r, i] *= DY[l, r, i]
        bn = lay.conv[l, CBN_OFF]
        if bn >= 0:
            count = rows * area
            for c in range(c_out):
                sum_d, sum_dx = 0.0, 0.0
                for r in range(rows):
                    for i in range(c * area, (c + 1) * area):
                        sum_d += back[r, i]
                        sum_dx += back[r, i] * XH[l, r, i]
                g[bn + c] += sum_dx
                g[bn + c_out + c] += sum_d
                scale = p[bn + c] * ISTD[l, c]
                for r in range(rows):
                    for i in range(c * area, (c + 1) * area):
                        if train:
                            back[r, i] = scale * (back[r, i] - sum_d / count - XH[l, r, i] * sum_dx / count)
                        else:
                            back[r, i] = scale * back[r, i]
        kernel = p[lay.conv[l, CW_OFF]:lay.conv[l, CB_OFF]].reshape((c_out, c_in, k, k))
        n_k = c_out * c_in * k * k
        # the batch's upstream gradients side by side, zero between the images: one call of each
        # backward loop gives every image's input gradient and the kernel / bias gradients summed
        xw = side_by_side(S[l], rows, c_in, h, w, left, right)
        wp = w + left + right
        gw = np.zeros((c_out, h, xw.shape[2] - k + 1))
        for r in range(rows):
            gw[:, :, r * wp:r * wp + w] = back[r, :size].reshape((c_out, h, w))
        g[lay.conv[l, CW_OFF]:lay.conv[l, CB_OFF]] += grad_kernel_loop(xw, gw, k, k, 1, 1, top, bottom, 0, 0,
                                                                       1, 1).reshape(n_k)
        g[lay.conv[l, CB_OFF]:lay.conv[l, CB_OFF] + c_out] += grad_bias_loop(gw)
        if l > 0:
            gx = grad_input_loop(gw, kernel, h, xw.shape[2], 1, 1, top, 0, 1, 1)
            for r in range(rows):
                delta[r, :c_in * area].reshape((c_in, h, w))[:] = gx[:, :, r * wp + left:r * wp + left + w]


@njit(cache=True, nogil=True)
def load_images(X, idx, start, rows, S):
    """S[0][:rows] <- the images idx[start:start + rows], flattened."""
    n_pix = X.shape[1] * X.shape[2] * X.shape[3]
    for r in range(rows):
        S[0, r, :n_pix] = X[idx[start + r]].reshape(n_pix)


@njit(cache=True, nogil=True)
def one_hot_targets(y, idx, start, rows, n_out, smoothing, T):
    """T[:rows] <- (1 - eps) one-hot + eps / K of the labels idx[start:start + rows]."""
    for r in range(rows):
        label = int(y[idx[start + r]])
        for k in range(n_out):
            T[r, k] = smoothing / n_out + ((1.0 - smoothing) if k == label else 0.0)


@njit(cache=True, nogil=True)
def evaluate(p, lay, running, X, y, idx, ws, T, dZ, confusion):
    """(mean loss, accuracy) of rows idx in evaluation mode; confusion[true, predicted] += counts
    (pass a (K, K) array, or (0, 0) to skip). NaN for an empty idx."""
    n = idx.shape[0]
    if n == 0:
        return math.nan, math.nan
    chunk = ws[0].shape[1]
    training = chunk < 0     # False as a runtime value, so `forward` compiles once
    total, hits = 0.0, 0.0
    A = ws[6]
    last = lay.dense.shape[0]
    for start in range(0, n, chunk):
        rows = min(chunk, n - start)
        load_images(X, idx, start, rows, ws[0])
        forward(p, lay, rows, training, 0.0, np.uint64(0), 0, running, ws)
        one_hot_targets(y, idx, start, rows, lay.n_classes, 0.0, T)
        total += loss_grad(A[last], T, rows, lay.n_classes, dZ)
        for r in range(rows):
            best = 0
            for k in range(1, lay.n_classes):
                if A[last, r, k] > A[last, r, best]:
                    best = k
            label = int(y[idx[start + r]])
            hits += best == label
            if confusion.shape[0] > 0:
                confusion[label, best] += 1
    return total / n, hits / n


def batch_loss_grad(model: CnnModel, params: np.ndarray, x: np.ndarray, targets: np.ndarray, *,
                    train: bool = True, dropout: float = 0.0, dropout_key: int = 0,
                    running: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """(mean loss, its gradient) of images x (n, C, H, W) against target rows (n, classes), through the
    training kernels (for gradient checks and the torch cross-check)."""
    rows = x.shape[0]
    ws = workspace(model, rows)
    running = model.new_running() if running is None else running
    x = np.ascontiguousarray(x, dtype=np.float64)
    load_images(x, np.arange(rows), 0, rows, ws[0])
    forward(params, model.layout, rows, train, dropout, np.uint64(dropout_key), 0, running, ws)
    dZ = np.empty((rows, model.n_out))
    targets = np.ascontiguousarray(targets, dtype=np.float64)
    loss = loss_grad(ws[6][-1], targets, rows, model.n_out, dZ)
    g = np.empty(model.n_params)
    backward(params, model.layout, rows, train, ws, dZ, g)
    return loss / rows, g


__all__ = ["CnnModel", "POOLS", "backward", "batch_loss_grad", "evaluate", "forward", "neighbour_correlation",
           "sobel_alignment", "workspace", "workspace_bytes"]
