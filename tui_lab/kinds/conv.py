"""kind = "conv": convolution step by step (torch.nn.functional.conv1d / conv2d semantics).

Layouts. The kernel's rank says the dimension: a K or O x C x K kernel makes a 1-D convolution
(input L or C x L), a KH x KW kernel, a named kernel or an O x C x KH x KW kernel a 2-D one (input
H x W or C x H x W). An input without a channel axis has C = 1; a kernel without channel axes is
copied to every input channel and makes one output channel (so a named kernel on a C x H x W input
filters each channel and adds the C results). Arrays in the JSON keep these layouts: the output has an
output-channel axis exactly when the (resolved) kernel has channel axes; `kernel` and `grad_kernel`
are the resolved kernel, so a kernel copied to C channels shows as 1 x C x KH x KW.

Instead of `input`, `image = "scene" | "checker" | "rings"` takes a built-in picture (grayscale,
H x W, values in [0, 1]).

JSON: `conv` (the resolved settings and the output-size formulas), `input`, `kernel`, `bias`,
`output_shape`, `output`, `grad_output`, `grad_input`, `grad_kernel`, `grad_bias` (gradients of
sum(output * grad_output), with respect to the kernel as written, also for mode = "convolution").

With --trace:
- `trace`: one entry per output cell in the order the kernel visits them (output channel, then rows,
  then columns), each {"out": index, "terms": [{"input": index, "kernel": index, "input_value",
  "kernel_value", "product"}, ...], "partial_sums": [running sum after each term, ..., + bias]}.
  Terms come in the order (input channel, kernel row, kernel column); an input index outside the
  input's range is zero padding (value 0). Kernel indices are in the kernel as written, so with
  mode = "convolution" the first term meets the kernel's last entry.
- `trace_backward`: {"grad_input": [...], "grad_kernel": [...], "grad_bias": [...]}, one entry per
  gradient entry in row-major order, each {"entry": index, "terms": [...], "partial_sums": [...]}:
  grad_input terms {"grad_output": index, "kernel": index, "grad_output_value", "kernel_value",
  "product"} (the full correlation of the stride-dilated upstream gradient with the flipped kernel;
  the zeros the dilation and padding insert are left out); grad_kernel terms {"input": index,
  "grad_output": index, "input_value", "grad_output_value", "product"}; grad_bias terms
  {"grad_output": index, "grad_output_value", "product"}.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.conv import MODES, NAMED_KERNELS, Conv, Term, partial_sums, same_padding
from ..core.images import PICTURES, gray, picture
from ..i18n import N_, tr
from ..output import fmt, table
from ..scenario.fields import ScenarioError, Section, describe, is_number

MAX_SIDE = 4096            # any one axis
MAX_ELEMENTS = 4_000_000   # input, kernel or output entries
MAX_PRODUCTS = 4_000_000_000   # multiplications of one forward pass
MAX_TRACE_TERMS = 200_000  # --trace is for small problems
INPUT_RANGE = (0, 5)       # input_shape: seeded integers in [0, 5]
KERNEL_RANGE = (-2, 2)     # kernel_shape and grad_output = "random": seeded integers in [-2, 2]
INPUT_STREAM, KERNEL_STREAM, GRAD_STREAM = 1, 2, 3


@dataclass
class Layout:
    """How canonical (C, H, W) / (O, C, KH, KW) / (O, OH, OW) arrays are shown to the user."""
    one_d: bool
    input_channels: bool     # the input has a C axis
    kernel_channels: bool    # the (resolved) kernel has O and C axes; then the output has an O axis

    def input_index(self, c: int, y: int, x: int) -> list[int]:
        return ([c] if self.input_channels else []) + ([] if self.one_d else [y]) + [x]

    def kernel_index(self, o: int, c: int, i: int, j: int) -> list[int]:
        return ([o, c] if self.kernel_channels else []) + ([] if self.one_d else [i]) + [j]

    def output_index(self, o: int, y: int, x: int) -> list[int]:
        return ([o] if self.kernel_channels else []) + ([] if self.one_d else [y]) + [x]

    def show(self, canonical: np.ndarray, channels: bool) -> np.ndarray:
        """A canonical array ((C|O), H, W) or (O, C, KH, KW) in the user's layout: 1-D drops the row axis,
        and without channels the leading channel axes go."""
        arr = canonical[..., 0, :] if self.one_d else canonical
        return arr if channels else arr[(0,) * (arr.ndim - (1 if self.one_d else 2))]

    def canonical_output(self, shown: np.ndarray) -> np.ndarray:
        """(O, OH, OW) from an array in the output's layout."""
        arr = np.asarray(shown, dtype=np.float64)
        if not self.kernel_channels:
            arr = arr[None]
        return arr[:, None, :] if self.one_d else arr


