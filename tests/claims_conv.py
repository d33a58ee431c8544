"""Claims of the convolution lessons (kind conv), including the changes a lesson tells the
student to make."""

import numpy as np

import tui_lab
from claims import claim, rerun, scenario_raw


def windows_sum(x, kernel):
    """sum over the window of x * kernel at each valid position: the definition, written out."""
    kh, kw = kernel.shape
    return np.array([[np.sum(x[i:i + kh, j:j + kw] * kernel) for j in range(x.shape[1] - kw + 1)]
                     for i in range(x.shape[0] - kh + 1)])


@claim("conv-first-3x3")
def _(r):
    x, k = np.array(r["input"]), np.array(r["kernel"])
    np.testing.assert_array_equal(r["output"], windows_sum(x, k))
    np.testing.assert_array_equal(r["output"], [[-1, 2], [-3, -2]])       # the numbers the lesson quotes
    assert r["conv"]["formula"]["height"] == "floor((4 + 2*0 - 1*(3-1) - 1)/1) + 1 = 2"
    assert len(r["trace"][0]["terms"]) == 9                               # nine steps finish cell 0


@claim("conv-1d")
def _(r):
    x, k = np.array(r["input"], dtype=float), np.array(r["kernel"], dtype=float)
    np.testing.assert_array_equal(r["output"], windows_sum(x[None, :], k[None, :])[0])
    np.testing.assert_array_equal(r["output"], [-3, -5, -7, -9])
    np.testing.assert_array_equal(r["grad_input"], [1, 1, 0, 0, -1, -1])
    assert r["conv"]["formula"]["length"].endswith("= 4")


@claim("conv-stride-padding")
def _(r):
    np.testing.assert_array_equal(r["output"], [[3, 6, 5], [5, 8, 2], [2, 6, 5]])
    first = r["trace"][0]["terms"]
    padded = [t for t in first if not (0 <= t["input"][0] < 5 and 0 <= t["input"][1] < 5)]
    assert len(padded) == 5                                               # five of the nine entries are padding
    assert rerun("conv-stride-padding", "conv", stride=1)["output_shape"] == [5, 5]
    no_pad = rerun("conv-stride-padding", "conv", stride=1, padding=0)
    assert no_pad["output_shape"] == [3, 3]
    assert all(0 <= t["input"][0] < 5 and 0 <= t["input"][1] < 5 for cell in no_pad["trace"] for t in cell["terms"])


@claim("conv-dilation")
def _(r):
    out = np.array(r["output"])
    assert set(np.unique(out)) == {0.0, 9.0} and out.shape == (3, 3)
    plain = np.array(rerun("conv-dilation", "conv", dilation=1)["output"])
    assert plain.shape == (5, 5) and set(np.unique(plain)) == {4.0, 5.0}


@claim("conv-rgb-channels")
def _(r):
    assert r["output_shape"] == [2, 3, 3] and np.shape(r["kernel"]) == (2, 3, 2, 2)
    first = r["trace"][0]
    assert len(first["terms"]) == 12 and first["partial_sums"][-1] == -6
    assert [t["input"][0] for t in first["terms"]] == [0] * 4 + [1] * 4 + [2] * 4
    x, k = np.array(r["input"]), np.array(r["kernel"])
    per_channel = sum(windows_sum(x[c], k[0, c]) for c in range(3))       # C partial results add up
    np.testing.assert_array_equal(np.array(r["output"])[0] - np.array(r.get("bias", [0, 0]))[0], per_channel)
    more = rerun("conv-rgb-channels", "conv", input_shape=[4, 4, 4], kernel_shape=[2, 4, 2, 2])
    assert more["output_shape"] == [2, 3, 3]


@claim("conv-flip")
def _(r):
    kernel = np.arange(1, 10).reshape(3, 3)
    conv = np.array(r["output"])
    np.testing.assert_array_equal(conv[1:4, 1:4], kernel)
    corr = np.array(rerun("conv-flip", "conv", mode="cross-correlation")["output"])
    np.testing.assert_array_equal(corr[1:4, 1:4], kernel[::-1, ::-1])


@claim("conv-backward")
def _(r):
    np.testing.assert_array_equal(r["output"], [[0, -1], [-2, 0]])
    assert r["grad_kernel"][0][0] == -1 and r["grad_input"][1][1] == -1 and list(r["grad_bias"]) == [2]
    ones = rerun("conv-backward", "conv", grad_output="ones")
    x = np.array(ones["input"])
    np.testing.assert_array_equal(ones["grad_kernel"], windows_sum(x, np.ones((2, 2))))


@claim("conv-image-kernels")
def _(r):
    assert r["output_shape"] == [24, 32]
    for kernel in ("edge", "sobel_x", "sobel_y"):   # zero-sum kernels vanish on flat areas
        raw = {**scenario_raw("conv-image-kernels"), "conv": {"image": "checker", "kernel": kernel, "padding": "same"}}
        out = tui_lab.run_scenario(raw)
        y, x = np.abs(np.array(out["output"])), np.array(out["input"])
        flat = np.zeros_like(x, dtype=bool)
        flat[1:-1, 1:-1] = [[np.ptp(x[i - 1:i + 2, j - 1:j + 2]) == 0 for j in range(1, x.shape[1] - 1)]
                            for i in range(1, x.shape[0] - 1)]
        assert flat.any() and np.all(y[flat] < 1e-12) and y.max() > 0.5


@claim("conv-local-shift-invariant")
def _(r):
    x, k, out = np.array(r["input"]), np.array(r["kernel"]), np.array(r["output"])
    np.testing.assert_array_equal(out, windows_sum(x, k))
    np.testing.assert_array_equal(out, [[23, 20, 14, 0], [22, 18, 8, 0], [11, 8, 2, 0], [2, 1, 0, 0]])
    kh, kw = k.shape
    for (row, col), covering in (((2, 2), 9), ((0, 5), 1)):   # locality: only the windows over the entry
        changed_input = x.copy()
        changed_input[row, col] += 1
        changed = np.array(rerun("conv-local-shift-invariant", "conv", input=changed_input.tolist())["output"])
        covers = np.array([[i <= row < i + kh and j <= col < j + kw for j in range(out.shape[1])]
                           for i in range(out.shape[0])])
        np.testing.assert_array_equal(changed != out, covers)
        assert covers.sum() == covering
        for i, j in zip(*np.nonzero(covers)):                         # each by the kernel weight over the entry
            assert changed[i, j] - out[i, j] == k[row - i, col - j]
    assert not x[:, -1].any()                                        # the pattern stays on the grid when moved
    shifted = np.array(rerun("conv-local-shift-invariant", "conv", input=np.roll(x, 1, axis=1).tolist())["output"])
    np.testing.assert_array_equal(shifted[:, 1:], out[:, :-1])      # shift invariance, away from the border
    np.testing.assert_array_equal(shifted[:, 0], [6, 12, 6, 3])
    assert not np.array_equal(shifted, out)
