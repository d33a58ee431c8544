"""Claims of the training lessons (kind train)."""

import math

import numpy as np
import pytest

import claims_images  # noqa: F401  (the image lessons' claims register with the train kind's)
from claims import claim, runs_by_label, scenario_raw




@claim("train-capacity")
def _(result):
    runs = runs_by_label(result)
    line, cubic, wild = runs["adam degree=1"], runs["adam degree=3"], runs["adam degree=12"]
    assert wild["final_train_loss"] < cubic["final_train_loss"] < line["final_train_loss"]
    assert wild["final_val_loss"] > 100 * cubic["final_val_loss"]          # overfitting
    assert line["final_val_loss"] > 5 * cubic["final_val_loss"]            # underfitting
    assert wild["best_epoch"] == 1


@claim("train-early-stopping")
def _(result):
    runs = runs_by_label(result)
    full, short, long = (runs[f"adam early_stopping={p}"] for p in (0, 30, 100))
    assert short["early_stopped"] and (short["best_epoch"], short["stopped_epoch"]) == (15, 45)
    assert round(short["final_val_loss"], 3) == 0.452
    val = np.asarray(full["val_loss"])
    assert int(np.argmin(val)) + 1 == 91 and round(float(val.min()), 3) == 0.436
    assert long["early_stopped"] and (long["best_epoch"], long["stopped_epoch"]) == (91, 191)
    assert full["stopped_epoch"] == 1000
    train = [round(r["final_train_loss"], 3) for r in (full, short, long)]
    test = [round(r["test_loss"], 2) for r in (full, short, long)]
    assert train == [0.007, 0.259, 0.215] and test == [0.78, 0.36, 0.26]


@claim("train-regression-optimizers")
def _(result):
    runs = runs_by_label(result)
    finals = [round(runs[name]["final_train_loss"], 4) for name in ("sgd", "momentum", "adam")]
    assert finals == [0.0161, 0.0090, 0.0091]
    raw = scenario_raw("train-regression-optimizers")
    raw["optimizers"][0]["lr"] = 1.5
    from tui_lab import run_scenario
    exploded = runs_by_label(run_scenario(raw))["sgd"]
    assert exploded["diverged"] and exploded["diverged_at"] == 13 and exploded["stopped_epoch"] == 12
    growth = np.asarray(exploded["train_loss"][-4:])
    assert np.all((growth[1:] / growth[:-1] > 5) & (growth[1:] / growth[:-1] < 7))      # about sixfold an epoch
    assert growth[-1] < 1e6 * max(1.0, exploded["train_loss"][0])       # the last kept epoch is below the limit


@claim("train-batch-modes")
def _(result):
    runs = runs_by_label(result)
    full, sgd, mini = runs["sgd batch_size=full"], runs["sgd batch_size=1"], runs["sgd batch_size=32"]
    assert (full["steps"], sgd["steps"], mini["steps"]) == (100, 18_000, 600)
    assert sgd["final_train_loss"] < mini["final_train_loss"] < full["final_train_loss"]
    # SGD's curve is the ragged one: its loss rises on more epochs than full batch's does.
    assert np.mean(np.diff(sgd["train_loss"]) > 0) > np.mean(np.diff(full["train_loss"]) > 0)


@claim("train-init")
def _(result):
    runs = runs_by_label(result)
    zeros = runs["adam init=zeros"]
    assert zeros["final_train_loss"] == pytest.approx(math.log(2), abs=2e-3) and zeros["train_metric"] < 0.55
    for name in ("normal", "xavier", "he"):
        assert runs[f"adam init={name}"]["train_metric"] == 1.0
    assert [round(runs[f"adam init={name}"]["test_metric"], 3) for name in ("normal", "xavier", "he")] == [1.0, 0.95, 0.975]
    # The spread of the pre-activations at the initial weights, layer by layer, and tanh's saturated share.
    import tui_lab
    from tui_lab.core.models import Model
    scenario = tui_lab.load_scenario("train-init")
    data, train_idx, _, _ = scenario.settings.data.build()
    spread = {}
    for init in ("normal", "xavier", "he"):
        model = Model("mlp", 2, 2, hidden=(32, 32, 32))
        p, a, stds = model.init_params(init, scenario.seed), data.x[train_idx], []
        for l in range(model.n_layers - 1):
            fan_in, fan_out, off = model.sizes[l], model.sizes[l + 1], model.layout.w_off[l]
            z = a @ p[off:off + fan_in * fan_out].reshape(fan_in, fan_out)
            a = np.tanh(z)
            stds.append(round(float(z.std()), 2))
        spread[init] = (stds, round(float(np.mean(np.abs(z) > 2)), 2))
    assert spread == {"normal": ([0.55, 2.5, 4.52], 0.64), "xavier": ([0.15, 0.15, 0.16], 0.0),
                      "he": ([0.55, 0.62, 0.65], 0.0)}


