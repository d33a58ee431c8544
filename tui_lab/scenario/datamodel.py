"""The [data] and [model] tables (shared by the train and validate kinds), and train's [train] / [regularize].

    [data]   name, n, noise, split = [train, validation, test], classes (spirals, blobs)
    [model]  name = linear | poly | logistic | mlp | cnn, hidden, activation, degree, init;
             cnn (image sets): conv (channels per layer), kernel, pool
    [train]  epochs, batch_size, drop_last, sharpness (after training: λ_max and the loss profile over α in [-r, r]; 0 = off)
    [regularize]  l2, l1, dropout, batchnorm, input_noise, weight_noise, label_smoothing, mixup, augment,
             early_stopping; cnn: cutout, cutmix, augment = shift | flip
In the train kind, batch_size, the [regularize] keys and model.init / model.degree may list values,
one run each (see parse_train).
Keys that belong to another model (e.g. `degree` beside name = "mlp", as in the spec's example)
are read and checked but have no effect; a model that does not fit the data set is bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..core.cnn import MAX_CHANNELS, MAX_CONV_LAYERS, MAX_KERNEL, POOLS, CnnModel
from ..core.cnn_train import IMAGE_AUGMENTS, ImageTrainConfig
from ..core.datasets import (CLASSIFICATION, DATASETS, MAX_CLASSES, MULTICLASS, REGRESSION, Dataset, make_dataset,
                             n_classes_of, split_indices, split_sizes)
from ..core.models import ACTIVATIONS, INITS, MODELS, Model
from ..core.train import AUGMENTS, TrainConfig, augment_code
from ..core.image_data import IMAGE_MAX_N, IMAGE_NOISE, IMAGE_SHAPES, IMAGE_SIZES
from ..limits import MAX_EPOCHS, MAX_LIST, MAX_MIXUP, MAX_NOISE, MAX_PENALTY, MAX_POINTS
from ..i18n import N_, tr
from .fields import Section

SPLIT_EXPECTED = N_("[train, validation, test], three fractions in [0, 1] that sum to 1")
MAX_DEGREE = 30
MAX_WIDTH = 1024
MAX_LAYERS = 8
MAX_CUTOUT = 64         # side of a Cutout square, pixels
MAX_MIX_ALPHA = 100.0   # CutMix's Beta(alpha, alpha)


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
    layernorm: bool = False         # set from [regularize] by the train kind (mlp)
    listed: dict = field(default_factory=dict)   # train: keys given a list of values (one run each), e.g. init
    conv: tuple[int, ...] = (8, 16)     # cnn: channels of each conv layer
    kernel: int = 3                     # cnn: kernel side
    pool: str = "max"                   # cnn: max | avg | none
    image_shape: tuple[int, int, int] | None = None   # image sets: (C, H, W)

    def build(self) -> Model | CnnModel:
        if self.name == "cnn":
            return CnnModel(self.image_shape, self.n_classes, conv=self.conv, kernel=self.kernel, pool=self.pool,
                            hidden=self.hidden, activation=self.activation, batchnorm=self.batchnorm)
        return Model(self.name, self.features, self.n_classes, hidden=self.hidden if self.name == "mlp" else (),
                     activation=self.activation, degree=self.degree if self.name == "poly" else 1,
                     batchnorm=self.batchnorm and self.name == "mlp", layernorm=self.layernorm and self.name == "mlp")

    def with_degree(self, degree: int) -> "ModelSettings":
        """The same model with another polynomial degree (capacity sweeps)."""
        return replace(self, degree=degree)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "init": self.init}
        if self.name in ("mlp", "cnn"):
            out.update(hidden=list(self.hidden), activation=self.activation)
        if self.name == "cnn":
            out.update(conv=list(self.conv), kernel=self.kernel, pool=self.pool)
        if self.name == "poly":
            out["degree"] = self.degree
        return out


def _sweepable(sec: Section, key: str, read) -> list:
    """A key that may hold one value or a list of them (one run each); read(section, key) reads one.
    List items are checked one by one, so an error names e.g. `train.batch_size[2]`."""
    value = sec.data.get(key)
    if isinstance(value, list) and value:
        sec.raw(key)
        if len(value) > MAX_LIST:
            raise sec.fail(key, tr("one value or a list of at most {most} (one run each)", most=MAX_LIST), value)
        return [read(Section({f"{key}[{i}]": v}, sec.where, sec.path), f"{key}[{i}]") for i, v in enumerate(value)]
    return [read(sec, key)]


def parse_data(top: Section, seed: int) -> DataSettings:
    sec = top.section("data", required=True)
    name = sec.choice("name", DATASETS, what="a data set name, one of")
    if name in IMAGE_SIZES:     # image sets: their own default size and noise
        n = sec.integer("n", IMAGE_SIZES[name], low=10, high=IMAGE_MAX_N[name])
        noise = sec.number("noise", IMAGE_NOISE[name], low=0, high=1.0)
    else:
        n = sec.integer("n", 200, low=10, high=MAX_POINTS)
        noise = sec.number("noise", 0.1, low=0, high=MAX_NOISE)
    split = sec.numbers("split", [0.6, 0.2, 0.2], length=3, check=lambda f: 0.0 <= f <= 1.0,
                        expected=SPLIT_EXPECTED)
    if abs(sum(split) - 1.0) > 1e-9:
        raise sec.fail("split", SPLIT_EXPECTED, split)
    classes = None
    if name in MULTICLASS:
        classes = sec.integer("classes", None, low=2, high=MAX_CLASSES)
    elif sec.has("classes"):
        sec.raw("classes")
        raise sec.fail_at("classes", tr("only {names} have a choice of classes, not {name}",
                                              names=" and ".join(MULTICLASS), name=name))
    sec.done()
    settings = DataSettings(name, n, noise, (split[0], split[1], split[2]), classes, seed)
    n_train, _, _ = settings.sizes
    if n_train < 2:
        raise sec.fail("split", tr("a train fraction leaving at least 2 of the n = {n} points for training", n=n),
                       split)
    return settings


def parse_model(top: Section, data: DataSettings) -> ModelSettings:
    sec = top.section("model", required=True)
    name = sec.choice("name", MODELS + ("cnn",), what="a model name, one of")
    hidden = sec.raw("hidden", [16])
    if (not isinstance(hidden, list) or len(hidden) > MAX_LAYERS
            or not all(isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= MAX_WIDTH for h in hidden)):
        raise sec.fail("hidden", tr("a list of at most {layers} layer widths, integers in [1, {width}]",
                                    layers=MAX_LAYERS, width=MAX_WIDTH), hidden)
    activation = sec.choice("activation", ACTIVATIONS, "tanh")
    degrees = _sweepable(sec, "degree", lambda s, k: s.integer(k, 3, low=1, high=MAX_DEGREE))
    inits = _sweepable(sec, "init", lambda s, k: s.choice(k, INITS, "xavier"))
    image_shape = IMAGE_SHAPES.get(data.name)
    cnn = {}
    if name == "cnn":
        conv = sec.raw("conv", [8, 16])
        if (not isinstance(conv, list) or not 1 <= len(conv) <= MAX_CONV_LAYERS
                or not all(isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= MAX_CHANNELS for c in conv)):
            raise sec.fail("conv", tr("a list of 1 to {layers} channel counts, integers in [1, {channels}]",
                                      layers=MAX_CONV_LAYERS, channels=MAX_CHANNELS), conv)
        cnn = {"conv": tuple(conv), "kernel": sec.integer("kernel", 3, low=1, high=MAX_KERNEL),
               "pool": sec.choice("pool", POOLS, "max")}
    sec.done()
    if name == "cnn":
        if image_shape is None:
            raise sec.fail_at("name", tr("cnn convolves images but data set {name} is not an image set (use {sets})",
                                         name=data.name, sets=", ".join(IMAGE_SHAPES)))
        problem = CnnModel(image_shape, data.n_classes, hidden=tuple(hidden), **cnn).problem()
        if problem:
            raise sec.fail_at("conv", problem)
    if len(degrees) > 1 and name != "poly":
        raise sec.fail_at("degree", tr("a list of degrees compares poly models; model {name} has no degree",
                                       name=name))
    if name in ("linear", "poly") and not data.is_regression:
        raise sec.fail_at("name", tr("{name} is a regression model but data set {data} is classification "
                                     "(use logistic or mlp)", name=name, data=data.name))
    if name == "logistic" and data.is_regression:
        raise sec.fail_at("name", tr("logistic is a classifier but data set {data} is regression "
                                     "(use linear, poly or mlp)", data=data.name))
    listed = {key: values for key, values in (("degree", degrees), ("init", inits)) if len(values) > 1}
    features = int(np.prod(image_shape)) if image_shape else (1 if data.is_regression else 2)
    return ModelSettings(name, features, data.n_classes, tuple(hidden), activation, degrees[0],
                         inits[0], listed=listed, image_shape=image_shape, **cnn)


# -- [train] and [regularize] (the train kind) -------------------------------------------------

@dataclass
class Variant:
    """One run setting of the train kind: its label suffix, training config and model."""
    suffix: str
    config: TrainConfig
    model: ModelSettings


def _plain(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def batch_label(size: int) -> str:
    return "full" if size == 0 else str(size)


MODEL_KEYS = ("degree", "init", "batchnorm", "layernorm")
AMOUNT_BOUNDS = {"l2": MAX_PENALTY, "l1": MAX_PENALTY, "input_noise": MAX_NOISE, "weight_noise": MAX_NOISE,
                 "mixup": MAX_MIXUP}


def parse_train(top: Section, data: DataSettings, model: ModelSettings) -> list[Variant]:
    """[train] and [regularize] -> the run variants of each optimizer.

    batch_size, early_stopping, batchnorm, every numeric regularizer, augment, and model.init / model.degree
    may list several values instead of one: run i then takes the i-th value of every listed key (so all
    lists must be equally long), everything else equal. Without lists there is one variant."""
    n_train = data.sizes[0]
    sec = top.section("train")
    epochs = sec.integer("epochs", 100, low=1, high=MAX_EPOCHS)
    values: dict[str, list] = {"batch_size": _sweepable(sec, "batch_size",
                                                         lambda s, k: s.integer(k, 0, low=0, high=n_train))}
    drop_last = sec.boolean("drop_last", False)
    sharpness = sec.number("sharpness", 0.0, low=0, high=1.0)
    sec.done()

    reg = top.section("regularize")
    mlp, classifier = model.name in ("mlp", "cnn"), not data.is_regression
    cnn = model.name == "cnn"

    def rate(s, k):
        return s.number(k, 0.0, low=0.0, high=1.0, high_open=True)

    def amount(s, k):
        return s.number(k, 0.0, low=0, high=AMOUNT_BOUNDS[k.split("[")[0]])

    def augment(s, k):
        if model.image_shape is not None:    # image sets: image transforms, applied by the cnn
            name = s.choice(k, list(IMAGE_AUGMENTS), "none")
            if name != "none" and not cnn:
                raise s.fail_at(k, tr("image transforms apply to model cnn; model {name} sees flat features",
                                      name=model.name))
            return name
        name = s.choice(k, list(AUGMENTS), "none")
        try:
            augment_code(name, data.name)
        except ValueError as err:
            raise s.fail_at(k, str(err)) from None
        return name

    def patience(s, k):
        return s.integer(k, 0, low=0, high=MAX_EPOCHS)

    for key, read, applies, why in (
            ("l2", amount, True, ""), ("l1", amount, True, ""),
            ("dropout", rate, mlp, N_("dropout acts on the hidden layers of an mlp")),
            ("batchnorm", lambda s, k: s.boolean(k, False), mlp, N_("batch norm acts on the hidden layers of an mlp")),
            ("layernorm", lambda s, k: s.boolean(k, False), model.name == "mlp",
             N_("layer norm acts on the hidden layers of an mlp")),
            ("input_noise", amount, True, ""), ("weight_noise", amount, True, ""),
            ("label_smoothing", rate, classifier, N_("label smoothing needs a classification data set")),
            ("mixup", amount, True, ""), ("augment", augment, True, ""), ("early_stopping", patience, True, ""),
            ("cutout", lambda s, k: s.integer(k, 0, low=0, high=MAX_CUTOUT), cnn,
             N_("Cutout cuts squares out of images seen by a cnn")),
            ("cutmix", lambda s, k: s.number(k, 0.0, low=0, high=MAX_MIX_ALPHA), cnn,
             N_("CutMix pastes patches between images seen by a cnn"))):
        values[key] = _sweepable(reg, key, read)
        if not applies and any(values[key]):
            raise reg.fail_at(key, tr("{why}; model {model} on {data} has none", why=tr(why), model=model.name,
                                      data=data.name))
    if any(values["early_stopping"]) and data.sizes[1] == 0:
        raise reg.fail_at("early_stopping", tr("early stopping watches the validation loss: give data.split a "
                                               "validation fraction"))
    reg.done()
    values.update({"degree": [model.degree], "init": [model.init], **model.listed})

    listed = [key for key, v in values.items() if len(v) > 1]
    longest = max(listed, key=lambda key: len(values[key]), default=None)
    runs = len(values[longest]) if longest else 1

    def table_of(key: str) -> str:
        return "model" if key in MODEL_KEYS[:2] else ("train" if key == "batch_size" else "regularize")
    for key in listed:
        if len(values[key]) != runs:
            raise top.fail_at(f"{table_of(key)}.{key}",
                              tr("lists {count} values but {other} lists {runs}; listed keys give run i its i-th "
                                 "value, so their lengths must agree", count=len(values[key]),
                                 other=f"{table_of(longest)}.{longest}", runs=runs))
    variants = []
    for i in range(runs):
        chosen = {key: v[i] if len(v) > 1 else v[0] for key, v in values.items()}
        if chosen["batchnorm"] and chosen["batch_size"] == 1:
            raise reg.fail_at("batchnorm", tr("batch norm needs batches of 2 or more samples (batch_size = 1 is SGD)"))
        if chosen["batchnorm"] and chosen["layernorm"]:
            raise reg.fail_at("layernorm", tr("a run normalizes its hidden layers one way: batchnorm or layernorm, "
                                              "not both"))
        # With several listed keys, a label names only what this run turns on (or "baseline").
        shown = [f"{key}={batch_label(chosen[key]) if key == 'batch_size' else _plain(chosen[key])}"
                 for key in listed if len(listed) == 1 or chosen[key] not in (0, False, "none")] or ["baseline"] * bool(listed)
        if not cnn:
            chosen = {k: v for k, v in chosen.items() if k not in ("cutout", "cutmix")}
        config = (ImageTrainConfig if cnn else TrainConfig)(epochs=epochs, drop_last=drop_last, sharpness=sharpness,
                                                            **{k: v for k, v in chosen.items() if k not in MODEL_KEYS})
        variants.append(Variant("".join(" " + text for text in shown), config,
                                replace(model, **{k: chosen[k] for k in MODEL_KEYS}, listed={})))
    return variants


__all__ = ["CLASSIFICATION", "DataSettings", "ModelSettings", "REGRESSION", "Variant", "parse_data", "parse_model",
           "parse_train"]