@dataclass
class ConvSettings:
    conv: Conv
    layout: Layout
    grad_output: str | np.ndarray      # "ones", "random" or the array in the output's layout
    image: str | None = None
    kernel_name: str | None = None
    padding_spec: object = 0           # as written: int, pair, "valid" or "same"

    def grad_array(self, seed: int) -> np.ndarray:
        """The upstream gradient (O, OH, OW)."""
        shape = self.conv.out_shape
        if isinstance(self.grad_output, str):
            if self.grad_output == "ones":
                return np.ones(shape)
            return seeded_integers(seed, GRAD_STREAM, shape, KERNEL_RANGE)
        return self.layout.canonical_output(self.grad_output)


def seeded_integers(seed: int, stream: int, shape, bounds: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng([seed, stream])
    return rng.integers(bounds[0], bounds[1] + 1, size=tuple(shape)).astype(np.float64)


# -- reading --------------------------------------------------------------------------------------------

def nested_shape(value) -> tuple[int, ...] | None:
    """The shape of a rectangular nested list of finite numbers, or None."""
    if is_number(value):
        return () if math.isfinite(value) else None
    if not isinstance(value, list) or not value:
        return None
    shapes = [nested_shape(v) for v in value]
    if shapes[0] is None or any(s != shapes[0] for s in shapes):
        return None
    return (len(value),) + shapes[0]


def read_array(sec: Section, key: str, ranks: tuple[int, ...], expected: str) -> np.ndarray:
    value = sec.raw(key, expected=expected)
    shape = nested_shape(value)
    if shape is None or len(shape) not in ranks:
        raise sec.fail(key, expected, value)
    if any(n > MAX_SIDE for n in shape) or math.prod(shape) > MAX_ELEMENTS:
        raise sec.fail(key, tr("at most {side} along an axis and {most} entries", side=MAX_SIDE, most=MAX_ELEMENTS),
                       value)
    return np.array(value, dtype=np.float64)


def read_shape(sec: Section, key: str, ranks: tuple[int, ...], expected: str) -> tuple[int, ...]:
    value = sec.raw(key, expected=expected)
    if (not isinstance(value, list) or len(value) not in ranks
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_SIDE for v in value)
            or math.prod(value) > MAX_ELEMENTS):
        raise sec.fail(key, expected, value)
    return tuple(value)


def read_pair(sec: Section, key: str, one_d: bool, low: int, default: int) -> tuple[int, int]:
    """An int or a pair [rows, cols] (one number for 1-D), each at least `low` (1 for stride and
    dilation, 0 for padding, which is also the row value of a 1-D convolution); as (h, w)."""
    expected = f"an integer >= {low}" if one_d else tr("an integer >= {low} or a pair [h, w] of them", low=low)
    value = sec.raw(key, default, expected)
    items = value if isinstance(value, list) else [value]
    ok = len(items) in ((1,) if one_d else (1, 2)) and all(
        isinstance(v, int) and not isinstance(v, bool) and low <= v <= MAX_SIDE for v in items)
    if not ok:
        raise sec.fail(key, expected, value)
    return (low, items[0]) if one_d else (items[0], items[-1])   # 1-D: the row axis is trivial


def shape_text(shape) -> str:
    return " x ".join(str(n) for n in shape)


