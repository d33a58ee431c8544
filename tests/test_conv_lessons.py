"""The claims of the shipped conv lessons, checked on the numbers a headless run produces
(including the changes a lesson tells the student to make)."""

import numpy as np
import pytest

import tui_lab


def run(name, **conv_changes):
    raw = dict(tui_lab.load_scenario(name).raw)
    raw["conv"] = {**raw["conv"], **conv_changes}
    return tui_lab.run_scenario(raw, trace=True)


def test_first_3x3():
    r = run("conv-first-3x3")
    np.testing.assert_array_equal(r["output"], [[-1, 2], [-3, -2]])
    assert r["conv"]["formula"]["height"] == "floor((4 + 2*0 - 1*(3-1) - 1)/1) + 1 = 2"
    assert len(r["trace"][0]["terms"]) == 9                      # lesson 1: nine steps finish cell 0


def test_1d():
    r = run("conv-1d")
    np.testing.assert_array_equal(r["output"], [-3, -5, -7, -9])
    np.testing.assert_array_equal(r["grad_input"], [1, 1, 0, 0, -1, -1])
    assert r["conv"]["formula"]["length"].endswith("= 4")


def test_stride_padding():
    r = run("conv-stride-padding")
    np.testing.assert_array_equal(r["output"], [[3, 6, 5], [5, 8, 2], [2, 6, 5]])
    first = r["trace"][0]["terms"]
    padded = [t for t in first if not (0 <= t["input"][0] < 5 and 0 <= t["input"][1] < 5)]
    assert len(padded) == 5                                       # five of the nine entries are padding
    assert run("conv-stride-padding", stride=1)["output_shape"] == [5, 5]
    no_pad = run("conv-stride-padding", stride=1, padding=0)
    assert no_pad["output_shape"] == [3, 3]
    assert all(0 <= t["input"][0] < 5 and 0 <= t["input"][1] < 5 for cell in no_pad["trace"] for t in cell["terms"])


def test_dilation():
    r = run("conv-dilation")
    out = np.array(r["output"])
    assert set(np.unique(out)) == {0.0, 9.0} and out.shape == (3, 3)
    plain = np.array(run("conv-dilation", dilation=1)["output"])
    assert plain.shape == (5, 5) and set(np.unique(plain)) == {4.0, 5.0}


def test_rgb_channels():
    r = run("conv-rgb-channels")
    assert r["output_shape"] == [2, 3, 3] and np.shape(r["kernel"]) == (2, 3, 2, 2)
    first = r["trace"][0]
    assert len(first["terms"]) == 12 and first["partial_sums"][-1] == -6
    assert [t["input"][0] for t in first["terms"]] == [0] * 4 + [1] * 4 + [2] * 4
    more = run("conv-rgb-channels", input_shape=[4, 4, 4], kernel_shape=[2, 4, 2, 2])
    assert more["output_shape"] == [2, 3, 3]


def test_flip():
    kernel = np.arange(1, 10).reshape(3, 3)
    conv = np.array(run("conv-flip")["output"])
    np.testing.assert_array_equal(conv[1:4, 1:4], kernel)
    corr = np.array(run("conv-flip", mode="cross-correlation")["output"])
    np.testing.assert_array_equal(corr[1:4, 1:4], kernel[::-1, ::-1])


def test_backward():
    r = run("conv-backward")
    np.testing.assert_array_equal(r["output"], [[0, -1], [-2, 0]])
    assert r["grad_kernel"][0][0] == -1 and r["grad_input"][1][1] == -1 and list(r["grad_bias"]) == [2]
    ones = run("conv-backward", grad_output="ones")
    x = np.array(ones["input"])
    np.testing.assert_array_equal(ones["grad_kernel"], [[x[i:i + 2, j:j + 2].sum() for j in range(2)] for i in range(2)])


@pytest.mark.parametrize("kernel", ["edge", "sobel_x", "sobel_y"])
def test_image_kernels_zero_sum_kernels_vanish_on_flat_areas(kernel):
    r = tui_lab.run_scenario({**tui_lab.load_scenario("conv-image-kernels").raw,
                              "conv": {"image": "checker", "kernel": kernel, "padding": "same"}})
    out = np.abs(np.array(r["output"]))
    x = np.array(r["input"])
    flat = np.zeros_like(x, dtype=bool)
    flat[1:-1, 1:-1] = [[np.ptp(x[i - 1:i + 2, j - 1:j + 2]) == 0 for j in range(1, x.shape[1] - 1)]
                        for i in range(1, x.shape[0] - 1)]
    assert flat.any() and np.all(out[flat] < 1e-12) and out.max() > 0.5
    scene = run("conv-image-kernels")
    assert scene["output_shape"] == [24, 32]
