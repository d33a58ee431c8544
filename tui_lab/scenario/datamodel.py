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
    init = sec.choice("init", INITS, "xavier")
    sec.done()
    if name in ("linear", "poly") and not data.is_regression:
        raise sec.fail_at("name", f"{name} is a regression model but data set {data.name} is classification "
                                  "(use logistic or mlp)")
    if name == "logistic" and data.is_regression:
        raise sec.fail_at("name", f"logistic is a classifier but data set {data.name} is regression "
                                  "(use linear, poly or mlp)")
    return ModelSettings(name, 1 if data.is_regression else 2, data.n_classes, tuple(hidden), activation, degree, init)


__all__ = ["CLASSIFICATION", "DataSettings", "ModelSettings", "REGRESSION", "parse_data", "parse_model"]
