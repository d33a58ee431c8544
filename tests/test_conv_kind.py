"""kind = "conv": scenario reading, layouts, JSON, trace, CLI and the shipped conv scenarios."""

import json
import subprocess
import sys

import numpy as np
import pytest

import tui_lab
from tui_lab import ScenarioError
from tui_lab.kinds import conv as conv_kind
from tui_lab.scenario.shipped import course_sections, shipped_names


def run(trace=False, seed=0, **conv):
    return tui_lab.run_scenario({"title": "t", "kind": "conv", "seed": seed, "conv": conv}, trace=trace)


def error(**conv) -> str:
    with pytest.raises(ScenarioError) as info:
        run(**conv)
    return str(info.value)


FIRST = dict(input=[[1, 2, 0], [0, 1, 3], [2, 2, 1]], kernel=[[1, 0], [0, -1]])


def test_first_example_by_hand():
    r = run(**FIRST, bias=[0.5], grad_output=[[1, -1], [2, 0]])
    # output[y][x] = x[y][x] - x[y+1][x+1] + 0.5
    assert r["output_shape"] == [2, 2]
    np.testing.assert_array_equal(r["output"], [[0.5, -0.5], [-1.5, 0.5]])
    # grad_kernel[i][j] = sum over windows of input * g
    np.testing.assert_array_equal(r["grad_kernel"], [[1 - 2 + 0 + 0, 2 + 0 + 2 + 0], [0 - 1 + 4 + 0, 1 - 3 + 4 + 0]])
    assert list(r["grad_bias"]) == [2.0]
    assert r["conv"]["formula"]["height"].endswith("= 2")


def test_trace_entries_follow_the_spec():
    r = run(trace=True, **FIRST, bias=[0.5])
    trace = r["trace"]
    assert [e["out"] for e in trace] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    first = trace[0]
    assert [(t["input"], t["kernel"]) for t in first["terms"]] == [([0, 0], [0, 0]), ([0, 1], [0, 1]),
                                                                     ([1, 0], [1, 0]), ([1, 1], [1, 1])]
    assert [t["product"] for t in first["terms"]] == [1.0, 0.0, 0.0, -1.0]
    assert first["partial_sums"] == [1.0, 1.0, 1.0, 0.0, 0.5]        # bias last
    for entry in trace:
        assert entry["partial_sums"][-1] == r["output"][tuple(entry["out"])]
    back = r["trace_backward"]
    for name in ("grad_input", "grad_kernel"):
        assert len(back[name]) == np.size(r[name])
        for entry in back[name]:
            value = entry["partial_sums"][-1] if entry["terms"] else 0.0
            assert value == r[name][tuple(entry["entry"])]
    assert back["grad_bias"][0]["partial_sums"][-1] == 4.0
    json.dumps(tui_lab.output.plain(r))


def test_layouts_1d_multichannel_and_copied_kernels():
    r = run(input=[1, 2, 4, 7, 11, 16], kernel=[1, 0, -1])
    np.testing.assert_array_equal(r["output"], [-3, -5, -7, -9])
    assert r["conv"]["dims"] == 1
    r = run(input=[[1, 2, 3, 4], [0, 1, 0, 1]], kernel=[[[1, 1], [1, -1]]], stride=2)   # C x L with O x C x K
    assert r["output_shape"] == [1, 2]
    np.testing.assert_array_equal(r["output"], [[1 + 2 + 0 - 1, 3 + 4 + 0 - 1]])
    r = run(input_shape=[3, 5, 5], kernel="blur", padding="same")     # a named kernel copied to 3 channels
    assert np.shape(r["kernel"]) == (1, 3, 3, 3) and r["output_shape"] == [1, 5, 5]
    x = np.array(r["input"])
    np.testing.assert_allclose(np.array(r["output"])[0, 2, 2], sum((x[c, 1:4, 1:4] * np.array(r["kernel"])[0, c]).sum()
                                                                   for c in range(3)))
    r = run(input_shape=[3, 4, 4], kernel_shape=[2, 3, 2, 2], bias=[1.0, -1.0])
    assert r["output_shape"] == [2, 3, 3]


def test_seeded_inputs_are_reproducible_and_depend_on_the_seed():
    a = run(input_shape=[2, 4, 4], kernel_shape=[1, 2, 2, 2], grad_output="random", seed=3)
    b = run(input_shape=[2, 4, 4], kernel_shape=[1, 2, 2, 2], grad_output="random", seed=3)
    c = run(input_shape=[2, 4, 4], kernel_shape=[1, 2, 2, 2], grad_output="random", seed=4)
    assert tui_lab.output.to_json(a) == tui_lab.output.to_json(b)
    assert not np.array_equal(a["input"], c["input"])
    assert set(np.unique(a["input"])) <= set(range(0, 6)) and set(np.unique(a["grad_output"])) <= set(range(-2, 3))