def parse(top: Section, seed: int) -> ConvSettings:
    sec = top.section("conv", required=True)
    sources = [k for k in ("input", "input_shape", "image") if sec.has(k)]
    if len(sources) != 1:
        raise sec.fail_at("input", tr("expected exactly one of input, input_shape or image, got {given}",
                                      given=", ".join(sources) if sources else tr("none")))
    image = None
    if sources[0] == "input":
        x = read_array(sec, "input", (1, 2, 3), N_("a 1-D list, an H x W or a C x H x W array of numbers"))
    elif sources[0] == "input_shape":
        x = seeded_integers(seed, INPUT_STREAM, read_shape(sec, "input_shape", (1, 2, 3),
                                                           N_("[L], [H, W] or [C, H, W] (positive integers)")),
                             INPUT_RANGE)
    else:
        image = sec.choice("image", list(PICTURES), what="a built-in picture, one of")
        x = gray(picture(image))

    kernel_name = None
    if not sec.has("kernel") and not sec.has("kernel_shape"):
        raise sec.fail("kernel", N_("a kernel (array or name) or kernel_shape"))
    if sec.has("kernel") and sec.has("kernel_shape"):
        raise sec.fail_at("kernel_shape", tr("give kernel or kernel_shape, not both"))
    if sec.has("kernel") and isinstance(sec.data["kernel"], str):
        kernel_name = sec.choice("kernel", list(NAMED_KERNELS), what="a named kernel, one of")
        k = NAMED_KERNELS[kernel_name].copy()
    elif sec.has("kernel"):
        k = read_array(sec, "kernel", (1, 2, 3, 4),
                       N_("a K, KH x KW, O x C x K or O x C x KH x KW array of numbers, or a kernel name"))
    else:
        k = seeded_integers(seed, KERNEL_STREAM, read_shape(sec, "kernel_shape", (1, 2, 3, 4),
                                                            "[K], [KH, KW], [O, C, K] or [O, C, KH, KW]"), KERNEL_RANGE)

    one_d = k.ndim in (1, 3)
    key = "kernel" if sec.has("kernel") else "kernel_shape"
    input_key = sources[0]
    if one_d and x.ndim == 3:
        raise sec.fail_at(key, tr("a 1-D kernel ({kernel}) needs an L or C x L input, got a {input} input",
                                  kernel=shape_text(k.shape), input=shape_text(x.shape)))
    if not one_d and x.ndim == 1:
        raise sec.fail_at(key, tr("a 2-D kernel ({kernel}) needs an H x W or C x H x W input, got a 1-D input of "
                                  "length {length}", kernel=shape_text(k.shape), length=x.shape[0]))
    input_channels = x.ndim == (2 if one_d else 3)
    x3 = x if input_channels else x[None]
    x3 = x3[:, None, :] if one_d else x3
    c_n = x3.shape[0]
    kernel_channels = k.ndim >= 3 or input_channels
    if k.ndim >= 3:
        if k.shape[1] != c_n:
            raise sec.fail_at(key, tr("the kernel {kernel} has C = {channels} input channels but the {key} has "
                                      "{count}", kernel=shape_text(k.shape), channels=k.shape[1], key=input_key,
                                      count=c_n))
        k4 = k[:, :, None, :] if one_d else k
    else:
        k2 = k[None, :] if one_d else k
        k4 = np.repeat(k2[None, None], c_n, axis=1)      # one output channel; the kernel copied per channel
    o_n = k4.shape[0]
    kh, kw = k4.shape[2:]

    stride = read_pair(sec, "stride", one_d, 1, 1)
    dilation = read_pair(sec, "dilation", one_d, 1, 1)
    padding_spec = sec.raw("padding", 0) if sec.has("padding") else 0
    if isinstance(padding_spec, str):
        sec.choice("padding", ["valid", "same"], what=tr("an integer >= 0, a pair, or one of"))
        if padding_spec == "valid":
            padding = (0, 0, 0, 0)
        else:
            if stride != (1, 1):
                raise sec.fail_at("padding", tr('"same" needs stride 1 (as in torch), got stride {stride}',
                                                stride=stride[1] if one_d else list(stride)))
            padding = same_padding(kh, dilation[0]) + same_padding(kw, dilation[1])
    else:
        ph, pw = read_pair(sec, "padding", one_d, 0, 0)
        padding = (ph, ph, pw, pw)

    if sec.has("bias"):
        expected = (tr("an array of {count} numbers (one per output channel)", count=o_n) if o_n > 1
                    else tr("an array of 1 number (one per output channel)"))
        bias = np.array(sec.numbers("bias", length=o_n, expected=expected))
    else:
        bias = np.zeros(o_n)
    mode = sec.choice("mode", list(MODES), "cross-correlation")
    conv = Conv(x3, k4, bias, stride, padding, dilation, mode)
    if (problem := conv.problem()) is not None:
        raise sec.fail_at(key, problem)
    o_n, oh, ow = conv.out_shape
    work = o_n * oh * ow * c_n * kh * kw
    if o_n * oh * ow > MAX_ELEMENTS:     # a large output comes from the padding when there is any
        raise sec.fail_at("padding" if any(padding) else input_key,
                          tr("the output would have {shape} = {count} entries; at most {most}",
                             shape=f"{o_n} x {oh} x {ow}", count=f"{o_n * oh * ow:,}", most=f"{MAX_ELEMENTS:,}"))
    if work > MAX_PRODUCTS:
        raise sec.fail_at(key, tr("the output would need {count} products; at most {most}", count=f"{work:,}",
                                  most=f"{MAX_PRODUCTS:,}"))
    layout = Layout(one_d, input_channels, kernel_channels)

    grad_output: str | np.ndarray = "ones"
    if sec.has("grad_output"):
        value = sec.raw("grad_output")
        if isinstance(value, str):
            grad_output = sec.choice("grad_output", ["ones", "random"], what=tr('"ones", "random" or an array, one of'))
        else:
            shown_shape = layout.show(np.zeros(conv.out_shape), kernel_channels).shape
            expected = tr('an array of the output\'s shape {shape}, "ones" or "random"', shape=shape_text(shown_shape))
            if nested_shape(value) != shown_shape:
                raise sec.fail("grad_output", expected, value)
            grad_output = np.array(value, dtype=np.float64)
    sec.done()
    return ConvSettings(conv, layout, grad_output, image, kernel_name, padding_spec)


