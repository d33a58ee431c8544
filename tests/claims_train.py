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
