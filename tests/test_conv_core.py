"""tui_lab.core.conv against the definition (NumPy), finite differences, its own trace, and torch."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_lab.core.conv import (Conv, NAMED_KERNELS, out_length, partial_sums, reference_backward,
                               reference_forward, same_padding, size_formula)


def random_conv(rng, mode=None):
    """A random problem that fits: shapes, strides, per-side paddings, dilations, either mode."""
    while True:
        c_n, o_n = rng.integers(1, 4, 2)
        kh, kw = rng.integers(1, 4, 2)
        h, w = rng.integers(1, 9, 2)
        conv = Conv(rng.normal(size=(c_n, h, w)), rng.normal(size=(o_n, c_n, kh, kw)), rng.normal(size=o_n),
                    tuple(int(v) for v in rng.integers(1, 4, 2)), tuple(int(v) for v in rng.integers(0, 3, 4)),
                    tuple(int(v) for v in rng.integers(1, 3, 2)),
                    mode or ("convolution" if rng.random() < 0.5 else "cross-correlation"))
        if conv.problem() is None:
            return conv


def direct_forward(conv: Conv) -> np.ndarray:
    """The textbook definition, one output cell at a time (zero outside the input)."""
    o_n, oh, ow = conv.out_shape
    c_n, h, w = conv.x.shape
    kh, kw = conv.kernel.shape[2:]
    k = conv.kernel[:, :, ::-1, ::-1] if conv.mode == "convolution" else conv.kernel
    out = np.zeros((o_n, oh, ow))
    for o in range(o_n):
        for y in range(oh):
            for x in range(ow):
                total = conv.bias[o]
                for c in range(c_n):
                    for i in range(kh):
                        for j in range(kw):
                            yy = y * conv.stride[0] - conv.padding[0] + i * conv.dilation[0]
                            xx = x * conv.stride[1] - conv.padding[2] + j * conv.dilation[1]
                            if 0 <= yy < h and 0 <= xx < w:
                                total += conv.x[c, yy, xx] * k[o, c, i, j]
                out[o, y, x] = total
    return out


def test_forward_and_backward_match_the_definition_over_many_random_shapes():
    rng = np.random.default_rng(7)
    for _ in range(150):
        conv = random_conv(rng)
        out = conv.forward()
        np.testing.assert_allclose(out, direct_forward(conv), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out, reference_forward(conv), rtol=1e-12, atol=1e-12)
        g = rng.normal(size=out.shape)
        for ours, ref in zip(conv.backward(g), reference_backward(conv, g)):
            np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def loss(conv: Conv, g: np.ndarray) -> float:
    return float(np.sum(conv.forward() * g))


@pytest.mark.parametrize("mode", ["cross-correlation", "convolution"])
def test_gradients_match_finite_differences(mode):
    rng = np.random.default_rng(3)
    eps = 1e-6
    for _ in range(12):
        conv = random_conv(rng, mode)
        g = rng.normal(size=conv.out_shape)
        grads = conv.backward(g)
        for grad, arr in zip(grads, (conv.x, conv.kernel, conv.bias)):
            numeric = np.zeros_like(arr)
            for index in np.ndindex(arr.shape):
                saved = arr[index]
                arr[index] = saved + eps
                up = loss(conv, g)
                arr[index] = saved - eps
                down = loss(conv, g)
                arr[index] = saved
                numeric[index] = (up - down) / (2 * eps)
            np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 3), o=st.integers(1, 3), h=st.integers(1, 10), w=st.integers(1, 10),
       kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3), sw=st.integers(1, 3),
       dh=st.integers(1, 3), dw=st.integers(1, 3), pads=st.tuples(*[st.integers(0, 3)] * 4),
       conv_mode=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_property_any_fitting_shape_matches_reference(c, o, h, w, kh, kw, sh, sw, dh, dw, pads, conv_mode, seed):
    rng = np.random.default_rng(seed)
    conv = Conv(rng.normal(size=(c, h, w)), rng.normal(size=(o, c, kh, kw)), rng.normal(size=o), (sh, sw), pads,
                (dh, dw), "convolution" if conv_mode else "cross-correlation")
    expected_shape = (o, out_length(h, kh, sh, dh, pads[0], pads[1]), out_length(w, kw, sw, dw, pads[2], pads[3]))
    assert conv.out_shape == expected_shape
    if conv.problem() is not None:
        assert min(expected_shape[1:]) <= 0
        return
    assert min(expected_shape[1:]) >= 1
    np.testing.assert_allclose(conv.forward(), direct_forward(conv), rtol=1e-12, atol=1e-12)
    g = rng.normal(size=conv.out_shape)
    for ours, ref in zip(conv.backward(g), reference_backward(conv, g)):
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_trace_terms_add_up_to_every_value():
    rng = np.random.default_rng(11)
    for _ in range(40):
        conv = random_conv(rng)
        out = conv.forward()
        g = rng.normal(size=out.shape)
        grad_x, grad_k, grad_b = conv.backward(g)
        o_n, c_n, kh, kw = conv.kernel.shape
        for o, y, x in np.ndindex(out.shape):
            terms = conv.forward_terms(o, y, x)
            assert len(terms) == c_n * kh * kw
            assert all(t.product == t.left_value * t.right_value for t in terms)
            sums = partial_sums(terms, conv.bias[o])
            assert sums[-1] == out[o, y, x]      # the compiled loop adds in the same order
        for c, y, x in np.ndindex(conv.x.shape):
            terms = conv.grad_input_terms(g, c, y, x)
            assert (partial_sums(terms)[-1] if terms else 0.0) == grad_x[c, y, x]
        for index in np.ndindex(grad_k.shape):
            # a vectorised dot product: equal up to rounding
            assert partial_sums(conv.grad_kernel_terms(g, *index))[-1] == pytest.approx(grad_k[index], abs=1e-12)
        for o in range(o_n):
            assert partial_sums(conv.grad_bias_terms(g, o))[-1] == grad_b[o]


def test_convolution_mode_flips_the_kernel_and_reports_kernel_indices_as_written():
    impulse = np.zeros((1, 5, 5))
    impulse[0, 2, 2] = 1.0
    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    conv = Conv(impulse, kernel, np.zeros(1), padding=(1, 1, 1, 1), mode="convolution")
    np.testing.assert_array_equal(conv.forward()[0, 1:4, 1:4], kernel[0, 0])
    corr = Conv(impulse, kernel, np.zeros(1), padding=(1, 1, 1, 1))
    np.testing.assert_array_equal(corr.forward()[0, 1:4, 1:4], kernel[0, 0, ::-1, ::-1])
    first = conv.forward_terms(0, 0, 0)[0]
    assert first.right_index == (0, 0, 2, 2) and first.right_value == 9.0


def test_output_size_formula_and_same_padding():
    assert out_length(5, 3, 2, 1, 1, 1) == 3
    assert out_length(7, 3, 1, 2, 0, 0) == 3
    assert out_length(3, 3, 1, 2, 0, 0) == 0            # dilated kernel spans 5 > 3
    assert same_padding(4, 1) == (1, 2)                 # torch puts the odd one at the end
    assert size_formula(5, 3, 2, 1, 1, 1) == "floor((5 + 2*1 - 1*(3-1) - 1)/2) + 1 = 3"
    bad = Conv(np.zeros((1, 3, 3)), np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=(2, 2))
    assert "spans 5" in bad.problem()


def test_named_kernels_on_flat_input():
    flat = np.full((1, 6, 6), 2.0)
    for name, k in NAMED_KERNELS.items():
        out = Conv(flat, k[None, None], np.zeros(1)).forward()
        np.testing.assert_allclose(out, 2.0 * k.sum())      # a flat patch gives value * (sum of weights)
    assert NAMED_KERNELS["edge"].sum() == 0 and NAMED_KERNELS["blur"].sum() == 1


def test_against_torch_conv1d_and_conv2d_autograd():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    for trial in range(60):
        conv = random_conv(rng)
        one_d = trial % 3 == 0
        if one_d:   # a 1-D problem: one row, kernel one row high, no row padding / stride / dilation
            conv = Conv(conv.x[:, :1], conv.kernel[:, :, :1], conv.bias, (1, conv.stride[1]),
                        (0, 0, conv.padding[2], conv.padding[2]), (1, conv.dilation[1]), conv.mode)
            if conv.problem():
                continue
        g = rng.normal(size=conv.out_shape)
        x = torch.tensor(conv.x[None], requires_grad=True)
        k = torch.tensor(conv.kernel, requires_grad=True)
        b = torch.tensor(conv.bias, requires_grad=True)
        slid = k.flip(2, 3) if conv.mode == "convolution" else k
        if one_d:
            y = F.conv1d(x[:, :, 0], slid[:, :, 0], b, stride=conv.stride[1], padding=conv.padding[2],
                         dilation=conv.dilation[1])[:, :, None]
        else:
            top, bottom, left, right = conv.padding
            y = F.conv2d(F.pad(x, (left, right, top, bottom)), slid, b, stride=conv.stride, dilation=conv.dilation)
        y.backward(torch.tensor(g[None]))
        np.testing.assert_allclose(conv.forward(), y.detach().numpy()[0], rtol=1e-12, atol=1e-12)
        grad_x, grad_k, grad_b = conv.backward(g)
        np.testing.assert_allclose(grad_x, x.grad.numpy()[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad_k, k.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grad_b, b.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_torch_same_padding_matches_for_even_kernels():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=(2, 6, 7)), rng.normal(size=(3, 2, 4, 2))
    conv = Conv(x, k, np.zeros(3), padding=same_padding(4, 1) + same_padding(2, 1))
    expected = torch.nn.functional.conv2d(torch.tensor(x[None]), torch.tensor(k), padding="same").numpy()[0]
    np.testing.assert_allclose(conv.forward(), expected, rtol=1e-12, atol=1e-12)
