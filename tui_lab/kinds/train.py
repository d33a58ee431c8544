"""kind = "train": a small model trained on a data set, one run per optimizer (and per swept value)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..core.datasets import FORMULAS
from ..core.optim import Optimizer
from ..core.train import TRAIN_METRIC, VAL_METRIC, Trainer
from ..output import table
from ..scenario.datamodel import (DataSettings, ModelSettings, Variant, batch_label, parse_data, parse_model,
                                  parse_train)
from ..scenario.fields import Section
from ..scenario.optimizers import parse_optimizers


@dataclass
class TrainSettings:
    data: DataSettings
    model: ModelSettings
    variants: list[Variant]
    optimizers: list[Optimizer]

    def make_trainers(self, seed: int) -> list[Trainer]:
        """One trainer per optimizer and variant, all on the same data, split, model and init stream."""
        dataset, *splits = self.data.build()
        model = self.model.build()
        return [Trainer(dataset, splits, model, opt, v.config, seed, v.init, label=opt.label + v.suffix)
                for opt in self.optimizers for v in self.variants]


def parse(top: Section, seed: int) -> TrainSettings:
    data = parse_data(top, seed)
    model = parse_model(top, data)
    variants, model.batchnorm = parse_train(top, data, model)
    return TrainSettings(data, model, variants, parse_optimizers(top))


def run_settings(trainer: Trainer) -> dict:
    """The settings a run trained with (what may differ between the runs of a scenario)."""
    config = asdict(trainer.config)
    return {"init": trainer.init, **{k: v for k, v in config.items() if k not in ("epochs", "sharpness")}}


def describe_setup(st: TrainSettings) -> dict:
    """The data set and model as run: what the JSON shows before the runs."""
    sizes = st.data.sizes
    dataset = {**st.data.to_dict(), "n_classes": st.data.n_classes, "features": st.model.features,
               "sizes": {"train": sizes[0], "val": sizes[1], "test": sizes[2]}}
    if st.data.is_regression:
        dataset["formula"] = FORMULAS[st.data.name]
    model = st.model.build()
    return {"dataset": dataset, "model": {**st.model.to_dict(), "batchnorm": model.batchnorm,
                                          "layer_sizes": list(model.sizes), "n_params": model.n_params}}


def run(scenario, *, trace: bool = False, include_data: bool = False) -> dict:
    st: TrainSettings = scenario.settings
    trainers = st.make_trainers(scenario.seed)
    runs = []
    for tr in trainers:
        tr.run()
        runs.append({**tr.result(), "settings": run_settings(tr),
                     "train_metric_curve": tr.curve(TRAIN_METRIC), "val_metric_curve": tr.curve(VAL_METRIC)})
    out = describe_setup(st)
    out["train"] = {"epochs": st.variants[0].config.epochs, "batch_size": st.variants[0].config.batch_size,
                    "drop_last": st.variants[0].config.drop_last}
    out["runs"] = runs
    if include_data:
        tr = trainers[0]
        out["data"] = {name: {"x": tr.x[idx], "y": tr.y[idx]}
                       for name, idx in (("train", tr.train_idx), ("val", tr.val_idx), ("test", tr.test_idx))}
    return out


def summary(result: dict) -> str:
    metric = "R^2" if result["dataset"]["n_classes"] == 0 else "acc"
    sharp = any("sharpness" in r for r in result["runs"])
    rows = []
    for r in result["runs"]:
        row = [r["label"], r["stopped_epoch"], r["final_train_loss"], r["final_val_loss"], r["test_loss"],
               r["train_metric"], r["val_metric"], r["test_metric"], r["best_epoch"]]
        if sharp:
            row.append(r.get("sharpness"))
        row.append(f"at epoch {r['diverged_at']}" if r["diverged"] else ("early stop" if r["early_stopped"] else "no"))
        rows.append(row)
    header = ["run", "epochs", "train loss", "val loss", "test loss", f"train {metric}", f"val {metric}",
              f"test {metric}", "best epoch"] + (["sharpness"] if sharp else []) + ["diverged / stopped"]
    return table(header, rows)


def csv_tables(result: dict) -> dict[str, list[list]]:
    curves: list[list] = [["label", "epoch", "train_loss", "val_loss", "train_metric", "val_metric"]]
    for r in result["runs"]:
        curves += [[r["label"], e + 1, *values] for e, values in
                   enumerate(zip(r["train_loss"], r["val_loss"], r["train_metric_curve"], r["val_metric_curve"]))]
    finals: list[list] = [["label", "optimizer", "batch_size", "stopped_epoch", "best_epoch", "train_loss", "val_loss",
                           "test_loss", "train_metric", "val_metric", "test_metric", "sharpness", "diverged"]]
    for r in result["runs"]:
        finals.append([r["label"], r["optimizer"], batch_label(r["settings"]["batch_size"]), r["stopped_epoch"],
                       r["best_epoch"], r["final_train_loss"], r["final_val_loss"], r["test_loss"], r["train_metric"],
                       r["val_metric"], r["test_metric"], r.get("sharpness"), r["diverged"]])
    return {"curves.csv": curves, "runs.csv": finals}
