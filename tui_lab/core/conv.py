"""1-D and 2-D convolution: forward, backward and the term-by-term trace (torch.nn.functional semantics).

Everything is computed in one canonical 2-D layout: input x (C, H, W), kernel (O, C, KH, KW), bias (O,),
output (O, OH, OW). A 1-D convolution is the 2-D one with H = KH = 1. Padding may differ per side
(top, bottom, left, right), which "same" needs for even kernels, exactly as torch pads.

mode = "cross-correlation" (torch's conv) slides the kernel as written; mode = "convolution" slides the
kernel flipped in both spatial axes. Gradients are always with respect to the kernel as written.

The backward pass uses the convolution identities, with g the upstream gradient d(loss)/d(output):
- input gradient: the full correlation of g, dilated by the stride (s-1 zeros between entries) and padded
  by d(k-1) zeros, with the flipped kernel (dilated by d), O and C swapped; then the padding rows and
  columns are cropped away;
- kernel gradient: the correlation of the padded input with g used as a kernel dilated by the stride,
  stepped with the dilation as stride;
- bias gradient: the sum of g over each output channel.

Trace (`forward_terms`, `grad_input_terms`, `grad_kernel_terms`, `grad_bias_terms`): the terms of one
entry in the order they are added; partial sums are their running sums (bias added last for the forward
pass). The output, input-gradient and bias sums add in the same order as the compiled loops, so the last
partial sum is the computed value bit for bit (the compiled input gradient also adds the zero terms of
the dilated upstream gradient, which the trace leaves out: adding zero changes nothing). The compiled
kernel gradient is a vectorised dot product, equal to its trace's last partial sum up to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from ..i18n import N_, tr
from .kernels import kernel

MODES = ("cross-correlation", "convolution")

NAMED_KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16.0,
    "box": np.full((3, 3), 1.0 / 9.0),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),
    "sobel_x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "sobel_y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], dtype=np.float64),
}


# -- compiled loops ---------------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def phase_planes(x, top, bottom, left, right, sh, sw):
    """The zero-padded input split into flat phase planes: planes[c, a, b, u*width + v] = padded[c, u*sh + a, v*sw + b].

    Strided windows become contiguous runs: rows y*sh + r and columns x*sw + q for all (y, x) are one
    run of plane (r % sh, q % sw) starting at (r // sh)*width + q // sw, when each output row is taken
    `width` long (the extra columns are computed and dropped). One spare row of zeros lets the last
    wide row run past the end. Returns (planes, width).
    """
    c_n, h, w = x.shape
    width = (w + left + right + sw - 1) // sw
    height = (h + top + bottom + sh - 1) // sh + 1
    planes = np.zeros((c_n, sh, sw, height * width))
    for b in range(sw):
        first = (b - left) % sw          # first input column whose padded column is in phase b
        n_cols = len(range(first, w, sw))
        offset = (first + left) // sw
        for c in range(c_n):
            for y in range(h):
                r = y + top
                at = (r // sh) * width + offset
                planes[c, r % sh, b, at:at + n_cols] = x[c, y, first::sw]
    return planes, width


@njit(cache=True, nogil=True)
def window_starts(planes, width, kh, kw, y0, x0, sh, sw, dh, dw):
    """For each term t = (c, i, j) in row-major order: (c, row phase, column phase, start) of its run."""
    c_n = planes.shape[0]
    starts = np.empty((c_n * kh * kw, 4), dtype=np.int64)
    t = 0
    for c in range(c_n):
        for i in range(kh):
            r = y0 + i * dh
            for j in range(kw):
                q = x0 + j * dw
                starts[t, 0], starts[t, 1], starts[t, 2] = c, r % sh, q % sw
                starts[t, 3] = (r // sh) * width + q // sw
                t += 1
    return starts


@njit(cache=True, nogil=True, inline="always")
def run_of(planes, starts, t):
    return planes[starts[t, 0], starts[t, 1], starts[t, 2], starts[t, 3]:]


@njit(cache=True, nogil=True)
def correlate(planes, width, kernel, y0, x0, sh, sw, dh, dw, oh, ow):
    """out[o, y, x] = sum over c, i, j (in that order) of src[c, y0 + y*sh + i*dh, x0 + x*sw + j*dw] * kernel[o, c, i, j],
    src given as phase planes (see phase_planes), zero-padded so every index is in range.

    Each output channel is updated by whole contiguous runs, four kernel terms per pass so an entry is
    loaded and stored once per four products; each entry still adds its terms one by one in (c, i, j)
    order. A last pass short of four terms repeats the last run with weight 0 (the sums are unchanged).
    """
    o_n, c_n, kh, kw = kernel.shape
    starts = window_starts(planes, width, kh, kw, y0, x0, sh, sw, dh, dw)
    n_terms = starts.shape[0]
    n = oh * width
    # output channels in pairs (a spare zero channel when O is odd) share each load of the input runs
    weights = np.zeros((o_n + 1, n_terms + 3))
    weights[:o_n, :n_terms] = kernel.reshape((o_n, n_terms))
    wide = np.zeros((o_n + 1, n))
    for o in range(0, o_n, 2):
        dst0, dst1 = wide[o], wide[o + 1]
        w0, w1 = weights[o], weights[o + 1]
        for t in range(0, n_terms, 4):
            a = run_of(planes, starts, t)
            b = run_of(planes, starts, min(t + 1, n_terms - 1))
            c = run_of(planes, starts, min(t + 2, n_terms - 1))
            d = run_of(planes, starts, min(t + 3, n_terms - 1))
            ka0, kb0, kc0, kd0 = w0[t], w0[t + 1], w0[t + 2], w0[t + 3]
            ka1, kb1, kc1, kd1 = w1[t], w1[t + 1], w1[t + 2], w1[t + 3]
            for m in range(n):
                va, vb, vc, vd = a[m], b[m], c[m], d[m]
                dst0[m] = dst0[m] + va * ka0 + vb * kb0 + vc * kc0 + vd * kd0
                dst1[m] = dst1[m] + va * ka1 + vb * kb1 + vc * kc1 + vd * kd1
    return np.ascontiguousarray(wide[:o_n].reshape((o_n, oh, width))[:, :, :ow])


@njit(cache=True, nogil=True)
def forward_loop(x, kernel, bias, sh, sw, top, bottom, left, right, dh, dw, oh, ow):
    """The output (O, OH, OW): correlation of the zero-padded input with the (effective) kernel, plus bias."""
    planes, width = phase_planes(x, top, bottom, left, right, sh, sw)
    out = correlate(planes, width, kernel, 0, 0, sh, sw, dh, dw, oh, ow)
    for o in range(kernel.shape[0]):
        out[o] += bias[o]
    return out


@njit(cache=True, nogil=True)
def grad_input_loop(grad_out, kernel, h, w, sh, sw, top, left, dh, dw):
    """d(sum(out * g))/dx: full correlation of the stride-dilated g with the flipped kernel, then cropped."""
    o_n, c_n, kh, kw = kernel.shape
    _, oh, ow = grad_out.shape
    reach_h, reach_w = dh * (kh - 1), dw * (kw - 1)
    # g dilated by the stride and padded by d(k-1) on every side, large enough for the cropped window;
    # laid out directly as one flat plane per channel (stride 1) with a spare row, as correlate reads it
    rows = max(top + h + reach_h, reach_h + (oh - 1) * sh + 1)
    cols = max(left + w + reach_w, reach_w + (ow - 1) * sw + 1)
    dilated = np.zeros((o_n, 1, 1, (rows + 1) * cols))
    for o in range(o_n):
        for y in range(oh):
            at = (reach_h + y * sh) * cols + reach_w
            dilated[o, 0, 0, at:at + (ow - 1) * sw + 1:sw] = grad_out[o, y]
    flipped = np.empty((c_n, o_n, kh, kw))
    for o in range(o_n):
        for c in range(c_n):
            for i in range(kh):
                for j in range(kw):
                    flipped[c, o, i, j] = kernel[o, c, kh - 1 - i, kw - 1 - j]
    # starting at (top, left) crops the padding
    return correlate(dilated, cols, flipped, top, left, 1, 1, dh, dw, h, w)


@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz", "contract"})
def grad_kernel_loop(x, grad_out, kh, kw, sh, sw, top, bottom, left, right, dh, dw):
    """d(sum(out * g))/d(kernel): correlation of the padded input with g dilated by the stride.

    grad[o, c, i, j] = sum over (y, x) of src[c, i*dh + y*sh, j*dw + x*sw] * g[o, y, x]: one dot product
    of an input run (see phase_planes) with g laid out as wide rows (zero in the extra columns).
    The dot products may reassociate (so they vectorise): the last bits can differ from adding the
    terms strictly in order, as the trace does.
    """
    o_n, oh, ow = grad_out.shape
    c_n = x.shape[0]
    planes, width = phase_planes(x, top, bottom, left, right, sh, sw)
    starts = window_starts(planes, width, kh, kw, 0, 0, sh, sw, dh, dw)
    n = oh * width
    g_wide = np.zeros((o_n + 1, n))      # with a spare zero channel when O is odd
    for o in range(o_n):
        for y in range(oh):
            g_wide[o, y * width:y * width + ow] = grad_out[o, y]
    n_terms = starts.shape[0]
    # four input runs and a pair of output channels per pass: six loads feed eight products
    grad_k = np.empty((o_n + 1, n_terms + 3))
    for t in range(0, n_terms, 4):
        a = run_of(planes, starts, t)
        b = run_of(planes, starts, min(t + 1, n_terms - 1))
        c = run_of(planes, starts, min(t + 2, n_terms - 1))
        d = run_of(planes, starts, min(t + 3, n_terms - 1))
        for o in range(0, o_n, 2):
            g0, g1 = g_wide[o], g_wide[o + 1]
            sa0 = sb0 = sc0 = sd0 = sa1 = sb1 = sc1 = sd1 = 0.0
            for m in range(n):
                va, vb, vc, vd, u0, u1 = a[m], b[m], c[m], d[m], g0[m], g1[m]
                sa0 += va * u0
                sb0 += vb * u0
                sc0 += vc * u0
                sd0 += vd * u0
                sa1 += va * u1
                sb1 += vb * u1
                sc1 += vc * u1
                sd1 += vd * u1
            grad_k[o, t:t + 4] = (sa0, sb0, sc0, sd0)
            grad_k[o + 1, t:t + 4] = (sa1, sb1, sc1, sd1)
    return np.ascontiguousarray(grad_k[:o_n, :n_terms]).reshape((o_n, c_n, kh, kw))


@njit(cache=True, nogil=True)
def grad_bias_loop(grad_out):
    """Sum of g over each output channel, in row-major order (channels side by side, so the sums overlap)."""
    o_n, oh, ow = grad_out.shape
    grad_b = np.zeros(o_n)
    for y in range(oh):
        for x in range(ow):
            for o in range(o_n):
                grad_b[o] += grad_out[o, y, x]
    return grad_b


# -- geometry --------------------------------------------------------------------------------------------

def out_length(n: int, k: int, stride: int, dilation: int, pad_before: int, pad_after: int) -> int:
    """floor((n + pads - d(k-1) - 1)/s) + 1; zero or less when the dilated kernel does not fit."""
    span = n + pad_before + pad_after - dilation * (k - 1) - 1
    return span // stride + 1 if span >= 0 else 0


def same_padding(k: int, dilation: int) -> tuple[int, int]:
    """torch's padding="same": total d(k-1), the odd one extra on the far side."""
    total = dilation * (k - 1)
    return total // 2, total - total // 2


def size_formula(n: int, k: int, stride: int, dilation: int, pad_before: int, pad_after: int) -> str:
    """The output-size formula with the numbers filled in, as the panel and the summary show it."""
    pads = f"2*{pad_before}" if pad_before == pad_after else f"{pad_before}+{pad_after}"
    span = n + pad_before + pad_after - dilation * (k - 1) - 1
    value = out_length(n, k, stride, dilation, pad_before, pad_after)
    shown = str(value) if span >= 0 else f"floor({span}/{stride}) + 1 = {span // stride + 1}  " + tr("(does not fit)")
    return f"floor(({n} + {pads} - {dilation}*({k}-1) - 1)/{stride}) + 1 = " + shown


class Term(NamedTuple):
    """One product of a trace. Indices are canonical: input (c, y, x) where y, x may fall in the padding
    (then the value is 0), kernel (o, c, i, j) as written, upstream gradient (o, y, x)."""
    left_index: tuple
    right_index: tuple
    left_value: float
    right_value: float
    product: float


@dataclass
class Conv:
    """A convolution problem in the canonical layout, checked by `problem()` before use."""
    x: np.ndarray                      # (C, H, W)
    kernel: np.ndarray                 # (O, C, KH, KW) as written
    bias: np.ndarray                   # (O,)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)   # top, bottom, left, right
    dilation: tuple[int, int] = (1, 1)
    mode: str = "cross-correlation"

    def __post_init__(self):
        self.x = np.ascontiguousarray(self.x, dtype=np.float64)
        self.kernel = np.ascontiguousarray(self.kernel, dtype=np.float64)
        self.bias = np.ascontiguousarray(self.bias, dtype=np.float64)

    # -- shapes ----------------------------------------------------------------------------------------
    @property
    def out_shape(self) -> tuple[int, int, int]:
        _, h, w = self.x.shape
        o_n, _, kh, kw = self.kernel.shape
        top, bottom, left, right = self.padding
        return (o_n, out_length(h, kh, self.stride[0], self.dilation[0], top, bottom),
                out_length(w, kw, self.stride[1], self.dilation[1], left, right))

    def formulas(self) -> tuple[str, str]:
        """(height, width) output-size formulas with the current numbers."""
        _, h, w = self.x.shape
        kh, kw = self.kernel.shape[2:]
        top, bottom, left, right = self.padding
        return (size_formula(h, kh, self.stride[0], self.dilation[0], top, bottom),
                size_formula(w, kw, self.stride[1], self.dilation[1], left, right))

    def problem(self) -> str | None:
        """None when the shapes fit, else a one-line explanation."""
        c_n, h, w = self.x.shape
        o_n, kc, kh, kw = self.kernel.shape
        if kc != c_n:
            return tr("the kernel has {kernel} input channels but the input has {input}", kernel=kc, input=c_n)
        if self.bias.shape != (o_n,):
            return tr("expected {count} bias values (one per output channel), got {got}", count=o_n,
                      got=self.bias.shape[0])
        top, bottom, left, right = self.padding
        sides = ((N_("height"), h, kh, top, bottom), (N_("width"), w, kw, left, right))
        for a, (axis, n, k, lo, hi) in enumerate(sides):
            reach = self.dilation[a] * (k - 1) + 1
            if reach > n + lo + hi:
                return tr("the dilated kernel spans {reach} in {axis} (d(k-1)+1 = {dilation}*({k}-1)+1) but the "
                          "padded input is only {padded} (= {n} + {lo} + {hi}); use a smaller kernel or dilation, "
                          "or more padding", reach=reach, axis=tr(axis), dilation=self.dilation[a], k=k,
                          padded=n + lo + hi, n=n, lo=lo, hi=hi)
        return None

    @property
    def effective_kernel(self) -> np.ndarray:
        """The kernel as it is slid: flipped in both spatial axes for mode = "convolution"."""
        if self.mode == "convolution":
            return np.ascontiguousarray(self.kernel[:, :, ::-1, ::-1])
        return self.kernel

    def written_index(self, o: int, c: int, i: int, j: int) -> tuple[int, int, int, int]:
        """Index in the kernel as written of the effective kernel's entry (o, c, i, j)."""
        if self.mode == "convolution":
            kh, kw = self.kernel.shape[2:]
            return o, c, kh - 1 - i, kw - 1 - j
        return o, c, i, j

    # -- numbers ---------------------------------------------------------------------------------------
    def forward(self) -> np.ndarray:
        _, oh, ow = self.out_shape
        top, bottom, left, right = self.padding
        return kernel(forward_loop)(self.x, self.effective_kernel, self.bias, self.stride[0], self.stride[1],
                            top, bottom, left, right, self.dilation[0], self.dilation[1], oh, ow)

    def backward(self, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(grad_input, grad_kernel as written, grad_bias) of sum(output * grad_out)."""
        grad_out = np.ascontiguousarray(grad_out, dtype=np.float64)
        _, h, w = self.x.shape
        kh, kw = self.kernel.shape[2:]
        top, bottom, left, right = self.padding
        (sh, sw), (dh, dw) = self.stride, self.dilation
        effective = self.effective_kernel
        grad_x = kernel(grad_input_loop)(grad_out, effective, h, w, sh, sw, top, left, dh, dw)
        grad_k = kernel(grad_kernel_loop)(self.x, grad_out, kh, kw, sh, sw, top, bottom, left, right, dh, dw)
        if self.mode == "convolution":
            grad_k = np.ascontiguousarray(grad_k[:, :, ::-1, ::-1])
        return grad_x, grad_k, kernel(grad_bias_loop)(grad_out)

    # -- trace -----------------------------------------------------------------------------------------
    def input_value(self, c: int, y: int, x: int) -> float:
        """The input at (c, y, x), zero in the padding."""
        _, h, w = self.x.shape
        return float(self.x[c, y, x]) if 0 <= y < h and 0 <= x < w else 0.0

    def window_origin(self, oy: int, ox: int) -> tuple[int, int]:
        """Input position (may be in the padding) under the kernel's top-left entry for output (oy, ox)."""
        return oy * self.stride[0] - self.padding[0], ox * self.stride[1] - self.padding[2]

    def forward_terms(self, o: int, oy: int, ox: int) -> list[Term]:
        """Terms of output (o, oy, ox) in the order added: channels, then kernel rows, then columns.
        left = input, right = kernel (index as written)."""
        c_n = self.x.shape[0]
        kh, kw = self.kernel.shape[2:]
        y0, x0 = self.window_origin(oy, ox)
        (dh, dw), kernel = self.dilation, self.effective_kernel
        terms = []
        for c in range(c_n):
            for i in range(kh):
                for j in range(kw):
                    y, x = y0 + i * dh, x0 + j * dw
                    a, b = self.input_value(c, y, x), float(kernel[o, c, i, j])
                    terms.append(Term((c, y, x), self.written_index(o, c, i, j), a, b, a * b))
        return terms

    def grad_input_taps(self, y: int, x: int) -> tuple[list, list]:
        """Which kernel rows and columns meet input (y, x), and from which output row / column:
        [(i, oy), ...] and [(j, ox), ...], the flipped kernel's order (last kernel row first)."""
        _, oh, ow = self.out_shape
        kh, kw = self.kernel.shape[2:]
        (sh, sw), (dh, dw) = self.stride, self.dilation

        def taps(p, k, d, s, n_out):
            return [(i, (p - i * d) // s) for i in range(k - 1, -1, -1)
                    if p - i * d >= 0 and (p - i * d) % s == 0 and (p - i * d) // s < n_out]
        return taps(y + self.padding[0], kh, dh, sh, oh), taps(x + self.padding[2], kw, dw, sw, ow)

    def grad_input_terms(self, grad_out: np.ndarray, c: int, y: int, x: int) -> list[Term]:
        """Terms of grad_input[c, y, x]: left = upstream gradient (o, oy, ox), right = kernel entry it meets
        (index as written). Order: output channels, then the flipped kernel's rows and columns."""
        rows, cols = self.grad_input_taps(y, x)
        kernel = self.effective_kernel
        terms = []
        for o in range(self.kernel.shape[0]):
            for i, oy in rows:
                for j, ox in cols:
                    g, k = float(grad_out[o, oy, ox]), float(kernel[o, c, i, j])
                    terms.append(Term((o, oy, ox), self.written_index(o, c, i, j), g, k, g * k))
        return terms

    def grad_kernel_terms(self, grad_out: np.ndarray, o: int, c: int, i: int, j: int) -> list[Term]:
        """Terms of grad_kernel[o, c, i, j] (index as written): left = input (c, y, x), may be padding;
        right = upstream gradient (o, oy, ox), in row-major order of the output."""
        if self.mode == "convolution":
            kh, kw = self.kernel.shape[2:]
            i, j = kh - 1 - i, kw - 1 - j      # the effective kernel entry that the written (i, j) becomes
        _, oh, ow = grad_out.shape
        terms = []
        for oy in range(oh):
            for ox in range(ow):
                y0, x0 = self.window_origin(oy, ox)
                y, x = y0 + i * self.dilation[0], x0 + j * self.dilation[1]
                a, g = self.input_value(c, y, x), float(grad_out[o, oy, ox])
                terms.append(Term((c, y, x), (o, oy, ox), a, g, a * g))
        return terms

    def grad_bias_terms(self, grad_out: np.ndarray, o: int) -> list[Term]:
        """Terms of grad_bias[o]: each upstream gradient of channel o (left) times 1 (right)."""
        _, oh, ow = grad_out.shape
        return [Term((o, oy, ox), (o,), float(grad_out[o, oy, ox]), 1.0, float(grad_out[o, oy, ox]))
                for oy in range(oh) for ox in range(ow)]


def partial_sums(terms: list[Term], bias: float | None = None) -> list[float]:
    """Running sums after each term (then after the bias, when given), added in order from 0."""
    sums, total = [], 0.0
    for t in terms:
        total += t.product
        sums.append(total)
    if bias is not None:
        sums.append(total + bias)
    return sums


def reference_forward(conv: Conv) -> np.ndarray:
    """The definition written directly in NumPy (for tests and the bench's reference)."""
    src, kernel, windows = _reference_windows(conv)
    out = np.zeros(conv.out_shape)
    for (i, j), rows, cols in windows:
        out += np.einsum("oc,cyx->oyx", kernel[:, :, i, j], src[:, rows, cols])
    return out + conv.bias[:, None, None]


def _reference_windows(conv: Conv):
    """The zero-padded input, the effective kernel, and for each kernel entry (i, j) the slices of the
    padded input that entry multiplies across all output positions."""
    _, _, kh, kw = conv.kernel.shape
    _, oh, ow = conv.out_shape
    top, bottom, left, right = conv.padding
    (sh, sw), (dh, dw) = conv.stride, conv.dilation
    src = np.pad(conv.x, ((0, 0), (top, bottom), (left, right)))
    windows = [((i, j), slice(i * dh, i * dh + (oh - 1) * sh + 1, sh), slice(j * dw, j * dw + (ow - 1) * sw + 1, sw))
               for i in range(kh) for j in range(kw)]
    return src, conv.effective_kernel, windows


def reference_backward(conv: Conv, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients by the chain rule on the NumPy definition (each window's scatter), independent of the
    identities used by `Conv.backward`."""
    _, h, w = conv.x.shape
    top, _, left, _ = conv.padding
    src, kernel, windows = _reference_windows(conv)
    grad_src = np.zeros_like(src)
    grad_k = np.zeros(conv.kernel.shape)
    for (i, j), rows, cols in windows:
        grad_k[:, :, i, j] = np.einsum("oyx,cyx->oc", grad_out, src[:, rows, cols])
        grad_src[:, rows, cols] += np.einsum("oc,oyx->cyx", kernel[:, :, i, j], grad_out)
    if conv.mode == "convolution":
        grad_k = grad_k[:, :, ::-1, ::-1]
    return grad_src[:, top:top + h, left:left + w], grad_k, grad_out.sum(axis=(1, 2))