# -- running --------------------------------------------------------------------------------------------

def run(scenario, *, trace: bool = False, include_data: bool = False) -> dict:
    st: ConvSettings = scenario.settings
    conv, lay = st.conv, st.layout
    out = conv.forward()
    grad = st.grad_array(scenario.seed)
    grad_x, grad_k, grad_b = conv.backward(grad)
    ch = lay.kernel_channels
    _, h, w = conv.x.shape
    top, bottom, left, right = conv.padding
    height, width = conv.formulas()
    settings = {
        "dims": 1 if lay.one_d else 2, "mode": conv.mode,
        "stride": conv.stride[1] if lay.one_d else list(conv.stride),
        "dilation": conv.dilation[1] if lay.one_d else list(conv.dilation),
        "padding": [left, right] if lay.one_d else [top, bottom, left, right],
        "padding_spec": st.padding_spec, "kernel_name": st.kernel_name, "image": st.image,
        "formula": {"length": width} if lay.one_d else {"height": height, "width": width},
    }
    result = {
        "conv": settings,
        "input": lay.show(conv.x, lay.input_channels),
        "kernel": lay.show(conv.kernel, ch),
        "bias": conv.bias,
        "output_shape": list(lay.show(out, ch).shape),
        "output": lay.show(out, ch),
        "grad_output": lay.show(grad, ch),
        "grad_input": lay.show(grad_x, lay.input_channels),
        "grad_kernel": lay.show(grad_k, ch),
        "grad_bias": grad_b,
    }
    if trace:
        result["trace"], result["trace_backward"] = build_trace(conv, lay, grad, scenario.source)
    return result


def build_trace(conv: Conv, lay: Layout, grad: np.ndarray, source: str) -> tuple[list, dict]:
    o_n, oh, ow = conv.out_shape
    c_n, h, w = conv.x.shape
    kh, kw = conv.kernel.shape[2:]
    size = o_n * oh * ow * c_n * kh * kw
    if size * 3 > MAX_TRACE_TERMS:
        raise ScenarioError(f"{source}: conv: " + tr("--trace would hold about {count} terms; at most {most} "
                                                     "(the trace is for small inputs)", count=size * 3,
                                                     most=MAX_TRACE_TERMS))

    def entry(key: str, index: list[int], terms: list[Term], shown: list[dict], bias: float | None = None) -> dict:
        return {key: index, "terms": shown, "partial_sums": partial_sums(terms, bias)}

    forward = []
    for o in range(o_n):
        for y in range(oh):
            for x in range(ow):
                terms = conv.forward_terms(o, y, x)
                shown = [{"input": lay.input_index(*t.left_index), "kernel": lay.kernel_index(*t.right_index),
                          "input_value": t.left_value, "kernel_value": t.right_value, "product": t.product}
                         for t in terms]
                forward.append(entry("out", lay.output_index(o, y, x), terms, shown, float(conv.bias[o])))
    grad_input = []
    for c in range(c_n):
        for y in range(h):
            for x in range(w):
                terms = conv.grad_input_terms(grad, c, y, x)
                shown = [{"grad_output": lay.output_index(*t.left_index), "kernel": lay.kernel_index(*t.right_index),
                          "grad_output_value": t.left_value, "kernel_value": t.right_value, "product": t.product}
                         for t in terms]
                grad_input.append(entry("entry", lay.input_index(c, y, x), terms, shown))
    grad_kernel = []
    for o in range(o_n):
        for c in range(c_n):
            for i in range(kh):
                for j in range(kw):
                    terms = conv.grad_kernel_terms(grad, o, c, i, j)
                    shown = [{"input": lay.input_index(*t.left_index), "grad_output": lay.output_index(*t.right_index),
                              "input_value": t.left_value, "grad_output_value": t.right_value, "product": t.product}
                             for t in terms]
                    grad_kernel.append(entry("entry", lay.kernel_index(o, c, i, j), terms, shown))
    grad_bias = []
    for o in range(o_n):
        terms = conv.grad_bias_terms(grad, o)
        shown = [{"grad_output": lay.output_index(*t.left_index), "grad_output_value": t.left_value,
                  "product": t.product} for t in terms]
        grad_bias.append(entry("entry", [o], terms, shown))
    return forward, {"grad_input": grad_input, "grad_kernel": grad_kernel, "grad_bias": grad_bias}


