"""Claims of the training lessons (kind train)."""

import math

import numpy as np
import pytest

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
    full, stopped = runs["adam early_stopping=0"], runs["adam early_stopping=30"]
    assert stopped["early_stopped"] and stopped["stopped_epoch"] == stopped["best_epoch"] + 30 == 45
    assert full["stopped_epoch"] == 1000 and full["final_train_loss"] < stopped["final_train_loss"]
    assert stopped["test_loss"] < 0.6 * full["test_loss"]


@claim("train-regression-optimizers")
def _(result):
    runs = runs_by_label(result)
    assert runs["momentum"]["final_train_loss"] < 0.6 * runs["sgd"]["final_train_loss"]
    assert runs["adam"]["final_train_loss"] < 0.6 * runs["sgd"]["final_train_loss"]
    raw = scenario_raw("train-regression-optimizers")
    raw["optimizers"][0]["lr"] = 1.5
    from tui_lab import run_scenario
    exploded = runs_by_label(run_scenario(raw))["sgd"]
    assert exploded["diverged"] or exploded["train_loss"][-1] > 1e40


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


@claim("train-regularizers")
def _(result):
    runs = result["runs"]
    baseline = runs[0]
    assert baseline["label"] == "adam baseline"
    better = [r["label"] for r in runs[1:] if r["final_val_loss"] < baseline["final_val_loss"]]
    assert len(better) == 8
    assert {"adam dropout=0.3", "adam weight_noise=0.05"}.isdisjoint(better)


@claim("train-batch-size-sharpness")
def _(result):
    by_size = {r["settings"]["batch_size"]: r for r in result["runs"]}
    losses = [r["final_train_loss"] for r in by_size.values()]
    assert max(losses) - min(losses) < 0.01
    assert by_size[4]["sharpness"] > max(by_size[b]["sharpness"] for b in (16, 64, 0))
    tests = [by_size[b]["test_loss"] for b in (4, 16, 64, 0)]
    assert tests == sorted(tests, reverse=True)          # larger batch, lower test loss, in this run


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