@claim("train-regularizers")
def _(result):
    runs = result["runs"]
    baseline = runs[0]
    assert baseline["label"] == "adam baseline"
    better = [r["label"] for r in runs[1:] if r["final_val_loss"] < baseline["final_val_loss"]]
    assert len(better) == 8
    assert {"adam dropout=0.3", "adam weight_noise=0.05"}.isdisjoint(better)
    val = {r["label"].removeprefix("adam "): round(r["final_val_loss"], 3) for r in runs}
    assert val == {"baseline": 0.341, "input_noise=0.15": 0.271, "early_stopping=30": 0.271, "l2=0.003": 0.289,
                   "l1=0.0005": 0.299, "batchnorm=true": 0.306, "mixup=0.4": 0.306, "label_smoothing=0.1": 0.316,
                   "augment=jitter": 0.327, "dropout=0.3": 0.362, "weight_noise=0.05": 0.341}
    stopped = runs_by_label(result)["adam early_stopping=30"]
    assert stopped["final_val_loss"] == min(stopped["val_loss"])      # its own best epoch: chosen by this number
    test = {r["label"].removeprefix("adam "): round(r["test_loss"], 3) for r in runs}
    assert test == {"baseline": 0.188, "input_noise=0.15": 0.176, "augment=jitter": 0.181, "l2=0.003": 0.183,
                    "weight_noise=0.05": 0.191, "mixup=0.4": 0.195, "l1=0.0005": 0.199, "label_smoothing=0.1": 0.201,
                    "early_stopping=30": 0.214, "batchnorm=true": 0.215, "dropout=0.3": 0.229}
    assert sum(r["test_loss"] < baseline["test_loss"] for r in runs[1:]) == 3


@claim("train-batch-size-sharpness")
def _(result):
    by_size = {r["settings"]["batch_size"]: r for r in result["runs"]}
    assert [round(by_size[b]["final_train_loss"], 3) for b in (4, 16, 64)] == [0.126, 0.124, 0.126]
    assert [round(by_size[b]["sharpness"], 2) for b in (4, 16, 64)] == [0.70, 1.68, 2.98]
    assert [round(by_size[b]["test_loss"], 3) for b in (4, 16, 64)] == [0.196, 0.170, 0.160]
    for r in result["runs"]:        # the profile passes through the trained weights' own loss
        middle = len(r["loss_profile"]["alpha"]) // 2
        assert r["loss_profile"]["alpha"][middle] == 0.0
        assert r["loss_profile"]["loss"][middle] == pytest.approx(r["final_train_loss"], rel=1e-12)
    from tui_lab import run_scenario
    raw = scenario_raw("train-batch-size-sharpness")
    for seed in range(1, 5):
        raw["seed"] = seed
        runs = {r["settings"]["batch_size"]: r for r in run_scenario(raw)["runs"]}
        assert runs[4]["sharpness"] < runs[16]["sharpness"] < runs[64]["sharpness"], seed
        assert runs[4]["test_loss"] > runs[64]["test_loss"], seed


@claim("train-weight-decay")
def _(result):
    runs = result["runs"]
    baseline = runs[0]
    assert all(r["final_val_loss"] < baseline["final_val_loss"] / 10 for r in runs[1:])
    assert all(r["final_train_loss"] > baseline["final_train_loss"] for r in runs[1:])
    l1_strong, l2_strong = runs_by_label(result)["adam l1=0.01"], runs_by_label(result)["adam l2=0.01"]
    assert np.sum(np.abs(l1_strong["params"][:-1]) < 0.01) == 5
    assert np.sum(np.abs(l2_strong["params"][:-1]) < 0.01) == 0


@claim("train-augmentation")
def _(result):
    runs = runs_by_label(result)
    none, flip, rotate = runs["adam augment=none"], runs["adam augment=flip"], runs["adam augment=rotate"]
    assert none["train_metric"] == flip["train_metric"] == rotate["train_metric"] == 1.0
    assert rotate["final_val_loss"] < flip["final_val_loss"] < none["final_val_loss"]
    assert rotate["val_metric"] > flip["val_metric"] > none["val_metric"]