# -- output ---------------------------------------------------------------------------------------------

def matrix_lines(arr) -> list[str]:
    """A small 1-D or 2-D array as aligned rows (larger arrays: shape and range only)."""
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2 or arr.size > 400:
        return [f"{shape_text(arr.shape)} values in [{fmt(arr.min())}, {fmt(arr.max())}], mean {fmt(arr.mean())}"]
    cells = [[fmt(v) for v in row] for row in arr]
    width = max(len(c) for row in cells for c in row)
    return ["  ".join(c.rjust(width) for c in row) for row in cells]


def channel_blocks(name: str, arr) -> list[str]:
    """Labelled matrices, one per leading index for 3-D / 4-D arrays."""
    arr = np.asarray(arr, dtype=np.float64)
    lines = [f"{name} ({shape_text(arr.shape)}):"]
    if arr.ndim <= 2 or arr.size > 400:
        return lines + ["  " + line for line in matrix_lines(arr)]
    for index in np.ndindex(arr.shape[:-2]):
        lines.append(f"  [{', '.join(str(i) for i in index)}]")
        lines += ["    " + line for line in matrix_lines(arr[index])]
    return lines


def summary(result: dict) -> str:
    s = result["conv"]
    parts = [tr("{dims}-D {mode}, stride {stride}, padding {padding}, dilation {dilation}", dims=s["dims"],
                mode=s["mode"], stride=s["stride"], padding=s["padding"], dilation=s["dilation"])]
    parts += [tr("output {axis}: {formula}", axis=axis, formula=text) for axis, text in s["formula"].items()]
    rows = [[tr("input"), shape_text(np.shape(result["input"]))], [tr("kernel"), shape_text(np.shape(result["kernel"]))],
            [tr("output"), shape_text(result["output_shape"])]]
    parts.append(table([tr("array"), tr("shape")], rows))
    for name in ("output", "grad_input", "grad_kernel", "grad_bias"):
        parts += channel_blocks(name, result[name])
    return "\n".join(parts)


def flat_rows(arr) -> list[list]:
    arr = np.asarray(arr, dtype=np.float64)
    return [list(index) + [arr[index]] for index in np.ndindex(arr.shape)]


def csv_tables(result: dict) -> dict[str, list[list]]:
    tables = {}
    for name in ("output", "grad_input", "grad_kernel", "grad_bias"):
        arr = np.asarray(result[name])
        tables[f"{name}.csv"] = [[f"i{k}" for k in range(arr.ndim)] + ["value"]] + flat_rows(arr)
    if "trace" in result:
        rows: list[list] = [["out", "term", "input", "kernel", "input_value", "kernel_value", "product", "partial_sum"]]
        for cell in result["trace"]:
            for n, (t, partial) in enumerate(zip(cell["terms"], cell["partial_sums"])):
                rows.append([describe(cell["out"]), n, describe(t["input"]), describe(t["kernel"]),
                             t["input_value"], t["kernel_value"], t["product"], partial])
            rows.append([describe(cell["out"]), "bias", "", "", "", "", "", cell["partial_sums"][-1]])
        tables["trace.csv"] = rows
    return tables
