"""kind = "train": a small model trained on a data set, one run per optimizer (and per swept value)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import i18n, progress
from ..core.cnn_train import CnnTrainer
from ..core.datasets import FORMULAS
from ..core.image_data import flattened
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
        models = [v.model.build() for v in self.variants]
        if self.model.name == "cnn":
            trainer = CnnTrainer
        else:
            trainer = Trainer
            if self.model.image_shape is not None:   # a dense model sees an image as a row of pixels
                dataset = flattened(dataset)
        return [trainer(dataset, splits, model, opt, v.config, seed, v.model.init, label=opt.label + v.suffix)
                for opt in self.optimizers for v, model in zip(self.variants, models)]


def parse(top: Section, seed: int) -> TrainSettings:
    data = parse_data(top, seed)
    model = parse_model(top, data)
    return TrainSettings(data, model, parse_train(top, data, model), parse_optimizers(top))


def run_settings(trainer: Trainer) -> dict:
    """The settings a run trained with (what may differ between the runs of a scenario)."""
    config = asdict(trainer.config)
    return {"init": trainer.init, "degree": trainer.model.degree, "batchnorm": trainer.model.batchnorm,
            "layernorm": getattr(trainer.model, "layernorm", False), **{k: v for k, v in config.items() if k not in ("epochs", "sharpness")}}


def describe_setup(st: TrainSettings) -> dict:
    """The data set and model as run: what the JSON shows before the runs."""
    sizes = st.data.sizes
    dataset = {**st.data.to_dict(), "n_classes": st.data.n_classes, "features": st.model.features,
               "sizes": {"train": sizes[0], "val": sizes[1], "test": sizes[2]}}
    if st.data.is_regression:
        dataset["formula"] = FORMULAS[st.data.name]
    model = st.variants[0].model
    built = model.build()
    return {"dataset": dataset, "model": {**model.to_dict(), "batchnorm": built.batchnorm,
                                          "layernorm": getattr(built, "layernorm", False),
                                          "layer_sizes": list(built.sizes), "n_params": built.n_params}}


def results_of(st: TrainSettings, trainers: list[Trainer], include_data: bool = False) -> dict:
    """The JSON keys after title / kind / seed, for trainers in whatever state they are."""
    runs = [{**tr.result(), "settings": run_settings(tr), "train_metric_curve": tr.curve(TRAIN_METRIC),
             "val_metric_curve": tr.curve(VAL_METRIC)} for tr in trainers]
    out = describe_setup(st)
    first = st.variants[0].config
    out["train"] = {"epochs": first.epochs, "batch_size": first.batch_size, "drop_last": first.drop_last}
    out["runs"] = runs
    if include_data and trainers:
        tr = trainers[0]
        out["data"] = {name: {"x": tr.x[idx], "y": tr.y[idx]}
                       for name, idx in (("train", tr.train_idx), ("val", tr.val_idx), ("test", tr.test_idx))}
    return out


def run(scenario, *, trace: bool = False, include_data: bool = False) -> dict:
    st: TrainSettings = scenario.settings
    trainers = st.make_trainers(scenario.seed)
    progress.expect(sum(tr.config.epochs for tr in trainers), "epochs")
    for tr in trainers:
        for n in progress.chunks(tr.config.epochs, "epochs", first=1, expected=True):
            tr.advance(n)       # a chunk at a time: progress, and Ctrl-C between chunks
            if tr.finished:
                break
    return results_of(st, trainers, include_data)


def summary(result: dict) -> str:
    metric = "R^2" if result["dataset"]["n_classes"] == 0 else "acc"
    sharp = any("sharpness" in r for r in result["runs"])
    rows = []
    for r in result["runs"]:
        row = [r["label"], r["stopped_epoch"], r["final_train_loss"], r["final_val_loss"], r["test_loss"],
               r["train_metric"], r["val_metric"], r["test_metric"], r["best_epoch"]]
        if sharp:
            row.append(r.get("sharpness"))
        row.append(i18n.tr("at epoch {epoch}", epoch=r["diverged_at"]) if r["diverged"]
                   else (i18n.tr("early stop") if r["early_stopped"] else i18n.tr("no")))
        rows.append(row)
    header = [i18n.tr("run"), i18n.tr("epochs"), i18n.tr("train loss"), i18n.tr("val loss"), i18n.tr("test loss"),
              i18n.tr("train {metric}", metric=metric), i18n.tr("val {metric}", metric=metric),
              i18n.tr("test {metric}", metric=metric), i18n.tr("best epoch")] + (
        [i18n.tr("sharpness (λ_max)")] if sharp else []) + [i18n.tr("diverged / stopped")]
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