@claim("train-dropout")
def _(result):
    runs = [runs_by_label(result)[f"adam dropout={p}"] for p in (0.0, 0.2, 0.5)]
    train = [r["final_train_loss"] for r in runs]
    assert train == sorted(train)                                           # more dropout, higher training loss
    for key in ("final_val_loss", "test_loss"):
        values = [r[key] for r in runs]
        assert values == sorted(values, reverse=True)                       # ... and lower validation / test loss
    assert runs[2]["final_val_loss"] < 0.5 * runs[0]["final_val_loss"]
    assert runs[0]["best_epoch"] < runs[1]["best_epoch"] < runs[2]["best_epoch"]


@claim("train-batchnorm")
def _(result):
    runs = runs_by_label(result)
    plain, normed = runs["sgd batchnorm=false"], runs["sgd batchnorm=true"]
    assert np.max(np.abs(plain["train_loss"] - math.log(2))) < 0.01 and plain["train_metric"] < 0.55
    assert normed["train_loss"][9] < 0.3 and normed["final_train_loss"] < 0.3
    assert normed["train_metric"] > 0.85 and normed["val_metric"] > 0.85


@claim("train-noise-robustness")
def _(result):
    runs = runs_by_label(result)
    baseline = runs["adam baseline"]
    inputs, weights = runs["adam input_noise=0.2"], runs["adam weight_noise=0.2"]
    for noisy in (inputs, weights):
        assert noisy["final_val_loss"] < 0.5 * baseline["final_val_loss"]
        assert noisy["test_loss"] < 0.5 * baseline["test_loss"]
        assert noisy["final_train_loss"] > 4 * baseline["final_train_loss"]
    assert inputs["final_val_loss"] < weights["final_val_loss"] and inputs["test_loss"] < weights["test_loss"]


@claim("train-label-smoothing-mixup")
def _(result):
    runs = runs_by_label(result)
    baseline, smoothed, mixed = runs["adam baseline"], runs["adam label_smoothing=0.2"], runs["adam mixup=0.4"]
    assert smoothed["train_metric"] == baseline["train_metric"]
    assert smoothed["final_val_loss"] < 0.5 * baseline["final_val_loss"]
    assert mixed["final_val_loss"] < 0.3 * baseline["final_val_loss"] and mixed["test_loss"] < 0.2 * baseline["test_loss"]
    assert min(smoothed["val_metric"], mixed["val_metric"]) >= baseline["val_metric"]


@claim("practice-sgd-momentum-adam")
def _(result):
    runs = runs_by_label(result)
    sgd, momentum, adam = runs["sgd"], runs["momentum"], runs["adam"]
    assert result["dataset"]["name"] == "exp_cos" and result["dataset"]["sizes"]["train"] == 8000
    assert result["model"]["layer_sizes"] == [1, 64, 64, 1]
    assert sgd["steps"] == momentum["steps"] == adam["steps"] == 10_000
    tenth = {name: r["train_loss"][9] for name, r in runs.items()}
    assert round(tenth["adam"], 4) == 0.0073 and round(tenth["momentum"], 3) == 0.050 and round(tenth["sgd"], 3) == 0.100
    assert round(adam["final_train_loss"], 4) == 0.0026 and round(adam["test_metric"], 3) == 0.974
    assert round(momentum["final_train_loss"], 4) == 0.0076 and round(momentum["test_metric"], 3) == 0.924
    assert round(sgd["final_train_loss"], 3) == 0.054 and round(sgd["test_metric"], 2) == 0.45

    def first_below(run, level):
        below = np.flatnonzero(np.asarray(run["train_loss"]) < level)
        return int(below[0]) + 1 if below.size else None
    assert (first_below(adam, 0.01), first_below(momentum, 0.01), first_below(sgd, 0.01)) == (10, 63, None)
    assert round(float(np.min(adam["train_loss"])), 4) == 0.0013
    assert int(np.sum(np.diff(adam["train_loss"]) > 0)) == 29


@claim("train-layernorm")
def _(result):
    runs = [r for r in result["runs"]]
    assert [(r["settings"]["batch_size"], r["settings"]["batchnorm"], r["settings"]["layernorm"]) for r in runs] == [
        (32, False, False), (32, True, False), (32, False, True), (1, False, False), (1, False, True)]
    plain, batch, layer, plain1, layer1 = runs
    assert [round(r["final_train_loss"], 3) for r in runs] == [0.694, 0.239, 0.607, 0.696, 0.023]
    assert round(layer["train_loss"][9], 3) == 0.688 and round(plain["train_metric"], 2) == 0.51
    assert [round(r["test_metric"], 2) for r in (batch, layer, layer1)] == [0.91, 0.80, 0.99]
    assert (plain["steps"], plain1["steps"]) == (160, 4800)
    raw = scenario_raw("train-layernorm")
    raw["regularize"] = {"batchnorm": [False, False, False, True, False], "layernorm": [False, False, True, False, True]}
    from tui_lab import ScenarioError, run_scenario
    with pytest.raises(ScenarioError, match="batch norm needs batches of 2"):
        run_scenario(raw)


