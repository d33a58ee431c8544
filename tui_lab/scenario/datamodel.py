"""The [data] and [model] tables (shared by the train and validate kinds), and train's [train] / [regularize].

    [data]   name, n, noise, split = [train, validation, test], classes (spirals, blobs)
    [model]  name = linear | poly | logistic | mlp, hidden, activation, degree, init
Keys that belong to another model (e.g. `degree` beside name = "mlp", as in the spec's example)
are read and checked but have no effect; a model that does not fit the data set is bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.datasets import (CLASSIFICATION, DATASETS, MAX_CLASSES, MULTICLASS, REGRESSION, Dataset, make_dataset,
                             n_classes_of, split_indices, split_sizes)
from ..core.models import ACTIVATIONS, INITS, MODELS, Model
from ..core.train import AUGMENTS, TrainConfig, augment_code
from .fields import Section

MAX_POINTS = 100_000
MAX_DEGREE = 30
MAX_WIDTH = 1024
MAX_LAYERS = 8


@dataclass
class DataSettings:
    name: str
    n: int = 200
    noise: float = 0.1
    split: tuple[float, float, float] = (0.6, 0.2, 0.2)
    classes: int | None = None      # spirals / blobs only
    seed: int = 0

    @property
    def n_classes(self) -> int:
        return n_classes_of(self.name, self.classes)

    @property
    def is_regression(self) -> bool:
        return self.name in REGRESSION

    @property
    def sizes(self) -> tuple[int, int, int]:
        return split_sizes(self.n, self.split)

    def build(self) -> tuple[Dataset, np.ndarray, np.ndarray, np.ndarray]:
        """(data set, train indices, validation indices, test indices)."""
        data = make_dataset(self.name, self.n, self.noise, self.seed, classes=self.classes)
        return (data, *split_indices(self.n, self.split, self.seed))

    def to_dict(self) -> dict:
        out = {"name": self.name, "n": self.n, "noise": self.noise, "split": list(self.split)}
        if self.classes is not None:
            out["classes"] = self.classes
        return out


@dataclass
class ModelSettings:
    name: str
    features: int                   # inputs of the data set (before any polynomial expansion)
    n_classes: int                  # 0 = regression
    hidden: tuple[int, ...] = (16,)
    activation: str = "tanh"
    degree: int = 3
    init: str = "xavier"
    batchnorm: bool = False         # set from [regularize] by the train kind
    inits: tuple[str, ...] = ()     # train: several inits listed, one run each (init is the first)

    def build(self) -> Model:
        return Model(self.name, self.features, self.n_classes, hidden=self.hidden if self.name == "mlp" else (),
                     activation=self.activation, degree=self.degree if self.name == "poly" else 1,
                     batchnorm=self.batchnorm and self.name == "mlp")

    def with_degree(self, degree: int) -> "ModelSettings":
        """The same model with another polynomial degree (capacity sweeps)."""
        return replace(self, degree=degree)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "init": self.init}
        if self.name == "mlp":
            out.update(hidden=list(self.hidden), activation=self.activation)
        if self.name == "poly":
            out["degree"] = self.degree
        return out


def _sweepable(sec: Section, key: str, read) -> list:
    """A key that may hold one value or a list of them (one run each); read(section, key) reads one.
    List items are checked one by one, so an error names e.g. `train.batch_size[2]`."""
    value = sec.data.get(key)
    if isinstance(value, list) and value:
        sec.raw(key)
        return [read(Section({f"{key}[{i}]": v}, sec.where, sec.path), f"{key}[{i}]") for i, v in enumerate(value)]
    return [read(sec, key)]


def parse_data(top: Section, seed: int) -> DataSettings:
    sec = top.section("data", required=True)
    name = sec.choice("name", DATASETS, what="a data set name, one of")
    n = sec.integer("n", 200, low=10, high=MAX_POINTS)
    noise = sec.number("noise", 0.1, low=0)
    split = sec.numbers("split", [0.6, 0.2, 0.2], length=3, check=lambda f: 0.0 <= f <= 1.0,
                        expected="[train, validation, test], three fractions in [0, 1] that sum to 1")
    if abs(sum(split) - 1.0) > 1e-9:
        raise sec.fail("split", "[train, validation, test], three fractions in [0, 1] that sum to 1", split)
    classes = None
    if name in MULTICLASS:
        classes = sec.integer("classes", None, low=2, high=MAX_CLASSES)
    elif sec.has("classes"):
        sec.raw("classes")
        raise sec.fail_at("classes", f"only {' and '.join(MULTICLASS)} have a choice of classes, not {name}")
    sec.done()
    settings = DataSettings(name, n, noise, (split[0], split[1], split[2]), classes, seed)
    n_train, _, _ = settings.sizes
    if n_train < 2:
        raise sec.fail("split", f"a train fraction leaving at least 2 of the n = {n} points for training", split)
    return settings


def parse_model(top: Section, data: DataSettings) -> ModelSettings:
    sec = top.section("model", required=True)
    name = sec.choice("name", MODELS, what="a model name, one of")
    hidden = sec.raw("hidden", [16])
    if (not isinstance(hidden, list) or len(hidden) > MAX_LAYERS
            or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= MAX_WIDTH for h in hidden)):
        raise sec.fail("hidden", f"a list of at most {MAX_LAYERS} layer widths, integers in [1, {MAX_WIDTH}]", hidden)
    activation = sec.choice("activation", ACTIVATIONS, "tanh")
    degree = sec.integer("degree", 3, low=1, high=MAX_DEGREE)
    inits = _sweepable(sec, "init", lambda s, k: s.choice(k, INITS, "xavier"))
    sec.done()
    if name in ("linear", "poly") and not data.is_regression:
        raise sec.fail_at("name", f"{name} is a regression model but data set {data.name} is classification "
                                  "(use logistic or mlp)")
    if name == "logistic" and data.is_regression:
        raise sec.fail_at("name", f"logistic is a classifier but data set {data.name} is regression "
                                  "(use linear, poly or mlp)")
    return ModelSettings(name, 1 if data.is_regression else 2, data.n_classes, tuple(hidden), activation, degree,
                         inits[0], inits=tuple(inits))


__all__ = ["CLASSIFICATION", "DataSettings", "ModelSettings", "REGRESSION", "parse_data", "parse_model"]


# -- [train] and [regularize] (the train kind) -------------------------------------------------

@dataclass
class Variant:
    """One setting of the scenario's swept key (or the only setting): its label suffix, config and init."""
    suffix: str
    config: TrainConfig
    init: str


