"""kind = "train": scenario reading, bad input, the JSON of runs, listed keys, shipped scenarios."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from tui_lab import ScenarioError, load_scenario, run_scenario
from tui_lab.kinds import KINDS
from tui_lab.output import to_json
from tui_lab.scenario.shipped import shipped_names

BASE = {"title": "t", "kind": "train", "seed": 3,
        "data": {"name": "moons", "n": 100, "noise": 0.2},
        "model": {"name": "mlp", "hidden": [8]},
        "train": {"epochs": 15, "batch_size": 16},
        "optimizers": [{"name": "adam", "lr": 0.01}, {"name": "momentum", "lr": 0.05}]}

SPEC_EXAMPLE = """
title = "spec example"
kind = "train"
[data]
name = "sine"
n = 300
noise = 0.1
split = [0.6, 0.2, 0.2]
[model]
name = "mlp"
hidden = [16, 16]
activation = "tanh"
degree = 9
init = "xavier"
[train]
epochs = 5
batch_size = 16
drop_last = false
[regularize]
l2 = 0.0
l1 = 0.0
dropout = 0.0
batchnorm = false
input_noise = 0.0
weight_noise = 0.0
label_smoothing = 0.0
mixup = 0.0
augment = "none"
early_stopping = 0
[[optimizers]]
name = "adam"
lr = 0.01
"""


def with_(base: dict, **tables) -> dict:
    out = json.loads(json.dumps(base))
    for table, values in tables.items():
        if isinstance(values, dict):
            out.setdefault(table, {}).update(values)
        else:
            out[table] = values
    return out


def test_spec_example_runs(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text(SPEC_EXAMPLE)
    result = run_scenario(str(path))
    run = result["runs"][0]
    for key in ("label", "optimizer", "hyperparams", "train_loss", "val_loss", "test_loss", "train_metric",
                "val_metric", "test_metric", "best_epoch", "stopped_epoch", "diverged"):
        assert key in run
    assert len(run["train_loss"]) == len(run["val_loss"]) == 5
    assert "params" not in run                           # an mlp has no short parameter list
    json.loads(to_json(result))                          # strict JSON


def test_runs_are_bit_reproducible_and_share_data_and_init():
    a, b = run_scenario(BASE), run_scenario(BASE)
    assert to_json(a) == to_json(b)
    assert a["runs"][0]["train_loss"][0] != a["runs"][1]["train_loss"][0]    # different optimizers
    c = run_scenario(with_(BASE, seed=4))
    assert a["runs"][0]["test_loss"] != c["runs"][0]["test_loss"]


def test_linear_models_report_their_params_bias_last():
    result = run_scenario(with_(BASE, data={"name": "linear", "noise": 0.0}, model={"name": "linear"},
                                train={"epochs": 400, "batch_size": 0},
                                optimizers=[{"name": "adam", "lr": 0.05}]))
    w, b = result["runs"][0]["params"]
    assert (w, b) == pytest.approx((1.5, 0.5), abs=1e-3)   # the truth of the linear set: y = 1.5 x + 0.5
    assert result["runs"][0]["test_metric"] == pytest.approx(1.0, abs=1e-5)


def test_include_data_gives_the_three_splits():
    result = run_scenario(BASE, include_data=True)
    sizes = {name: len(part["y"]) for name, part in result["data"].items()}
    assert sizes == {"train": 60, "val": 20, "test": 20}
    assert np.asarray(result["data"]["train"]["x"]).shape == (60, 2)


def test_listed_values_make_one_run_each():
    result = run_scenario(with_(BASE, train={"batch_size": [1, 0]}, optimizers=[{"name": "sgd", "lr": 0.1}]))
    labels = [r["label"] for r in result["runs"]]
    assert labels == ["sgd batch_size=1", "sgd batch_size=full"]
    assert [r["steps"] for r in result["runs"]] == [15 * 60, 15]
    zipped = run_scenario(with_(BASE, regularize={"l2": [0, 0.01], "dropout": [0.2, 0]}))
    assert [r["label"] for r in zipped["runs"]][:2] == ["adam dropout=0.2", "adam l2=0.01"]
    assert zipped["runs"][1]["settings"]["l2"] == 0.01 and zipped["runs"][1]["settings"]["dropout"] == 0


def test_diverging_run_is_marked_not_crashed():
    result = run_scenario(with_(BASE, data={"name": "linear"}, model={"name": "poly", "degree": 3},
                                train={"epochs": 400, "batch_size": 0}, optimizers=[{"name": "sgd", "lr": 40.0}]))
    run = result["runs"][0]
    assert run["diverged"] and run["stopped_epoch"] < 400
    assert all(np.isfinite(run["train_loss"]))
    json.loads(to_json(result))


@pytest.mark.parametrize("change,message", [
    ({"model": {"name": "logistic"}, "data": {"name": "sine"}}, "model.name: logistic is a classifier"),
    ({"model": {"name": "linear"}}, "model.name: linear is a regression model"),
    ({"data": {"name": "moonz"}}, 'did you mean "moons"'),
    ({"data": {"split": [0.5, 0.2, 0.2]}}, "data.split: expected [train, validation, test]"),
    ({"data": {"classes": 3}}, "data.classes: only spirals and blobs"),
    ({"model": {"hidden": [8, 0]}}, "model.hidden: expected a list"),
    ({"model": {"activation": "gelu"}}, "model.activation"),
    ({"model": {"init": "glorot"}}, "model.init"),
    ({"train": {"batch_size": 1000}}, "train.batch_size: expected an integer in [0, 60]"),
    ({"train": {"batch_size": [4, -1]}}, "train.batch_size[1]"),
    ({"train": {"epoch": 3}}, 'train.epoch: unknown key (did you mean "epochs"?)'),
    ({"regularize": {"dropout": 1.0}}, "regularize.dropout: expected a number in [0, 1)"),
    ({"regularize": {"label_smoothing": 0.1}, "data": {"name": "sine"}}, "regularize.label_smoothing"),
    ({"regularize": {"dropout": 0.1}, "model": {"name": "logistic"}}, "dropout acts on the hidden layers"),
    ({"regularize": {"batchnorm": True}, "train": {"batch_size": 1}}, "batch norm needs batches"),
    ({"regularize": {"augment": "rotate"}}, "regularize.augment: rotate does not preserve the labels of moons"),
    ({"regularize": {"early_stopping": 5}, "data": {"split": [0.8, 0.0, 0.2]}}, "regularize.early_stopping"),
    ({"regularize": {"l2": [0, 0.1], "l1": [0, 0.1, 0.2]}}, "lengths must agree"),
    ({"model": {"degree": [2, 3]}}, "model.degree: a list of degrees compares poly models"),
])
def test_bad_input_is_one_line(change, message):
    with pytest.raises(ScenarioError) as err:
        load_scenario(with_(BASE, **change))
    text = str(err.value)
    assert message in text and "\n" not in text


def test_cli_bad_input_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SPEC_EXAMPLE.replace('name = "mlp"', 'name = "logistic"'))
    out = subprocess.run([sys.executable, "-m", "tui_lab", "run", str(path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "model.name" in out.stderr


def test_summary_and_csv_tables():
    result = run_scenario(BASE)
    kind = KINDS["train"]
    text = kind.summary(result)
    assert "adam" in text and "momentum" in text and "val acc" in text
    tables = kind.csv_tables(result)
    assert len(tables["curves.csv"]) == 1 + 2 * 15 and len(tables["runs.csv"]) == 3


SHIPPED = [name for name in shipped_names() if name.startswith("train-")]


def test_enough_shipped_train_scenarios():
    assert len(SHIPPED) >= 8
    assert {"train-batch-modes", "train-capacity", "train-init", "train-regularizers", "train-early-stopping",
            "train-regression-optimizers", "train-batch-size-sharpness"} <= set(SHIPPED)


def test_regularizers_scenario_covers_every_regularizer():
    st = load_scenario("train-regularizers").settings
    turned_on = set()
    for v in st.variants:
        c = v.config
        turned_on |= {k for k in ("l2", "l1", "dropout", "input_noise", "weight_noise", "label_smoothing", "mixup",
                                  "early_stopping") if getattr(c, k)}
        turned_on |= {"augment"} if c.augment != "none" else set()
        turned_on |= {"batchnorm"} if v.model.batchnorm else set()
    assert turned_on == {"l2", "l1", "dropout", "batchnorm", "input_noise", "weight_noise", "label_smoothing",
                         "mixup", "augment", "early_stopping"}


def test_batch_size_lesson_reports_sharpness_for_each_batch_size():
    raw = with_(load_scenario("train-batch-size-sharpness").raw, data={"n": 200}, train={"epochs": 5})
    del raw["lesson"]
    result = run_scenario(raw)
    assert [r["settings"]["batch_size"] for r in result["runs"]] == [4, 16, 64]
    for r in result["runs"]:
        assert math.isfinite(r["sharpness"]) and len(r["loss_profile"]["alpha"]) == len(r["loss_profile"]["loss"]) == 21
        assert r["loss_profile"]["alpha"][0] == -1.0 and r["loss_profile"]["alpha"][-1] == 1.0
