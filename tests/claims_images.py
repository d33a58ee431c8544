"""Claims of the image lessons (kind train on the digits, registered through claims_train)."""

import numpy as np
import pytest

import tui_lab
from claims import claim, runs_by_label, scenario_raw
from tui_lab.core.cnn import neighbour_correlation, sobel_alignment


@claim("images-mlp-vs-cnn")
def _(result):
    cnn = result["runs"][0]
    model = tui_lab.load_scenario("images-mlp-vs-cnn").settings.variants[0].model.build()
    assert result["model"]["n_params"] == 6090
    assert [n for _, n in model.layer_params()] == [160, 4640, 1290]
    first_map = 16 * 8 * 8                                          # what the first conv layer outputs
    assert 64 * first_map + first_map == 66_560                     # a dense layer giving the same map
    assert result["train"]["epochs"] == 10
    first_step = tui_lab.load_scenario("images-mlp-vs-cnn").settings.make_trainers(0)[0]
    first_step.advance(3)                                           # lesson step 1: past 0.9 already
    assert first_step.evaluate(first_step.test_idx)[1] > 0.9
    assert round(cnn["test_metric"], 3) == 0.981 and round(cnn["test_metric"] * 359) == 352
    assert round(cnn["test_loss"], 3) == 0.074
    mlps = {}
    for hidden in (64, 256):
        raw = scenario_raw("images-mlp-vs-cnn")
        raw["model"] = {"name": "mlp", "hidden": [hidden], "activation": "relu"}     # as the lesson says
        out = tui_lab.run_scenario(raw)
        mlps[hidden] = (out["model"]["n_params"], out["runs"][0])
    (n64, r64), (n256, r256) = mlps[64], mlps[256]
    assert (n64, n256) == (4810, 19210) and n64 < 6090 < n256
    assert round(r64["test_metric"], 3) == 0.964 and round(r64["test_loss"], 3) == 0.146
    assert round(r256["test_metric"], 3) == 0.969 and round(r256["test_loss"], 3) == 0.097
    assert cnn["test_metric"] > r256["test_metric"] > r64["test_metric"]
    assert cnn["test_loss"] < r256["test_loss"] < r64["test_loss"]


@claim("images-cutout-cutmix")
def _(result):
    runs = runs_by_label(result)
    base, cutout, cutmix, shift = (runs[k] for k in ("adam baseline", "adam cutout=3", "adam cutmix=1.0",
                                                     "adam augment=shift"))
    assert result["train"]["epochs"] == 10
    train = [round(r["final_train_loss"], 3) for r in (base, cutout, shift, cutmix)]
    assert train == [0.103, 0.206, 0.311, 0.375] and train == sorted(train)
    val = [round(r["final_val_loss"], 3) for r in (base, cutout, shift, cutmix)]
    assert val == [0.128, 0.223, 0.310, 0.405] and val[0] == min(val)
    tests = [round(r["test_metric"], 3) for r in (base, cutout, cutmix, shift)]
    assert tests == [0.964, 0.942, 0.942, 0.900] and tests[0] == max(tests)
    gaps = [round(r["final_val_loss"] - r["final_train_loss"], 3) for r in (base, cutout, shift)]
    assert gaps == [0.025, 0.017, -0.001] and gaps[0] == max(gaps)


@claim("images-filters")
def _(result):
    learned = np.asarray(result["runs"][0]["first_layer_filters"])
    start = tui_lab.load_scenario("images-filters").settings.make_trainers(0)[0].first_filters()
    before, after = sobel_alignment(start), sobel_alignment(learned)
    assert round(before.mean(), 2) == 0.44 and int((before >= 0.7).sum()) == 1
    assert round(after.mean(), 2) == 0.63 and int((after >= 0.7).sum()) == 4 and round(after[0], 2) == 0.94
    # the first filter is an upside-down Sobel y: a bright row above a dark one
    sobel_y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float)
    assert float((learned[0, 0] * sobel_y).sum()) < 0
    assert round(neighbour_correlation(start).mean(), 2) == -0.01
    assert round(neighbour_correlation(learned).mean(), 2) == 0.17
    growth = np.linalg.norm(learned.reshape(8, -1), axis=1).mean() / np.linalg.norm(start.reshape(8, -1), axis=1).mean()
    assert 2.5 < growth < 3.5


@claim("images-batch-size")
def _(result):
    by_size = {r["settings"]["batch_size"]: r for r in result["runs"]}
    assert [by_size[b]["steps"] for b in (8, 32, 128, 0)] == [1350, 340, 90, 10]
    val = [round(by_size[b]["val_metric"], 3) for b in (8, 32, 128, 0)]
    assert val == [0.964, 0.961, 0.897, 0.574] and val == sorted(val, reverse=True)
    assert round(by_size[0]["final_train_loss"], 2) == 2.14 and round(by_size[8]["final_train_loss"], 3) == 0.036
    assert by_size[0]["final_train_loss"] == pytest.approx(2.136, abs=5e-3)


@claim("images-shapes-anywhere")
def _(result):
    cnn = result["runs"][0]
    assert result["model"]["n_params"] == 555 and result["dataset"]["sizes"]["test"] == 120
    assert round(cnn["test_metric"], 3) == 0.958
    raw = scenario_raw("images-shapes-anywhere")
    raw["model"] = {"name": "mlp", "hidden": [32], "activation": "relu"}       # as the lesson says
    dense = tui_lab.run_scenario(raw)
    mlp = dense["runs"][0]
    assert dense["model"]["n_params"] == 4739 and dense["model"]["n_params"] > 8 * 555
    assert mlp["train_metric"] == 1.0 and round(mlp["test_metric"], 3) == 0.833
    assert round((cnn["test_metric"] - mlp["test_metric"]) * 120) == 15