def batch_label(size: int) -> str:
    return "full" if size == 0 else str(size)


def parse_train(top: Section, data: DataSettings, model: ModelSettings) -> tuple[list[Variant], bool]:
    """[train] and [regularize] -> the run variants (one per value of the swept key) and batchnorm.

    batch_size, model.init and every numeric regularizer (and augment) may list several values: each
    value is one run per optimizer, all else equal. At most one key may do so."""
    n_train = data.sizes[0]
    sec = top.section("train")
    epochs = sec.integer("epochs", 100, low=1, high=1_000_000)
    sizes = _sweepable(sec, "batch_size", lambda s, k: s.integer(k, 0, low=0, high=n_train))
    drop_last = sec.boolean("drop_last", False)
    sharpness = sec.number("sharpness", 0.0, low=0, high=1.0)
    sec.done()

    reg = top.section("regularize")
    mlp, classifier = model.name == "mlp", not data.is_regression

    def rate(s, k):
        return s.number(k, 0.0, low=0.0, high=1.0, high_open=True)

    def amount(s, k):
        return s.number(k, 0.0, low=0)

    swept: dict[str, list] = {"batch_size": sizes}
    for key, read, applies, why in (
            ("l2", amount, True, ""), ("l1", amount, True, ""),
            ("dropout", rate, mlp, "dropout acts on the hidden layers of an mlp"),
            ("input_noise", amount, True, ""), ("weight_noise", amount, True, ""),
            ("label_smoothing", rate, classifier, "label smoothing needs a classification data set"),
            ("mixup", amount, True, "")):
        swept[key] = _sweepable(reg, key, read)
        if not applies and any(swept[key]):
            raise reg.fail_at(key, f"{why}; model {model.name} on {data.name} has none")
    batchnorm = reg.boolean("batchnorm", False)
    if batchnorm and not mlp:
        raise reg.fail_at("batchnorm", f"batch norm acts on the hidden layers of an mlp, not {model.name}")
    if batchnorm and 1 in sizes:
        raise reg.fail_at("batchnorm", "batch norm needs batches of 2 or more samples (batch_size = 1 is SGD)")

    def augment(s, k):
        name = s.choice(k, list(AUGMENTS), "none")
        try:
            augment_code(name, data.name)
        except ValueError as err:
            raise s.fail_at(k, str(err)) from None
        return name
    swept["augment"] = _sweepable(reg, "augment", augment)
    patience = reg.integer("early_stopping", 0, low=0, high=1_000_000)
    if patience and data.sizes[1] == 0:
        raise reg.fail_at("early_stopping", "early stopping watches the validation loss: give data.split a "
                                            "validation fraction")
    reg.done()
    swept["init"] = model.inits

    several = [key for key, values in swept.items() if len(values) > 1]
    if len(several) > 1:
        raise top.fail_at(several[1], f"only one key may list several values (one run each); {several[0]} "
                                      "already does")
    base = {key: values[0] for key, values in swept.items()}
    config = dict(epochs=epochs, drop_last=drop_last, early_stopping=patience, sharpness=sharpness)
    if not several:
        return [Variant("", TrainConfig(**config, **_without(base, "init")), base["init"])], batchnorm
    key = several[0]
    variants = []
    for value in swept[key]:
        settings = {**base, key: value}
        shown = batch_label(value) if key == "batch_size" else value
        variants.append(Variant(f" {key}={shown}", TrainConfig(**config, **_without(settings, "init")),
                                settings["init"]))
    return variants, batchnorm


def _without(settings: dict, key: str) -> dict:
    return {k: v for k, v in settings.items() if k != key}