def test_convolution_mode_gradient_is_for_the_kernel_as_written():
    corr = run(**FIRST, grad_output="random", seed=1)
    flipped = np.array(FIRST["kernel"])[::-1, ::-1].tolist()
    conv = run(input=FIRST["input"], kernel=flipped, mode="convolution", grad_output="random", seed=1)
    np.testing.assert_array_equal(conv["output"], corr["output"])
    np.testing.assert_array_equal(conv["grad_kernel"], np.array(corr["grad_kernel"])[::-1, ::-1])


@pytest.mark.parametrize("settings, needle", [
    (dict(FIRST, padding="same", stride=2), '"same" needs stride 1'),
    (dict(input=[[1, 2], [3, 4]], kernel=[[1, 1, 1], [1, 1, 1], [1, 1, 1]]), "spans 3 in height"),
    (dict(input=[[1, 2, 3]] * 5, kernel=[[1]], dilation=0), "conv.dilation: expected an integer >= 1"),
    (dict(input=[1, 2, 3], kernel=[[1]]), "needs an H x W or C x H x W input"),
    (dict(input=[[1, 2], [3]], kernel=[[1]]), "conv.input: expected a 1-D list"),
    (dict(input_shape=[2, 3, 3], kernel_shape=[1, 3, 2, 2]), "has C = 3 input channels but the input_shape has 2"),
    (dict(FIRST, bias=[1, 2]), "conv.bias: expected an array of 1 number"),
    (dict(FIRST, grad_output=[[1, 2, 3]]), "conv.grad_output: expected an array of the output's shape 2 x 2"),
    (dict(FIRST, mode="conv"), "conv.mode: expected one of cross-correlation, convolution"),
    (dict(FIRST, kernel="gauss"), 'conv.kernel: expected a named kernel'),
    (dict(FIRST, strides=2), 'conv.strides: unknown key (did you mean "stride"?)'),
    (dict(FIRST, input_shape=[3, 3]), "exactly one of input, input_shape or image"),
    (dict(input=[1, 2, 3, 4], kernel=[1, 1], stride=[1, 2]), "conv.stride: expected an integer >= 1, got [1, 2]"),
])
def test_bad_input_is_one_clear_line(settings, needle):
    message = error(**settings)
    assert needle in message and "\n" not in message


def test_trace_refuses_large_problems():
    with pytest.raises(ScenarioError, match="trace is for small inputs"):
        run(trace=True, input_shape=[3, 64, 64], kernel_shape=[8, 3, 3, 3])


def test_summary_and_csv():
    r = run(trace=True, **FIRST)
    text = conv_kind.summary(r)
    assert "floor((3 + 2*0 - 1*(2-1) - 1)/1) + 1 = 2" in text and "grad_kernel (2 x 2)" in text
    tables = conv_kind.csv_tables(r)
    assert tables["output.csv"][0] == ["i0", "i1", "value"] and len(tables["output.csv"]) == 5
    assert len(tables["trace.csv"]) == 1 + 4 * (4 + 1)


def test_shipped_conv_scenarios_run_and_sit_in_the_course():
    names = [n for n in shipped_names() if n.startswith("conv-")]
    assert len(names) >= 6
    heading, course = [s for s in course_sections() if s[0] == "Convolution"][0]
    assert set(names) <= set(course)
    for name in names:
        sc = tui_lab.load_scenario(name)
        assert sc.kind == "conv" and sc.lessons
        r = tui_lab.run_scenario(sc)
        assert np.all(np.isfinite(r["output"]))


def test_cli_run_json_trace_and_bad_input(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tui_lab", "run", "conv-first-3x3", "--trace", "--json", "-"],
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["kind"] == "conv" and len(data["trace"]) == 4 and "trace_backward" in data
    bad = tmp_path / "bad.toml"
    bad.write_text('title = "x"\nkind = "conv"\n[conv]\ninput = [[1, 2], [3, 4]]\nkernel = [[1, 1, 1]]\n'
                   'padding = "same"\nstride = 2\n')
    res = subprocess.run([sys.executable, "-m", "tui_lab", "run", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "conv.padding" in res.stderr