@claim("train-holdout-622")
def _(result):
    assert result["dataset"]["sizes"] == {"train": 60, "val": 20, "test": 20}
    runs = {r["settings"]["degree"]: r for r in result["runs"]}
    assert {d: round(r["final_val_loss"], 3) for d, r in runs.items()} == {1: 0.189, 3: 0.034, 5: 0.032, 9: 0.033,
                                                                             15: 0.037}
    chosen = min(runs, key=lambda d: runs[d]["final_val_loss"])
    assert chosen == 5 and round(runs[5]["test_loss"], 3) == 0.048 and runs[5]["test_loss"] > runs[5]["final_val_loss"]
    assert min(runs, key=lambda d: runs[d]["test_loss"]) == 9 and round(runs[9]["test_loss"], 3) == 0.047


@claim("train-small-gap")
def _(result):
    line, quintic = ({r["settings"]["degree"]: r for r in result["runs"]}[d] for d in (1, 5))
    assert [round(line[k], 3) for k in ("final_train_loss", "final_val_loss", "test_loss")] == [0.203, 0.205, 0.201]
    assert [round(quintic[k], 4) for k in ("final_train_loss", "final_val_loss", "test_loss")] == [0.0109, 0.0095, 0.0104]
    assert abs(line["test_loss"] - line["final_train_loss"]) < 0.01 and line["test_loss"] > 19 * 0.1 ** 2
    assert round(line["test_metric"], 2) == 0.63 and round(quintic["test_metric"], 2) == 0.98


@claim("train-adam-then-sgd")
def _(result):
    runs = runs_by_label(result)
    names = ("radam", "adam", "momentum", "sgd")
    val = {n: np.asarray(runs[n]["val_loss"]) for n in names}
    assert [round(float(val[n][9]), 3) for n in names] == [0.412, 0.368, 0.388, 0.406]
    assert int(np.argmin(val["adam"])) + 1 == 43 and round(float(val["adam"].min()), 3) == 0.238
    assert min(float(v.min()) for v in val.values()) == float(val["adam"].min())
    assert [round(float(val[n][-1]), 3) for n in names] == [0.465, 0.526, 0.539, 0.306]
    assert [round(runs[n]["final_train_loss"], 3) for n in names] == [0.065, 0.091, 0.099, 0.187]
    assert min(names, key=lambda n: runs[n]["test_loss"]) == "sgd" and round(runs["sgd"]["test_loss"], 3) == 0.184
    assert round(runs["adam"]["test_loss"], 2) == 0.28


@claim("adamp-weight-norms")
def _(result):
    """AdamP's projection on batch-normed (scale-invariant) weights, from the Inspect step view's
    numbers and the trained weights' norms."""
    import tui_lab
    from tui_lab.core.optim import adamp
    from tui_lab.core.step_inspector import TrainInspection

    scenario = tui_lab.load_scenario("adamp-weight-norms")
    trainers = scenario.settings.make_trainers(scenario.seed)
    inspection = TrainInspection(trainers[0], index=0)
    inspection.follow(1)
    values = {line.key: line.value for line in inspection.explain().lines if line.value is not None}
    assert inspection.step.t == 12 and "W[1→1]" in inspection.parameter_name()
    assert float(values["cos"]) == pytest.approx(0.0051, abs=5e-5)
    assert float(values["threshold"]) == pytest.approx(0.0707, abs=5e-5)
    assert inspection.step.state[adamp.VIEW, 0] == adamp.CHANNEL_VIEW and "d_proj" in values
    model = trainers[0].model

    def norms(p):
        return [np.linalg.norm(p[model.layout.w_off[l]:model.layout.w_off[l] + model.sizes[l] * model.sizes[l + 1]])
                for l in range(2)]
    start = norms(trainers[0].params)
    assert start == pytest.approx([5.23, 5.57], abs=5e-3)
    ends = {}
    for tr in trainers:
        tr.run()
        ends[tr.label] = norms(tr.params)
    assert ends["adamp"] == pytest.approx([5.24, 5.65], abs=5e-3)
    assert ends["adam"] == pytest.approx([5.47, 7.13], abs=5e-3)
    runs = runs_by_label(result)
    assert runs["adamp"]["val_loss"][-1] == pytest.approx(0.186, abs=5e-4)
    assert runs["adam"]["val_loss"][-1] == pytest.approx(0.190, abs=5e-4)
